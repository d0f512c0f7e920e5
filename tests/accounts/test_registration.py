import re

import pytest

from accounts.models import User
from accounts.services import USERNAME_TAKEN
from accounts.validators import INVALID_MOBILE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("good")]

URL = "/api/v1/auth/register/"
GOOD = {"username": "wangwu", "password": "Hohhot-Power-77", "phone": "13847112345", "name": "王五"}


@pytest.fixture
def good(api_client, fake_sms, monkeypatch):
    """GOOD with the SMS code just sent to its number and consent to the privacy notice."""
    sent = api_client.post("/api/v1/auth/sms-code/", {"phone": GOOD["phone"], "purpose": "register"})
    assert sent.status_code == 202 and sent.json() == {"phone": "138****2345", "expires_in": 300}
    code = re.search(r"\d{6}", fake_sms.outbox[-1][1]).group(0)
    monkeypatch.setitem(GOOD, "sms_code", code)
    monkeypatch.setitem(GOOD, "consent", True)
    return GOOD


def test_customer_registers_and_can_get_a_token(api_client):
    response = api_client.post(URL, GOOD, format="json")
    assert response.status_code == 201, response.json()
    user = User.objects.get(username="wangwu")
    assert user.role_codes == {"customer"}
    assert user.password.startswith("argon2$")
    assert user.phone == "13847112345"
    token = api_client.post("/api/v1/auth/token/", {"username": "wangwu", "password": GOOD["password"]})
    assert token.status_code == 200 and len(token.json()["token"]) == 40


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("phone", "12345678901", INVALID_MOBILE),
        ("phone", "1384711234", INVALID_MOBILE),
        ("password", "password", "password_too_common"),
        ("password", "Ab1!", "password_too_short"),
        ("password", "73829104", "password_entirely_numeric"),
        ("name", "", "blank"),
    ],
)
def test_bad_field_gets_a_chinese_error_on_that_field_and_saves_nothing(api_client, field, value, code):
    response = api_client.post(URL, {**GOOD, field: value}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(body[field])), body  # Chinese text
    assert not User.objects.filter(username="wangwu").exists()


def test_taken_username_is_refused(api_client, customer):
    response = api_client.post(URL, {**GOOD, "username": customer.username}, format="json")
    assert response.status_code == 400
    assert "已被注册" in response.json()["username"][0]
    assert USERNAME_TAKEN == "username_taken"


def test_errors_in_english_when_asked(api_client):
    response = api_client.post(URL, {**GOOD, "phone": "123"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "mobile" in response.json()["phone"][0].lower()


def test_browser_registration_signs_the_customer_in(client, fake_sms):
    page = client.get("/accounts/register/")
    assert "注册用电客户账户" in page.content.decode()
    client.post("/accounts/sms-code/", {"phone": "+86 138 4711 2346", "purpose": "register"})
    code = re.search(r"\d{6}", fake_sms.outbox[-1][1]).group(0)
    data = {
        "username": "zhaoliu",
        "real_name": "赵六",
        "phone": "+86 138 4711 2346",
        "sms_code": code,
        "password": "Hohhot-Power-77",
        "password2": "Hohhot-Power-77",
        "consent": "on",
    }
    response = client.post("/accounts/register/", data)
    assert response.status_code == 302
    user = User.objects.get(username="zhaoliu")
    assert user.phone == "13847112346"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_browser_registration_shows_each_field_error(client):
    data = {"username": "", "real_name": "", "phone": "999", "password": "123", "password2": "456"}
    response = client.post("/accounts/register/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"username", "real_name", "phone", "password", "password2"}
    assert User.objects.count() == 0


@pytest.mark.parametrize("missing", ["sms_code", "consent"])
def test_the_api_needs_the_sms_code_and_consent_like_the_page(api_client, missing):
    response = api_client.post(URL, {k: v for k, v in GOOD.items() if k != missing}, format="json")
    assert response.status_code == 400 and missing in response.json()
    assert not User.objects.filter(username="wangwu").exists()


def test_a_wrong_code_or_refused_consent_registers_nobody(api_client):
    wrong = "000000" if GOOD["sms_code"] != "000000" else "111111"
    response = api_client.post(URL, {**GOOD, "sms_code": wrong}, format="json")
    assert response.status_code == 400 and response.json()["codes"]["sms_code"] == ["code_invalid"]
    response = api_client.post(URL, {**GOOD, "consent": False}, format="json")
    assert response.status_code == 400 and response.json()["codes"]["consent"] == ["consent_required"]
    assert not User.objects.filter(username="wangwu").exists()
    assert api_client.post(URL, GOOD, format="json").status_code == 201  # the code is still good
