"""The transition table walked role by role: who may run each transition, and what everyone else gets."""

import pytest

from applications.models import Application, AuditEntry
from applications.selectors import applications_visible_to
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db

# role name -> (roles, organisation)
ROLES = {
    "owner": None,  # the case's customer
    "other_customer": (["customer"], None),
    "psb": None,  # power-bureau staff and the case's account manager
    "psb_colleague": (["psb_staff"], "psb"),
    "other_manager": (["account_manager"], "psb"),  # an account manager of other cases
    "reviewer": (["reviewer"], "zrzy"),
    "window": (["window", "reviewer"], "xzsp"),
    "supervisor": (["supervisor", "leader"], "gxj"),
    "admin": (["admin"], "gxj"),
}
WORKERS = {"psb", "psb_colleague"}
GRID = WORKERS | {"other_manager"}

# transition, the state it runs from, its data, who may run it
TABLE = [
    ("submit", "draft", {}, {"owner"}),
    ("withdraw", "submitted", {}, {"owner"}),
    ("return_for_materials", "submitted", {"missing": ["identity"]}, GRID),
    ("accept", "submitted", {}, GRID),
    ("reply_plan", "accepted", {"external_works": False}, WORKERS),
    ("finish_design", "designing", {}, WORKERS),
    ("finish_construction", "constructing", {}, WORKERS),
    ("connect", "installing", {"meter_number": "M-1"}, WORKERS),
    ("terminate", "installing", {"reason": "拆迁"}, WORKERS),
]


@pytest.fixture
def people(make_user, customer, psb_staff):
    found = {"owner": customer, "psb": psb_staff}
    for name, spec in ROLES.items():
        if spec:
            roles, org = spec
            extra = {"is_superuser": True, "is_staff": True} if name == "admin" else {}
            found[name] = make_user(f"u_{name}", roles=roles, org=org, **extra)
    return found


@pytest.mark.parametrize("name, state, data, allowed", TABLE, ids=[t[0] for t in TABLE])
def test_each_transition_is_refused_to_every_role_that_may_not_run_it(
    api_as, people, name, state, data, allowed
):
    application = case_in_state(state, customer=people["owner"], staff=people["psb"])
    url = f"/api/v1/applications/{application.pk}/transitions/{name}/"
    entries = AuditEntry.objects.filter(application=application).count()
    for role, user in people.items():
        visible = applications_visible_to(user).filter(pk=application.pk).exists()
        if role in allowed:
            continue
        detail = api_as(user).get(f"/api/v1/applications/{application.pk}/")
        if visible:
            assert name not in detail.json()["available_transitions"], role
        else:
            assert detail.status_code == 404, role
        response = api_as(user).post(url, data, format="json")
        assert response.status_code == (403 if visible else 404), (role, response.content)
    assert Application.objects.get(pk=application.pk).state == state
    assert AuditEntry.objects.filter(application=application).count() == entries
    # Each role allowed sees it offered; one of them runs it.
    for role in allowed:
        offered = api_as(people[role]).get(f"/api/v1/applications/{application.pk}/").json()
        assert name in offered["available_transitions"], role
    response = api_as(people[sorted(allowed)[-1]]).post(url, data, format="json")
    assert response.status_code == 200, response.content
    assert AuditEntry.objects.filter(application=application).count() == entries + 1


def test_who_sees_what(people):
    draft = case_in_state("draft", customer=people["owner"])
    submitted = case_in_state("submitted", customer=people["owner"], staff=people["psb"])
    constructing = case_in_state("constructing", staff=people["psb"])

    def seen(role):
        return set(applications_visible_to(people[role]).values_list("pk", flat=True))

    assert seen("owner") == {draft.pk, submitted.pk}
    assert seen("other_customer") == set()
    for role in ("psb", "psb_colleague", "other_manager", "admin"):
        assert seen(role) == {submitted.pk, constructing.pk}, role  # never someone's draft
    assert seen("supervisor") == {submitted.pk, constructing.pk}  # 市工信局 coordinates acceptance
    assert seen("reviewer") == set() and seen("window") == set()  # no permit task pushed to them


def test_fgw_sees_only_the_cases_whose_construction_it_coordinates(make_user, psb_staff):
    fgw = make_user("fgw1", roles=["supervisor"], org="fgw")
    case_in_state("accepted", staff=psb_staff)
    building = case_in_state("constructing", staff=psb_staff)
    assert list(applications_visible_to(fgw).values_list("pk", flat=True)) == [building.pk]


def test_another_customers_case_does_not_exist_for_reads_or_writes(
    api_as, client, customer, other_customer, psb_staff, make_user
):
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    doc = application.documents.first()
    them = api_as(other_customer)
    base = f"/api/v1/applications/{application.pk}"
    assert them.get(f"{base}/").status_code == 404
    assert them.patch(f"{base}/", {"address": "x"}, format="json").status_code == 404
    for name in ("withdraw", "submit", "accept", "nonexistent"):
        assert them.post(f"{base}/transitions/{name}/", {}, format="json").status_code == 404
    assert them.post(f"{base}/pause/", {"reason": "x"}, format="json").status_code == 404
    assert them.post(f"{base}/resume/", format="json").status_code == 404
    assert them.get("/api/v1/applications/").json()["count"] == 0
    assert them.get(f"/api/v1/documents/{doc.pk}/file/").status_code == 404
    client.force_login(other_customer)
    assert client.get(f"/applications/{application.pk}/form/").status_code == 404
    assert client.get(f"/applications/documents/{doc.pk}/file/").status_code == 404
    # The staff working the case may open its documents.
    assert api_as(psb_staff).get(f"/api/v1/documents/{doc.pk}/file/").status_code == 200


def test_only_the_owner_edits_a_draft_and_only_while_it_is_a_draft_or_returned(api_as, customer, psb_staff):
    draft = case_in_state("draft", customer=customer)
    me = api_as(customer)
    response = me.patch(f"/api/v1/applications/{draft.pk}/", {"capacity_kva": "60"}, format="json")
    assert response.status_code == 200 and response.json()["capacity_kva"] == "60.00"
    bad = me.patch(f"/api/v1/applications/{draft.pk}/", {"contact_phone": "123"}, format="json")
    assert bad.status_code == 400
    assert Application.objects.get(pk=draft.pk).contact_phone == draft.contact_phone
    accepted = case_in_state("accepted", customer=customer, staff=psb_staff)
    assert (
        me.patch(f"/api/v1/applications/{accepted.pk}/", {"capacity_kva": "60"}, format="json").status_code
        == 409
    )
    assert (
        api_as(psb_staff)
        .patch(f"/api/v1/applications/{accepted.pk}/", {"capacity_kva": "60"}, format="json")
        .status_code
        == 403
    )


def test_personal_data_is_masked_for_those_who_do_not_need_it(api_as, people):
    application = case_in_state("submitted", customer=people["owner"], staff=people["psb"])
    full = api_as(people["psb"]).get(f"/api/v1/applications/{application.pk}/").json()
    assert full["id_number"] == application.id_number and full["contact_phone"] == application.contact_phone
    mine = api_as(people["owner"]).get(f"/api/v1/applications/{application.pk}/").json()
    assert mine["id_number"] == application.id_number
    masked = api_as(people["supervisor"]).get(f"/api/v1/applications/{application.pk}/").json()
    assert masked["id_number"] != application.id_number and "*" in masked["id_number"]
    assert masked["contact_phone"] == application.contact_phone[:3] + "****" + application.contact_phone[-4:]
    listed = api_as(people["supervisor"]).get("/api/v1/applications/").json()["results"][0]
    assert "*" in listed["id_number"] and "****" in listed["contact_phone"]


def test_every_user_transition_has_one_row_a_rule_a_form_and_a_handler():
    """The registry (applications.transitions.STEPS) is the one list: the services dispatch, the rules
    and the case page's forms all come from it."""
    import rules as rules_layer

    from applications import services
    from applications.transitions import STEPS, USER_TRANSITIONS

    names = [step.name for step in STEPS]
    assert len(names) == len(set(names))
    assert set(services._HANDLERS) == set(USER_TRANSITIONS)
    for name in USER_TRANSITIONS:
        assert rules_layer.perm_exists(f"applications.{name}")
    assert all(step.form is not None for step in STEPS if step.by_user)
