"""Phone-first accounts: registration verifies the mobile number by an SMS code and asks consent to the
privacy notice, with the password rules shown up front; sign-in by phone and SMS code; 忘记密码 by SMS.
Codes expire after five minutes, allow five wrong tries, and sending is rate-limited."""

import re
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from deadlines.sms import FakeSmsBackend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_sms")]

PHONE = "13847115566"
PASSWORD = "Qingcheng-Power-2026"


def _send(client, phone, purpose, **extra):
    return client.post(
        "/accounts/sms-code/", {"phone": phone, "purpose": purpose}, HTTP_HX_REQUEST="true", **extra
    )


def _last_code(phone):
    sent_to, text = FakeSmsBackend.outbox[-1]
    assert sent_to == phone
    return re.search(r"(\d{6})", text).group(1)


def _register(client, code, **extra):
    data = {
        "username": "zhaoqc",
        "real_name": "赵青城",
        "phone": PHONE,
        "sms_code": code,
        "password": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
        **extra,
    }
    return client.post("/accounts/register/", data)


def test_registration_shows_the_rules_and_needs_code_and_consent(client):
    html = client.get("/accounts/register/").content.decode()
    assert 'id="password-rules"' in html and "至少" in html  # the rules before the first attempt
    assert "获取验证码" in html and "隐私政策" in html
    response = _send(client, PHONE, "register")
    assert response.status_code == 200 and "138****5566" in response.content.decode()
    code = _last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    response = _register(client, wrong)
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    response = _register(client, code, consent="")
    assert response.status_code == 400 and "请阅读并同意隐私政策" in response.content.decode()
    response = _register(client, code)
    assert response.status_code == 302 and response["Location"] == "/applications/mine/"
    assert User.objects.get(username="zhaoqc").phone == PHONE
    # A code is used once.
    client.logout()
    assert _register(client, code, username="zhaoqc2").status_code == 400


def test_a_code_expires_after_five_minutes_and_after_five_wrong_tries(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _send(client, PHONE, "register")
    code = _last_code(PHONE)
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        response = _register(client, code)
    assert response.status_code == 400 and "验证码已失效" in response.content.decode()

    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        _send(client, PHONE, "register")
        code = _last_code(PHONE)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            assert _register(client, wrong).status_code == 400
        response = _register(client, code)
    assert response.status_code == 400 and "验证码已失效" in response.content.decode()


def test_sending_is_rate_limited(client):
    # Counting windows are fixed and shifted per number: start just after this number's hour began.
    now = int(timezone.now().timestamp())
    start = datetime.fromtimestamp(now - now % 3600 + zlib.crc32(PHONE.encode()) % 3600 + 1, tz=UTC)
    with time_machine.travel(start, tick=False):
        assert _send(client, PHONE, "register").status_code == 200
        response = _send(client, PHONE, "register")
        assert response.status_code == 400 and "过于频繁" in response.content.decode()
    assert len(FakeSmsBackend.outbox) == 1
    for minute in range(1, 6):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            _send(client, PHONE, "register")
    assert len(FakeSmsBackend.outbox) == 5  # five an hour for one number
    assert _send(client, "138", "register").status_code == 400


def test_sign_in_by_phone_and_code(client, make_user):
    user = make_user("lisi_sms", roles=["customer"], phone=PHONE)
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/sms/"' in html and 'href="/accounts/password/reset/"' in html
    _send(client, PHONE, "login")
    response = client.post("/accounts/login/sms/", {"phone": PHONE, "sms_code": _last_code(PHONE)})
    assert response.status_code == 302
    assert client.get("/").context["user"] == user
    # A number with no account is told so, without a code being checked.
    client.logout()
    response = client.post("/accounts/login/sms/", {"phone": "13847110000", "sms_code": "123456"})
    assert response.status_code == 400 and "未注册" in response.content.decode()


def test_forgotten_password_reset_by_sms(client, make_user):
    user = make_user("wangwu_sms", roles=["customer"], phone=PHONE)
    html = client.get("/accounts/password/reset/").content.decode()
    assert 'id="password-rules"' in html
    _send(client, PHONE, "reset")
    code = _last_code(PHONE)
    response = client.post(
        "/accounts/password/reset/",
        {"phone": PHONE, "sms_code": code, "password": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 400  # the password rules apply; the code is not used up
    new = "Saihan-Road-2026"
    response = client.post(
        "/accounts/password/reset/", {"phone": PHONE, "sms_code": code, "password": new, "password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_a_gateway_failure_is_said_plainly(client):
    FakeSmsBackend.fail_next = 1
    response = _send(client, PHONE, "register")
    assert response.status_code == 400 and "短信发送失败" in response.content.decode()
    assert FakeSmsBackend.outbox == []
