"""Which language a response is in (``accounts.middleware.PortalLocaleMiddleware``): pages follow the
language switch's cookie and are Chinese without it; API clients negotiate with Accept-Language. Each
answer says its language and that it varies with Accept-Language (shared caches keep them apart)."""

import pytest
from django.conf import settings


def _vary(response) -> set[str]:
    return {v.strip() for v in response.get("Vary", "").split(",")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "language"),
    [("en", "en"), ("en-GB,en;q=0.9", "en"), ("zh-CN", "zh-hans"), ("", "zh-hans"), ("fr", "zh-hans")],
)
def test_the_api_answers_in_the_language_asked(api_as, customer, accept, language):
    response = api_as(customer).post("/api/v1/applications/", {}, format="json", HTTP_ACCEPT_LANGUAGE=accept)

    assert response.status_code == 400
    assert response["Content-Language"] == language
    assert "Accept-Language" in _vary(response)
    message = response.json()["business"][0]
    assert (message == "This field is required.") == (language == "en"), message


@pytest.mark.django_db
def test_pages_are_chinese_whatever_the_browser_says(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in _vary(response)
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_pages_follow_the_language_switch(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response["Content-Language"] == "en"
    assert "Sign in" in response.content.decode() or "Log in" in response.content.decode()


@pytest.mark.django_db
def test_a_transition_the_state_refuses_names_the_state_in_the_callers_language(api_as, customer, psb_staff):
    from tests.applications.factories import case_in_state

    connected = case_in_state("connected", customer=customer, staff=psb_staff)
    url = f"/api/v1/applications/{connected.pk}/transitions/accept/"
    english = api_as(psb_staff).post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 409
    assert english.json()["detail"] == 'This action is not allowed in the state "Connected".'
    chinese = api_as(psb_staff).post(url, {}, format="json")
    assert chinese.status_code == 409 and chinese.json()["detail"] == "当前状态“已送电”下不能执行此操作。"
