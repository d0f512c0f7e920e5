"""The bad-input matrix: each field and each document rule, in the user's language, nothing saved on error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.validators import INVALID_CREDIT_CODE, INVALID_MOBILE, INVALID_RESIDENT_ID
from applications import validation as v
from applications.models import Application, AuditEntry
from tests.applications.factories import DocumentFactory, credit_code, resident_id

pytestmark = pytest.mark.django_db


def payload(**overrides):
    data = {
        "business": "new",
        "voltage": "low",
        "applicant_type": "small_micro",
        "applicant_name": "呼和浩特青城商贸有限公司",
        "id_number": credit_code(7),
        "contact_phone": "13947100007",
        "address": "呼和浩特市新城区新华大街1号",
        "capacity_kva": "80",
    }
    data.update(overrides)
    return {k: val for k, val in data.items() if val is not None}


BAD_FIELDS = [
    ("business", {"business": ""}, v.REQUIRED),
    ("business", {"business": "move"}, v.INVALID_CHOICE),
    ("voltage", {"voltage": "medium"}, v.INVALID_CHOICE),
    ("applicant_type", {"applicant_type": "government"}, v.INVALID_CHOICE),
    ("applicant_name", {"applicant_name": "   "}, v.REQUIRED),
    ("applicant_name", {"applicant_name": "名" * 101}, v.TOO_LONG),
    ("id_number", {"id_number": ""}, v.REQUIRED),
    (
        "id_number",
        {"id_number": credit_code(7)[:-1] + ("1" if credit_code(7)[-1] != "1" else "2")},
        INVALID_CREDIT_CODE,
    ),
    (
        "id_number",
        {
            "applicant_type": "resident",
            "id_number": resident_id(3)[:-1] + "0"
            if resident_id(3)[-1] != "0"
            else resident_id(3)[:-1] + "1",
            "capacity_kva": "8",
        },
        INVALID_RESIDENT_ID,
    ),
    (
        "id_number",
        {"applicant_type": "resident", "id_number": credit_code(7), "capacity_kva": "8"},
        INVALID_RESIDENT_ID,
    ),
    ("id_number", {"applicant_type": "enterprise", "id_number": resident_id(3)}, INVALID_CREDIT_CODE),
    ("contact_phone", {"contact_phone": ""}, v.REQUIRED),
    ("contact_phone", {"contact_phone": "12345678901"}, INVALID_MOBILE),
    ("contact_phone", {"contact_phone": "0471-6660000"}, INVALID_MOBILE),
    ("address", {"address": ""}, v.REQUIRED),
    ("capacity_kva", {"capacity_kva": ""}, v.REQUIRED),
    ("capacity_kva", {"capacity_kva": "0"}, v.CAPACITY_NOT_POSITIVE),
    ("capacity_kva", {"capacity_kva": "-5"}, v.CAPACITY_NOT_POSITIVE),
    ("capacity_kva", {"capacity_kva": "abc"}, v.CAPACITY_INVALID),
    ("capacity_kva", {"capacity_kva": "NaN"}, v.CAPACITY_INVALID),
    ("capacity_kva", {"capacity_kva": "12.345"}, v.CAPACITY_INVALID),
    ("capacity_kva", {"capacity_kva": "100.01"}, v.CAPACITY_ABOVE_LOW_VOLTAGE),
    (
        "capacity_kva",
        {"voltage": "high", "power_sources": 1, "capacity_kva": "1000000"},
        v.CAPACITY_TOO_LARGE,
    ),
    ("power_sources", {"voltage": "high"}, v.POWER_SOURCES_REQUIRED),
    ("power_sources", {"voltage": "high", "power_sources": 3}, v.INVALID_CHOICE),
    ("documents", {"documents": "12"}, v.NOT_A_LIST),
    ("documents", {"documents": [999999]}, v.DOCUMENT_NOT_FOUND),
]


@pytest.mark.parametrize("field, overrides, code", BAD_FIELDS, ids=[f"{f}-{c}" for f, _o, c in BAD_FIELDS])
def test_each_bad_field_is_named_and_nothing_is_saved(api_as, customer, field, overrides, code):
    response = api_as(customer).post("/api/v1/applications/", payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert code in body["codes"][field], body
    assert body[field] and all(isinstance(m, str) and m for m in body[field])
    assert not Application.objects.exists() and not AuditEntry.objects.exists()


def test_every_problem_is_reported_at_once_in_chinese(api_as, customer):
    response = api_as(customer).post(
        "/api/v1/applications/",
        {
            "business": "x",
            "voltage": "low",
            "applicant_type": "resident",
            "id_number": "123",
            "contact_phone": "1",
            "capacity_kva": "0",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body["codes"]) == {
        "business",
        "applicant_name",
        "address",
        "id_number",
        "contact_phone",
        "capacity_kva",
    }
    assert body["contact_phone"] == ["请输入有效的中国大陆手机号码（11位，以1开头）。"]
    assert body["capacity_kva"] == ["申请容量必须大于0。"]


def test_messages_follow_the_chosen_language(api_as, customer):
    client = api_as(customer)
    client.cookies["django_language"] = "en"
    response = client.post("/api/v1/applications/", payload(capacity_kva="0"), format="json")
    assert response.status_code == 400
    assert response.json()["capacity_kva"] == ["The capacity must be greater than 0."]


def test_the_low_voltage_limit_comes_from_the_policy(api_as, customer):
    response = api_as(customer).post("/api/v1/applications/", payload(capacity_kva="120"), format="json")
    assert response.json()["codes"]["capacity_kva"] == [v.CAPACITY_ABOVE_LOW_VOLTAGE]
    assert "100" in response.json()["capacity_kva"][0]
    ok = api_as(customer).post("/api/v1/applications/", payload(capacity_kva="100"), format="json")
    assert ok.status_code == 201, ok.content


def test_identifiers_and_phone_are_normalised(api_as, customer):
    rid = resident_id(5)
    response = api_as(customer).post(
        "/api/v1/applications/",
        payload(
            applicant_type="resident",
            applicant_name="王五",
            id_number=f" {rid[:6]} {rid[6:].lower()} ",
            contact_phone="+86 139-4710-0007",
            capacity_kva="8",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    application = Application.objects.get()
    assert application.id_number == rid.upper() and application.contact_phone == "13947100007"
    assert application.power_sources is None


def test_documents_rules(api_as, customer, other_customer):
    mine = DocumentFactory(owner=customer, kind="identity")
    expired = DocumentFactory(owner=customer, kind="property", expired=True)
    theirs = DocumentFactory(owner=other_customer, kind="property")
    second_identity = DocumentFactory(owner=customer, kind="identity")
    rejected = DocumentFactory(
        owner=customer, kind="property", rejected_at=timezone.now(), rejected_reason="模糊"
    )
    response = api_as(customer).post(
        "/api/v1/applications/",
        payload(documents=[mine.pk, expired.pk, theirs.pk, second_identity.pk, rejected.pk]),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["codes"]["documents"] == [
        v.DOCUMENT_EXPIRED,
        v.DOCUMENT_NOT_FOUND,
        v.DOCUMENT_KIND_REPEATED,
        v.DOCUMENT_REJECTED,
    ]
    assert expired.valid_until.isoformat() in body["documents"][0]
    assert not Application.objects.exists()


def test_a_duplicate_open_application_is_refused_with_a_pointer(api_as, customer, other_customer):
    first = api_as(customer).post("/api/v1/applications/", payload(), format="json")
    assert first.status_code == 201
    # The same applicant at the same address, written with other spacing and full-width digits.
    again = api_as(customer).post(
        "/api/v1/applications/", payload(address="呼和浩特市 新城区 新华大街１号"), format="json"
    )
    assert again.status_code == 400
    assert again.json()["codes"]["address"] == [v.DUPLICATE_APPLICATION]
    assert again.json()["existing"]["id"] == first.json()["id"]
    # Someone else's draft for that applicant and address blocks nothing (tests/applications/
    # test_duplicates.py covers the submitted case).
    other = api_as(other_customer).post("/api/v1/applications/", payload(), format="json")
    assert other.status_code == 201
    # Once withdrawn, the applicant may apply again.
    withdrawn = api_as(customer).post(
        f"/api/v1/applications/{first.json()['id']}/transitions/withdraw/", {}, format="json"
    )
    assert withdrawn.status_code == 200
    assert api_as(customer).post("/api/v1/applications/", payload(), format="json").status_code == 201


def test_high_voltage_needs_its_five_materials_to_be_submitted(api_as, customer):
    identity = DocumentFactory(owner=customer, kind="identity")
    prop = DocumentFactory(owner=customer, kind="property")
    created = api_as(customer).post(
        "/api/v1/applications/",
        payload(
            voltage="high",
            power_sources=2,
            applicant_type="enterprise",
            capacity_kva="2000",
            documents=[identity.pk, prop.pk],
        ),
        format="json",
    )
    assert created.status_code == 201, created.content
    missing = {m["kind"] for m in created.json()["materials"] if not m["generated"] and not m["document"]}
    assert missing == {"capacity_list", "project_approval"}
    response = api_as(customer).post(
        f"/api/v1/applications/{created.json()['id']}/transitions/submit/", {}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["codes"]["documents"] == [v.MATERIALS_MISSING]
    assert "用电容量需求清单" in response.json()["documents"][0]
    assert Application.objects.get().state == "draft"


def test_a_document_that_expired_after_attaching_blocks_submission(api_as, customer):
    identity = DocumentFactory(
        owner=customer, kind="identity", valid_until=timezone.localdate() + timedelta(days=1)
    )
    DocumentFactory(owner=customer, kind="property")
    created = api_as(customer).post("/api/v1/applications/", payload(), format="json")
    assert identity.pk in [d["id"] for d in created.json()["documents"]]
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        response = api_as(customer).post(
            f"/api/v1/applications/{created.json()['id']}/transitions/submit/", {}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["codes"]["documents"] == [v.MATERIALS_MISSING]


def test_a_new_application_reuses_still_valid_documents(api_as, customer):
    DocumentFactory(owner=customer, kind="identity", expired=True)
    identity = DocumentFactory(owner=customer, kind="identity")
    prop = DocumentFactory(owner=customer, kind="property")
    response = api_as(customer).post("/api/v1/applications/", payload(), format="json")
    assert response.status_code == 201
    assert sorted(d["id"] for d in response.json()["documents"]) == sorted([identity.pk, prop.pk])
    materials = {m["kind"]: m for m in response.json()["materials"]}
    assert materials["application_form"]["generated"] is True
    assert materials["application_form"]["url"] == f"/applications/{response.json()['id']}/form/"
