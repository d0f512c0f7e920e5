"""办件查询 without signing in: the API and the public page find a case by its number and the last four
digits of its contact phone, show its progress and nothing personal, answer 404 to a wrong pair and 429
past 10 tries per address in 10 minutes."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db

API = "/api/v1/lookup/"


@pytest.fixture
def case(psb_staff):
    return case_in_state(
        "accepted",
        staff=psb_staff,
        applicant_name="青城查询便利店",
        contact_phone="13947104321",
        address="内蒙古自治区呼和浩特市赛罕区查询路9号",
    )


def test_api_answers_the_progress_and_nothing_personal(api_client, case):
    response = api_client.get(API, {"number": case.number, "phone": "4321"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == case.number and body["state"] == "accepted"
    assert body["promised_on"] and [s["code"] for s in body["steps"]] == ["apply", "install"]
    stages = {s["code"]: s for s in body["steps"][0]["stages"]}
    assert stages["accept"]["status"] == "done" and stages["plan_reply"]["status"] == "running"
    assert body["steps"][1]["stages"][0]["status"] == "pending"
    assert body["steps"][1]["stages"][0]["limit_working_days"]
    text = json.dumps(body, ensure_ascii=False)
    for personal in ("青城查询便利店", case.id_number, "13947104321", "4321", "查询路"):
        assert personal not in text


def test_wrong_pair_is_404_and_bad_format_400(api_client, case):
    assert api_client.get(API, {"number": case.number, "phone": "0000"}).status_code == 404
    assert api_client.get(API, {"number": "HHHT-2026-999999", "phone": "4321"}).status_code == 404
    response = api_client.get(API, {"number": "123", "phone": "43"})
    assert response.status_code == 400
    assert set(response.json()) >= {"number", "phone"}


def test_more_than_ten_tries_per_address_in_ten_minutes_is_429(api_client, client, case):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            assert api_client.get(API, {"number": case.number, "phone": "0000"}).status_code == 404
        response = api_client.get(API, {"number": case.number, "phone": "4321"})
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        # The public page counts against the same limit.
        assert client.get("/lookup/", {"number": case.number, "phone": "4321"}).status_code == 429
        # Another address is not affected.
        other = api_client.get(API, {"number": case.number, "phone": "4321"}, REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 200
    with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
        assert api_client.get(API, {"number": case.number, "phone": "4321"}).status_code == 200


def test_public_page_without_signing_in(client, case):
    html = client.get("/lookup/").content.decode()
    assert "申请编号" in html and "联系电话后四位" in html
    response = client.get("/lookup/", {"number": case.number.lower(), "phone": "4321"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="lookup-result"' in html and case.number in html and "供电方案答复" in html
    assert "青城查询便利店" not in html and "查询路" not in html
    response = client.get("/lookup/", {"number": case.number, "phone": "1111"})
    assert response.status_code == 404 and "未找到该申请" in response.content.decode()


def test_a_draft_is_never_found(api_client, customer):
    from applications.models import Application

    draft = case_in_state("draft", customer=customer, contact_phone="13947104321")
    Application.objects.filter(pk=draft.pk).update(number="HHHT-2026-000777")
    assert api_client.get(API, {"number": "HHHT-2026-000777", "phone": "4321"}).status_code == 404


def test_the_application_form_carries_a_qr_code_of_the_lookup_address(client, case):
    client.force_login(case.customer)
    html = client.get(f"/applications/{case.pk}/form/").content.decode()
    assert 'id="lookup-qr"' in html and "<svg" in html
    assert f"http://testserver/lookup/?number={case.number}" in html


def test_the_predicted_date_is_the_case_pages(api_client, client, case):
    """One prediction rule (deadlines.risk): the lookup answers the date the case page shows."""
    from deadlines.risk import risks_for

    expected = risks_for([case], today=timezone.localdate())[case.pk].predicted
    assert expected is not None
    body = api_client.get(API, {"number": case.number, "phone": "4321"}).json()
    assert body["predicted_on"] == expected.isoformat()
    client.force_login(case.customer)
    page = client.get(f"/applications/{case.pk}/").content.decode()
    assert f'<strong class="predicted-day">{expected:%Y-%m-%d}</strong>' in page
