"""Remembered authentications of the API's hot reads (accounts.authentication.remembered): a token seen
before is not read again, and whatever changed since (the token, the user's row, its roles) is found by
the read's own statement, which then reads nothing and the request is authenticated as usual."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import authentication
from accounts.models import Role
from applications.models import ApplicationState
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured)


@pytest.fixture
def cases(customer, other_customer, psb_staff):
    return {
        "mine": case_in_state("accepted", customer=customer, staff=psb_staff),
        "theirs": case_in_state("accepted", customer=other_customer, staff=psb_staff),
        "draft": case_in_state("draft", customer=customer),
    }


def test_a_deleted_token_is_refused_by_the_next_read(api_as, customer, cases):
    client = api_as(customer)
    assert client.get("/api/v1/applications/").status_code == 200
    Token.objects.filter(user=customer).delete()
    for url in ("/api/v1/applications/", f"/api/v1/applications/{cases['mine'].pk}/"):
        response = client.get(url)
        assert response.status_code == 401 and response.json()["detail"] == "认证令牌无效。"
        assert response["WWW-Authenticate"] == "Token"


def test_a_user_made_inactive_is_refused_by_the_next_case_read(api_as, customer, cases):
    client = api_as(customer)
    assert client.get(f"/api/v1/applications/{cases['mine'].pk}/").status_code == 200
    customer.is_active = False
    customer.save()
    response = client.get(f"/api/v1/applications/{cases['mine'].pk}/")
    assert response.status_code == 401


def test_a_change_of_roles_changes_what_the_next_read_shows(api_as, customer, psb_staff, cases):
    staff = api_as(psb_staff)
    queue = staff.get("/api/v1/applications/").json()["results"]
    assert {r["id"] for r in queue} == {cases["mine"].pk, cases["theirs"].pk}
    assert staff.get(f"/api/v1/applications/{cases['theirs'].pk}/").status_code == 200
    # The clerk leaves the power bureau's staff: it is a customer with no case now.
    psb_staff.roles.set([Role.objects.get(code="customer")])
    assert staff.get("/api/v1/applications/").json()["results"] == []
    assert staff.get(f"/api/v1/applications/{cases['theirs'].pk}/").status_code == 404
    # A customer who becomes staff sees the queue (and its own draft) with the next read.
    mine = api_as(customer)
    assert {r["id"] for r in mine.get("/api/v1/applications/").json()["results"]} == {
        cases["mine"].pk,
        cases["draft"].pk,
    }
    customer.roles.add(Role.objects.get(code="psb_staff"))
    ids = {r["id"] for r in mine.get("/api/v1/applications/").json()["results"]}
    assert ids == {cases["mine"].pk, cases["theirs"].pk, cases["draft"].pk}
    theirs = mine.get(f"/api/v1/applications/{cases['theirs'].pk}/").json()
    assert theirs["id"] == cases["theirs"].pk and "*" not in theirs["contact_phone"]


def test_a_change_of_the_users_row_is_found_too(api_as, psb_staff, cases):
    client = api_as(psb_staff)
    assert client.get("/api/v1/applications/").status_code == 200
    psb_staff.is_superuser = True  # a column the visibility rules read
    psb_staff.save()
    response, queries = _queries(client, "/api/v1/applications/")
    assert response.status_code == 200
    assert queries == 3  # the guarded read found nothing, the token, the read again
    response, queries = _queries(client, "/api/v1/applications/")
    assert response.status_code == 200 and queries == 1  # remembered as it is now


def test_a_supervisors_reads_are_authenticated_as_usual(api_as, supervisor, cases):
    """The reads of a view the guarded statements do not serve check the token the usual way."""
    client = api_as(supervisor)
    assert client.get("/api/v1/applications/").status_code == 200
    Token.objects.filter(user=supervisor).delete()
    assert client.get("/api/v1/applications/").status_code == 401
    assert client.get(f"/api/v1/applications/{cases['mine'].pk}/").status_code == 401


def test_the_remembered_user_is_a_new_instance_for_every_request(api_as, customer, cases):
    client = api_as(customer)
    client.get("/api/v1/applications/")
    key = Token.objects.get(user=customer).key
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    first, second = authentication.remembered(request), authentication.remembered(request)
    assert first[0] is not second[0] and first[0].pk == second[0].pk == customer.pk
    assert first[2].key == key and first[2].user_id == customer.pk
    for header in ("Token " + "0" * 40, f"Bearer {key}", f"Token {key} x", ""):
        assert authentication.remembered(RequestFactory().get("/", HTTP_AUTHORIZATION=header)) is None


def test_a_token_a_transition_uses_is_checked_as_usual(api_as, customer, psb_staff):
    """Writes never take the remembered authentication."""
    case = case_in_state("submitted", customer=customer, staff=psb_staff)
    client = api_as(psb_staff)
    assert client.get(f"/api/v1/applications/{case.pk}/").status_code == 200
    Token.objects.filter(user=psb_staff).delete()
    response = client.post(f"/api/v1/applications/{case.pk}/transitions/accept/", {}, format="json")
    assert response.status_code == 401
    case.refresh_from_db()
    assert case.state == ApplicationState.SUBMITTED


def test_remembered_tokens_are_bounded(api_as, customer, other_customer, monkeypatch):
    monkeypatch.setattr(authentication, "REMEMBERED_TOKENS", 1)
    first, second = api_as(customer), api_as(other_customer)
    first.get("/api/v1/applications/")
    second.get("/api/v1/applications/")
    assert len(authentication._remembered) == 1
    response, queries = _queries(first, "/api/v1/applications/")
    assert response.status_code == 200 and queries == 2  # forgotten: the token is read again


def test_a_signed_in_browser_reads_the_api_without_a_token(customer, cases):
    client = APIClient()
    client.force_login(customer)
    listed = client.get("/api/v1/applications/")
    assert listed.status_code == 200
    assert {r["id"] for r in listed.json()["results"]} == {cases["mine"].pk, cases["draft"].pk}
    assert client.get(f"/api/v1/applications/{cases['mine'].pk}/").status_code == 200
    assert client.get(f"/api/v1/applications/{cases['theirs'].pk}/").status_code == 404
