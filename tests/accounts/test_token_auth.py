"""API token authentication (accounts.authentication): one statement for the token, the user and its
roles, and DRF's answers for everything that is not a valid token of an active user."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import TokenAuthentication
from accounts.models import RoleCode

pytestmark = pytest.mark.django_db


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_token_user_and_roles_come_in_one_statement(psb_staff):
    key = Token.objects.create(user=psb_staff).key
    with CaptureQueriesContext(connection) as captured:
        user, token = TokenAuthentication().authenticate_credentials(key)
        codes = user.role_codes
    assert len(captured) == 1
    assert user.pk == psb_staff.pk and user.organisation_id == psb_staff.organisation_id
    assert codes == {RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER}
    assert token.key == key and token.user is user and token.created is not None


def test_a_user_without_roles_has_none_and_a_superuser_is_an_administrator(make_user):
    plain = make_user("norole", roles=[])
    root = make_user("root2", roles=[], is_superuser=True, is_staff=True)
    auth = TokenAuthentication()
    assert auth.authenticate_credentials(Token.objects.create(user=plain).key)[0].role_codes == set()
    assert auth.authenticate_credentials(Token.objects.create(user=root).key)[0].role_codes == {
        RoleCode.ADMIN
    }


def test_an_unknown_token_or_an_inactive_user_is_refused_in_the_users_language(customer):
    unknown = _client("0" * 40).get("/api/v1/applications/")
    assert unknown.status_code == 401 and unknown.json()["detail"] == "认证令牌无效。"
    key = Token.objects.create(user=customer).key
    assert _client(key).get("/api/v1/applications/").status_code == 200
    customer.is_active = False
    customer.save()
    inactive = _client(key).get("/api/v1/applications/", HTTP_ACCEPT_LANGUAGE="en")
    assert inactive.status_code == 401 and inactive.json()["detail"] == "User inactive or deleted."
