import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default_and_english_on_request(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="zh-hans"' in page and "登录" in page and "用户名" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="en"' in page and "Sign in" in page


def test_staff_signs_in_and_out(client, psb_staff):
    response = client.post(reverse("accounts:login"), {"username": "psb1", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(psb_staff.pk)
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_username_at_that_address(client, customer):
    url = reverse("accounts:login")
    for _ in range(5):
        response = client.post(url, {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 429
    # Even the right password is refused now.
    response = client.post(url, {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked.
    response = client.post(url, {"username": "alice", "password": TEST_PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302


def test_lockout_ends_after_fifteen_minutes(client, customer):
    import datetime

    import time_machine

    url = reverse("accounts:login")
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        for _ in range(5):
            client.post(url, {"username": "alice", "password": "nope"})
        assert client.post(url, {"username": "alice", "password": TEST_PASSWORD}).status_code == 429
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 16, tzinfo=datetime.UTC), tick=False):
        assert client.post(url, {"username": "alice", "password": TEST_PASSWORD}).status_code == 302


def test_token_issue_use_and_lockout(api_client, customer):
    bad = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json")
    assert bad.status_code == 400
    good = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD})
    token = good.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/schema/").status_code == 200
    api_client.credentials()
    for _ in range(5):
        api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json")
    locked = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"


def test_passwords_are_hashed_with_argon2(customer):
    assert customer.password.startswith("argon2$argon2id$")
