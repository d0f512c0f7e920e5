"""List and detail issue a constant number of queries whatever the page size or the case's history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.applications.factories import DocumentFactory, case_in_state

pytestmark = pytest.mark.django_db

# token + user, the user's roles, the count, the page (account managers and clocks joined in)
LIST_QUERIES = 4
# token + user, roles, the case, its documents, available transitions' conditions (none: prefetched),
# its clocks, its timeline
DETAIL_QUERIES = 6


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
    for size in (2, 5, 25):
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
    api_as, customer, psb_staff, django_assert_num_queries
):
    short = case_in_state("submitted", customer=customer, staff=psb_staff)
    long = case_in_state(
        "installing", customer=customer, staff=psb_staff, dual_source=True, external_works=True
    )
    DocumentFactory.create_batch(3, owner=customer)
    for client in (api_as(customer), api_as(psb_staff)):
        counts = []
        for application in (short, long):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(f"/api/v1/applications/{application.pk}/").status_code == 200
            counts.append(len(captured))
        assert counts == [DETAIL_QUERIES, DETAIL_QUERIES]
