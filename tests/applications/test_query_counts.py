"""List and detail issue a constant number of queries whatever the page size or the case's history."""

import pytest

from tests.applications.factories import DocumentFactory, case_in_state

pytestmark = pytest.mark.django_db

# A page of the list, whoever asks and whatever the filters: the token with its user and roles, the
# capped count, the page (account managers joined), the page's running stages.
LIST_QUERIES = 4
# One case: the token with its user and roles, the case (with its manager), its documents, its timeline
# (the available transitions' conditions read the documents and the promised materials, no query), its
# clocks, its pauses and its promised materials (一证受理).
DETAIL_QUERIES = 7


@pytest.fixture
def cases(customer, psb_staff):
    found = [case_in_state("draft", customer=customer) for _ in range(3)]
    for state in ("submitted", "accepted", "installing", "designing", "connected", "returned"):
        found.append(case_in_state(state, customer=customer, staff=psb_staff))
        found.append(case_in_state(state, staff=psb_staff))
    return found


@pytest.mark.parametrize("who", ["customer", "psb_staff", "supervisor"])
def test_list_queries_do_not_grow_with_the_page(api_as, request, cases, django_assert_num_queries, who):
    client = api_as(request.getfixturevalue(who))
    for size in (1, 2, 5, 25):
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(f"/api/v1/applications/?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, response.json()["count"])
    with django_assert_num_queries(LIST_QUERIES):
        filtered = client.get(
            "/api/v1/applications/?state=accepted&state=installing&ordering=due_at&level=on_time"
        )
    assert filtered.status_code == 200


def test_detail_queries_do_not_grow_with_history_or_documents(
    api_as, customer, psb_staff, supervisor, django_assert_num_queries
):
    short = case_in_state("submitted", customer=customer, staff=psb_staff)
    long = case_in_state(
        "installing", customer=customer, staff=psb_staff, dual_source=True, external_works=True
    )
    # Returned for materials: what may be submitted again depends on the promised ones (read once).
    returned = case_in_state("returned", customer=customer, staff=psb_staff)
    DocumentFactory.create_batch(3, owner=customer)
    for who in (customer, psb_staff, supervisor):
        client = api_as(who)
        for application in (short, long, returned):
            with django_assert_num_queries(DETAIL_QUERIES):
                assert client.get(f"/api/v1/applications/{application.pk}/").status_code == 200


def test_the_account_managers_queue_shows_its_own_cases_first(api_as, make_user, psb_staff):
    colleague = make_user("psb_colleague", roles=["psb_staff", "account_manager"], org="psb")
    mine = [case_in_state("accepted", staff=psb_staff) for _ in range(3)]
    theirs = [case_in_state("accepted", staff=colleague) for _ in range(3)]
    waiting = case_in_state("submitted", staff=colleague)  # no manager yet
    client = api_as(psb_staff)
    first = client.get("/api/v1/applications/?page_size=3").json()
    second = client.get("/api/v1/applications/?page_size=3&page=2").json()
    rest = client.get("/api/v1/applications/?page_size=3&page=3").json()
    order = [r["id"] for page in (first, second, rest) for r in page["results"]]
    assert order[:3] == [a.pk for a in reversed(mine)]
    assert order[3:] == [waiting.pk, *[a.pk for a in reversed(theirs)]]
    assert rest["next"] is None and client.get("/api/v1/applications/?page_size=3&page=4").status_code == 404
    assert first["count"] == 7 and first["count_exact"] is True
    assert first["next"] and first["previous"] is None
    # An explicit ordering replaces the default.
    by_number = client.get("/api/v1/applications/?ordering=-number&page_size=7").json()["results"]
    assert [r["number"] for r in by_number] == sorted((r["number"] for r in by_number), reverse=True)


@pytest.mark.parametrize("filtered", [False, True], ids=["default queue", "filtered"])
def test_counts_above_the_cap_are_flagged_and_the_pages_go_on(api_as, customer, monkeypatch, filtered):
    from applications.api import ApplicationPagination

    monkeypatch.setattr(ApplicationPagination, "count_cap", 2)
    drafts = [case_in_state("draft", customer=customer) for _ in range(4)]
    client = api_as(customer)
    query = "/api/v1/applications/?page_size=1" + ("&state=draft" if filtered else "")
    body = client.get(query).json()
    assert body["count"] == 2 and body["count_exact"] is False and len(body["results"]) == 1
    # Past the capped count the pages go on while there are cases, then stop.
    third = client.get(query + "&page=3").json()
    assert third["results"][0]["id"] == drafts[1].pk and "page=4" in third["next"]
    fourth = client.get(query + "&page=4").json()
    assert fourth["results"][0]["id"] == drafts[0].pk and fourth["next"] is None
    assert client.get(query + "&page=5").status_code == 404
