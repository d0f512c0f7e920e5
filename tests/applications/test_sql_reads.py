"""The hand-written reads of the queue and of one case (applications.sql_reads) answer exactly what the
ORM path answers, for every user they serve, every page and every case, seen or not."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from applications import sql_reads
from applications.models import ApplicationState
from applications.selectors import visibility
from tests.applications.factories import DocumentFactory, case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(customer, other_customer, psb_staff, make_user):
    colleague = make_user("psb_colleague", roles=["psb_staff", "account_manager"], org="psb")
    cases = [case_in_state("draft", customer=customer), case_in_state("draft", customer=other_customer)]
    for state in ("submitted", "accepted", "designing", "installing", "connected", "returned"):
        cases.append(case_in_state(state, customer=customer, staff=psb_staff))
        cases.append(case_in_state(state, customer=other_customer, staff=colleague))
    cases.append(case_in_state("approving", customer=customer, staff=psb_staff, green_space=True))
    cases.append(case_in_state("terminated", customer=other_customer, staff=colleague))
    cases.append(case_in_state("installing", customer=customer, staff=psb_staff, dual_source=True))
    # Whole-second instants (written without a fraction) and a manager without a real name.
    nameless = make_user("psb_nameless", roles=["psb_staff", "account_manager"], org="psb", real_name="")
    whole = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    cases.append(case_in_state("accepted", customer=customer, staff=nameless, at=whole))
    # An amount with one decimal (PostgreSQL writes the list's amounts, the serializer the case's).
    cases.append(case_in_state("submitted", customer=customer, staff=psb_staff, capacity_kva=Decimal("12.5")))
    DocumentFactory.create_batch(2, owner=customer)
    return cases


def _users(customer, other_customer, psb_staff, make_user):
    clerk = make_user("psb_clerk", roles=["psb_staff"], org="psb")  # works the queue, manages nothing
    both = make_user("psb_who_applies", roles=["psb_staff", "account_manager", "customer"], org="psb")
    # Sees every submitted case with the personal data of others masked.
    admin = make_user("root9", roles=["admin"], org="gxj", is_superuser=True, is_staff=True)
    return [customer, other_customer, psb_staff, clerk, both, admin]


def _both_paths(client, url, monkeypatch, **headers):
    fast = client.get(url, **headers)
    with monkeypatch.context() as patched:
        patched.setattr(sql_reads, "ready", lambda seen: False)
        orm = client.get(url, **headers)
    return fast, orm


def test_every_user_served_is_served_by_the_sql_path(customer, psb_staff, supervisor):
    assert sql_reads.ready(visibility(customer)) and sql_reads.ready(visibility(psb_staff))
    assert not sql_reads.ready(visibility(supervisor))  # a supervisor's view takes the ORM path


def test_queue_pages_are_the_same_on_both_paths(
    api_as, world, customer, other_customer, psb_staff, make_user, monkeypatch
):
    for user in _users(customer, other_customer, psb_staff, make_user):
        client = api_as(user)
        for size, page in ((25, 1), (3, 1), (3, 2), (3, 4), (4, 3), (100, 1), (7, 9)):
            url = f"/api/v1/applications/?page_size={size}&page={page}"
            fast, orm = _both_paths(client, url, monkeypatch)
            assert fast.status_code == orm.status_code, (user.username, url)
            assert fast.json() == orm.json(), (user.username, url)
    # In English too (the states' names), and the masked rows of the administrator.
    for user in (customer, psb_staff):
        fast, orm = _both_paths(api_as(user), "/api/v1/applications/", monkeypatch, HTTP_ACCEPT_LANGUAGE="en")
        assert fast.json() == orm.json() and fast.json()["results"][0]["state_display"].isascii()
    # And they are the cases one may see: a customer its own (drafts included), staff no draft.
    mine = api_as(customer).get("/api/v1/applications/?page_size=100").json()["results"]
    assert {r["id"] for r in mine} == {a.pk for a in world if a.customer_id == customer.pk}
    queue = api_as(psb_staff).get("/api/v1/applications/?page_size=100").json()["results"]
    assert {r["id"] for r in queue} == {a.pk for a in world if a.state != ApplicationState.DRAFT}
    managed = sum(1 for a in world if a.account_manager_id == psb_staff.pk)
    assert managed >= 5
    owners = [(r["account_manager"] or {}).get("id") for r in queue]
    assert owners[:managed] == [psb_staff.pk] * managed and psb_staff.pk not in owners[managed:]


def test_the_case_is_the_same_on_both_paths(
    api_as, world, customer, other_customer, psb_staff, make_user, monkeypatch
):
    for user in _users(customer, other_customer, psb_staff, make_user):
        client = api_as(user)
        for application in world:
            url = f"/api/v1/applications/{application.pk}/"
            fast, orm = _both_paths(client, url, monkeypatch)
            assert fast.status_code == orm.status_code, (user.username, application.state)
            assert fast.json() == orm.json(), (user.username, application.state)
    assert api_as(customer).get(f"/api/v1/applications/{world[1].pk}/").status_code == 404
    assert api_as(psb_staff).get(f"/api/v1/applications/{world[0].pk}/").status_code == 404
    assert api_as(psb_staff).get("/api/v1/applications/999999/").status_code == 404


def test_postgresql_keeps_one_plan_for_each_statement(api_as, world, customer, psb_staff):
    """After a few runs every hot read is prepared and runs a plan kept for any user (a generic plan),
    not one made again on every request (a statement whose text changed with every request would never
    be). Whether PostgreSQL prefers the generic plan also depends on the data: that is watched by
    bench/applications_api.py (a partial index once made it re-plan the list on every request)."""
    from django.db import connection

    # psycopg prepares a statement at its 6th run; PostgreSQL then plans it 5 times before keeping one.
    for client in (api_as(customer), api_as(psb_staff)):
        for _ in range(14):
            assert client.get("/api/v1/applications/").status_code == 200
            assert client.get(f"/api/v1/applications/{world[2].pk}/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    hot = [p for p in prepared if "applications_application" in p[0] or "authtoken_token" in p[0]]
    # the two queues and the case as the customer and as staff, each with its remembered token's guard
    # (the token itself is read once per client)
    assert len(hot) >= 4
    assert all(generic > 0 and custom <= 5 for _sql, generic, custom in hot), hot
