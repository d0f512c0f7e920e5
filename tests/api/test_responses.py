"""What the case list and the case answer: exactly the fields the OpenAPI schema declares (so the two
cannot drift), in the API's formats, with ID and phone numbers masked for whoever may not see them."""

import re
from datetime import datetime

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.applications.factories import DocumentFactory, case_in_state

pytestmark = pytest.mark.django_db

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+08:00")


@pytest.fixture(scope="module")
def components():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def _keys(components, name) -> set[str]:
    return set(components[name]["properties"])


@pytest.fixture
def case(customer, psb_staff):
    application = case_in_state(
        "installing", customer=customer, staff=psb_staff, external_works=True, capacity_kva="80.5"
    )
    DocumentFactory(owner=customer)  # in the wallet, not attached
    return application


@pytest.mark.parametrize("who", ["customer", "psb_staff", "supervisor"])
def test_the_list_answers_the_fields_the_schema_declares(api_as, request, case, components, who):
    body = api_as(request.getfixturevalue(who)).get("/api/v1/applications/").json()
    assert set(body) == _keys(components, "PaginatedApplicationListList")
    assert body["count"] == 1 and body["count_exact"] is True and body["next"] is None
    (row,) = body["results"]
    assert set(row) == _keys(components, "ApplicationList")
    assert row["id"] == case.pk and row["number"] == case.number and row["state"] == "installing"
    assert row["state_display"] == "竣工装表" and row["capacity_kva"] == "80.50"
    assert INSTANT.fullmatch(row["submitted_at"]) and row["connected_at"] is None
    assert row["account_manager"] == {"id": case.account_manager_id, "name": str(case.account_manager)}
    assert set(row["current_stage"]) == _keys(components, "CurrentStage")
    assert row["current_stage"]["code"] == "installation"
    assert INSTANT.fullmatch(row["current_stage"]["due_at"])
    assert row["paused"] is False


@pytest.mark.parametrize("who", ["customer", "psb_staff", "supervisor"])
def test_the_case_answers_the_fields_the_schema_declares(api_as, request, case, components, who):
    body = api_as(request.getfixturevalue(who)).get(f"/api/v1/applications/{case.pk}/").json()
    assert set(body) == _keys(components, "ApplicationDetail")
    for field, component in (
        ("stages", "Stage"),
        ("timeline", "AuditEntry"),
        ("documents", "Document"),
        ("materials", "Material"),
    ):
        assert body[field] and all(set(item) == _keys(components, component) for item in body[field]), field
    assert [s["code"] for s in body["stages"]][:2] == ["overall", "accept"]
    assert all(INSTANT.fullmatch(s["started_at"]) for s in body["stages"])
    times = [datetime.fromisoformat(e["at"]) for e in body["timeline"]]
    assert times == sorted(times) and body["timeline"][0]["transition"] == "submit"
    attached = {d["kind"]: d for d in body["documents"]}
    assert {m["kind"]: m["document"] for m in body["materials"] if not m["generated"]} == {
        kind: doc["id"] for kind, doc in attached.items()
    }
    assert all(d["url"] == f"/api/v1/documents/{d['id']}/file/" for d in body["documents"])
    assert body["form_url"] == f"/applications/{case.pk}/form/"


def test_personal_data_is_masked_for_whoever_may_not_see_it(api_as, customer, psb_staff, supervisor, case):
    for user, masked in ((customer, False), (psb_staff, False), (supervisor, True)):
        client = api_as(user)
        row = client.get("/api/v1/applications/").json()["results"][0]
        detail = client.get(f"/api/v1/applications/{case.pk}/").json()
        for shown in (row, detail):
            assert (shown["id_number"] != case.id_number) is masked
            assert (shown["contact_phone"] != case.contact_phone) is masked
            if masked:
                assert shown["id_number"][:6] == case.id_number[:6] and "*" in shown["id_number"]
                assert shown["contact_phone"].endswith(case.contact_phone[-4:])


def test_the_transitions_offered_are_the_callers(api_as, customer, psb_staff, supervisor, case):
    offered = {
        user.username: api_as(user).get(f"/api/v1/applications/{case.pk}/").json()["available_transitions"]
        for user in (customer, psb_staff, supervisor)
    }
    assert offered == {"alice": ["withdraw"], "psb1": ["connect", "terminate"], "gxj1": []}
