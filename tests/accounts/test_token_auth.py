"""API tokens (accounts.authentication, accounts.api): one query for the token, its user and roles; DRF's
answers for a bad token; tokens and sessions end when the password, the activity or the roles change,
after API_TOKEN_IDLE_DAYS without use, and on logout."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import TokenAuthentication
from accounts.models import Role, RoleCode, User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

CASES = "/api/v1/applications/"


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _session_works(client) -> bool:
    return client.get(CASES).status_code == 200


def test_the_token_user_and_roles_come_in_one_query(psb_staff, django_assert_num_queries):
    key = Token.objects.create(user=psb_staff).key
    with django_assert_num_queries(1):
        user, token = TokenAuthentication().authenticate_credentials(key)
        codes = user.role_codes
    assert user.pk == psb_staff.pk and user.organisation_id == psb_staff.organisation_id
    assert codes == {RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER}
    assert token.key == key and token.user is user


def test_a_user_without_roles_has_none_and_a_superuser_is_an_administrator(make_user):
    plain = make_user("norole", roles=[])
    root = make_user("root2", roles=[], is_superuser=True, is_staff=True)
    auth = TokenAuthentication()
    assert auth.authenticate_credentials(Token.objects.create(user=plain).key)[0].role_codes == set()
    assert auth.authenticate_credentials(Token.objects.create(user=root).key)[0].role_codes == {
        RoleCode.ADMIN
    }


def test_an_unknown_or_inactive_token_is_refused_in_the_users_language(customer):
    unknown = _client("0" * 40).get(CASES)
    assert unknown.status_code == 401 and unknown.json()["detail"] == "认证令牌无效。"
    assert unknown.json()["code"] == "authentication_failed"
    key = Token.objects.create(user=customer).key
    User.objects.filter(pk=customer.pk).update(is_active=False)  # behind the model's back
    inactive = _client(key).get(CASES, HTTP_ACCEPT_LANGUAGE="en")
    assert inactive.status_code == 401 and inactive.json()["detail"] == "User inactive or deleted."


def test_deactivation_ends_every_token_and_session(customer):
    key = Token.objects.create(user=customer).key
    session = _signed_in(customer)
    assert _client(key).get(CASES).status_code == 200 and _session_works(session)
    customer.is_active = False
    customer.save()
    assert _client(key).get(CASES).status_code == 401
    assert not _session_works(session)
    assert not Token.objects.filter(user=customer).exists()


def test_a_password_change_ends_every_token_and_session(api_client, customer):
    key = Token.objects.create(user=customer).key
    session = _signed_in(customer)
    customer.set_password("Another-pass-2026")
    customer.save()
    assert _client(key).get(CASES).status_code == 401
    assert not _session_works(session)
    # The new password signs in again, with a new token.
    fresh = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "Another-pass-2026"})
    assert fresh.status_code == 200 and fresh.json()["token"] != key
    assert _client(fresh.json()["token"]).get(CASES).status_code == 200


@pytest.mark.parametrize("change", ["add", "remove", "reverse add", "clear"])
def test_a_role_change_ends_every_token_and_session(make_user, change):
    user = make_user("clerk", roles=["psb_staff"], org="psb")
    other = make_user("bystander", roles=["psb_staff"], org="psb")
    keys = [Token.objects.create(user=u).key for u in (user, other)]
    sessions = [_signed_in(u) for u in (user, other)]
    manager = Role.objects.get(code=RoleCode.ACCOUNT_MANAGER)
    if change == "add":
        user.roles.add(manager)
    elif change == "remove":
        user.roles.remove(Role.objects.get(code=RoleCode.PSB_STAFF))
    elif change == "reverse add":
        manager.users.add(user)
    else:
        user.roles.clear()
    assert _client(keys[0]).get(CASES).status_code == 401
    assert not _session_works(sessions[0])
    # Nobody else is signed out.
    assert _client(keys[1]).get(CASES).status_code == 200 and _session_works(sessions[1])


def test_saving_a_user_without_changing_credentials_signs_nobody_out(api_client, customer):
    key = Token.objects.create(user=customer).key
    session = _signed_in(customer)
    customer.real_name = "张三丰"
    customer.save()
    customer.roles.add(Role.objects.get(code=RoleCode.CUSTOMER))  # already held: no change
    # Signing in on the login page (which records the last login) keeps the API token too.
    assert (
        Client().post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD}).status_code == 302
    )
    assert _client(key).get(CASES).status_code == 200 and _session_works(session)


def test_a_token_ends_after_the_idle_days_without_use(api_client, customer, settings):
    settings.API_TOKEN_IDLE_DAYS = 30
    start = timezone.now()
    key = Token.objects.create(user=customer).key
    with time_machine.travel(start + timedelta(days=20), tick=False):
        assert _client(key).get(CASES).status_code == 200  # used: counted again from here
    with time_machine.travel(start + timedelta(days=49), tick=False):
        assert _client(key).get(CASES).status_code == 200
    with time_machine.travel(start + timedelta(days=80), tick=False):
        expired = _client(key).get(CASES)
        assert expired.status_code == 401 and expired.json()["detail"] == "认证令牌已过期，请重新登录。"
        assert not Token.objects.filter(key=key).exists()
        fresh = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD})
        assert fresh.status_code == 200 and fresh.json()["token"] != key


def test_signing_in_again_replaces_an_idle_token_and_refreshes_a_live_one(api_client, customer, settings):
    settings.API_TOKEN_IDLE_DAYS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD})
    with time_machine.travel(start + timedelta(days=1), tick=False):
        again = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD})
        assert again.json()["token"] == first.json()["token"]
    with time_machine.travel(start + timedelta(days=2, hours=12), tick=False):
        assert _client(first.json()["token"]).get(CASES).status_code == 200  # signed in again at day 1
    with time_machine.travel(start + timedelta(days=6), tick=False):
        later = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD})
        assert later.json()["token"] != first.json()["token"]


def test_logout_deletes_the_callers_token(api_client, customer, other_customer):
    key = Token.objects.create(user=customer).key
    other = Token.objects.create(user=other_customer).key
    response = _client(key).post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert _client(key).get(CASES).status_code == 401
    assert _client(other).get(CASES).status_code == 200
    assert api_client.post("/api/v1/auth/logout/").status_code == 401
