"""Bad input to the API gets a 400 naming the field (or 404 for what is not there), never a 500: bodies
that are not a JSON object, JSON nested too deep, numbers and dates beyond what a field holds, NUL
characters in text and in query strings."""

import json

import pytest
from rest_framework.test import APIClient

from approvals.models import ApprovalTask
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db

NOT_AN_OBJECT = {
    "non_field_errors": ["请求体必须是一个 JSON 对象。"],
    "codes": {"non_field_errors": ["not_an_object"]},
}
NUL_MESSAGE = ["不能包含空字符（NUL）。"]


def _post_json(client, url, body: str):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def case(customer, psb_staff):
    return case_in_state("accepted", customer=customer, staff=psb_staff)


@pytest.fixture
def task(customer, psb_staff):
    application = case_in_state("approving", customer=customer, staff=psb_staff, road_excavation=True)
    return ApprovalTask.objects.filter(application=application).first()


@pytest.mark.parametrize("body", ["[null, null]", "[]", '"text"', "12", "null", "true"])
def test_a_body_that_is_not_a_json_object_is_a_400(api_as, customer, psb_staff, case, task, body):
    as_customer, as_staff = api_as(customer), api_as(psb_staff)
    for client, url in (
        (as_customer, f"/api/v1/applications/{case.pk}/pause/"),
        (as_staff, f"/api/v1/applications/{case.pk}/pause/"),
        (as_staff, f"/api/v1/applications/{case.pk}/transitions/reply_plan/"),
        (as_customer, "/api/v1/applications/"),
        (as_customer, f"/api/v1/applications/{case.pk}/"),
        (as_staff, f"/api/v1/approval-tasks/{task.pk}/comments/"),
        (as_staff, f"/api/v1/approval-tasks/{task.pk}/transitions/accept_filing/"),
        (APIClient(), "/api/v1/auth/token/"),
        (APIClient(), "/api/v1/auth/register/"),
    ):
        send = client.patch if url.endswith(f"/{case.pk}/") else client.post
        response = send(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert response.json() == NOT_AN_OBJECT


def test_json_nested_too_deep_is_a_400_even_anonymously(api_as, customer):
    deep = "[" * 2000 + "]" * 2000
    deep_object = '{"username": ' + deep + "}"
    for client, url in ((APIClient(), "/api/v1/auth/token/"), (api_as(customer), "/api/v1/applications/")):
        for body in (deep, deep_object):
            response = _post_json(client, url, body)
            assert response.status_code == 400
            assert response.json()["code"] == "parse_error"
    assert _post_json(APIClient(), "/api/v1/auth/token/", '{"username": ').status_code == 400


def test_a_nul_character_in_a_text_field_is_a_400_naming_the_field(api_as, customer, psb_staff, case, task):
    created = _post_json(
        api_as(customer),
        "/api/v1/applications/",
        json.dumps({"business": "new", "applicant_name": "张\x00三", "address": "赛罕区\x00"}),
    )
    assert created.status_code == 400
    assert created.json()["applicant_name"] == NUL_MESSAGE and created.json()["address"] == NUL_MESSAGE
    assert created.json()["codes"]["applicant_name"] == ["null_characters_not_allowed"]
    for client, url, body in (
        (api_as(psb_staff), f"/api/v1/approval-tasks/{task.pk}/comments/", {"text": "\x00"}),
        (
            api_as(psb_staff),
            f"/api/v1/applications/{case.pk}/transitions/reply_plan/",
            {"plan_summary": "a\x00"},
        ),
        (api_as(customer), f"/api/v1/applications/{case.pk}/pause/", {"reason": "\x00"}),
        (APIClient(), "/api/v1/auth/token/", {"username": "alice\x00", "password": "x"}),
        (
            APIClient(),
            "/api/v1/auth/register/",
            {"username": "x\x00", "password": "x", "phone": "1", "name": "x"},
        ),
    ):
        response = _post_json(client, url, json.dumps(body))
        assert response.status_code == 400, url
        field = next(iter(body))
        assert response.json()[field] == NUL_MESSAGE
    # In a form upload too.
    upload = api_as(customer).post("/api/v1/documents/", {"kind": "identity\x00"}, format="multipart")
    assert upload.status_code == 400 and upload.json()["kind"] == NUL_MESSAGE


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications/?state=%00",
        "/api/v1/applications/?stage=%00",
        "/api/v1/applications/?ordering=%00",
        "/api/v1/applications/?voltage=%00",
        "/api/v1/applications/?account_manager=%00",
        "/api/v1/applications/?submitted_after=%00",
        "/api/v1/approval-tasks/?kind=%00",
        "/api/v1/approval-tasks/?application=%00",
        "/api/v1/warnings/?stage=%00",
        "/api/v1/warnings/?raised_after=%00",
    ],
)
def test_a_nul_character_in_a_query_parameter_is_a_400(api_as, psb_staff, url):
    response = api_as(psb_staff).get(url)
    assert response.status_code == 400
    field = url.split("?")[1].split("=")[0]
    assert field in response.json() and field in response.json()["codes"]


@pytest.mark.parametrize(
    "number", ["99999999999999999999999", "9223372036854775807", "0", "-1", "abc", "%00", "1.5"]
)
def test_a_page_number_that_is_not_one_is_a_400(api_as, customer, number):
    response = api_as(customer).get(f"/api/v1/applications/?page={number}")
    assert response.status_code == 400
    assert response.json()["codes"] == {"page": ["invalid_page"]}


def test_a_page_past_the_last_is_a_404_on_every_list(api_as, customer, psb_staff):
    assert api_as(customer).get("/api/v1/applications/?page=2").status_code == 404
    huge = "99999999999999999999999"
    assert api_as(psb_staff).get(f"/api/v1/approval-tasks/?page={huge}").status_code == 404
    assert api_as(psb_staff).get(f"/api/v1/warnings/?page={huge}").status_code == 404


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-10:00", "2026-13-01", "2026-01-01T00:00+24:00"],
)
def test_an_instant_outside_the_calendar_is_a_400(api_as, psb_staff, value):
    response = api_as(psb_staff).get("/api/v1/warnings/", {"raised_after": value})
    assert response.status_code == 400
    assert response.json()["codes"] == {"raised_after": ["invalid"]}


def test_an_offset_postgresql_does_not_take_is_read_in_utc(api_as, psb_staff):
    response = api_as(psb_staff).get("/api/v1/warnings/", {"raised_after": "0315-09-10T01:44:04-16:27"})
    assert response.status_code == 200


def test_far_dates_and_numbers_are_answered(api_as, customer, psb_staff, supervisor):
    for client in (api_as(customer), api_as(psb_staff), api_as(supervisor)):
        for query in (
            "submitted_after=9999-12-31",
            "submitted_before=0001-01-01",
            "due_after=9999-12-31",
            "due_before=0001-01-01",
            "account_manager=99999999999999999999999",
        ):
            assert client.get(f"/api/v1/applications/?{query}").status_code == 200, query
    far = api_as(psb_staff)
    assert far.get("/api/v1/approval-tasks/?application=99999999999999999999999").status_code == 200
    assert far.get("/api/v1/warnings/?raised_after=9999-12-31T00:00:00Z").status_code == 200
    assert far.get("/api/v1/applications/99999999999999999999999/").status_code == 404
    assert far.get("/api/v1/approval-tasks/99999999999999999999999/").status_code == 404
    assert far.get("/api/v1/documents/99999999999999999999999/").status_code == 404
