"""Each list page issues the same number of queries whatever the number of rows."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from applications.models import Application
from tests.applications.factories import ApplicationFactory, DocumentFactory, attach_materials, case_in_state

pytestmark = pytest.mark.django_db

# session, user, roles; then the page's own queries.
MINE_QUERIES = 5
WALLET_QUERIES = 5
# ... the queue's, and the page's 超期风险 (its open clocks, the policies with their rules, the stage norms,
# the calendar ordinals, the predicted days).
QUEUE_QUERIES = 15


def _get(client, url, django_assert_num_queries, n):
    # The content type of cases is cached per process after its first use; warm it as a server would be.
    ContentType.objects.get_for_model(Application)
    with django_assert_num_queries(n):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("rows", [1, 6])
def test_my_applications(client, customer, psb_staff, rows, django_assert_num_queries):
    for i in range(rows):
        if i % 2:
            case_in_state("accepted", customer=customer, staff=psb_staff)
        else:
            attach_materials(ApplicationFactory(customer=customer))
    client.force_login(customer)
    response = _get(client, reverse("applications:mine"), django_assert_num_queries, MINE_QUERIES)
    assert response.content.decode().count('class="list-group-item') == rows


@pytest.mark.parametrize("rows", [1, 7])
def test_wallet(client, customer, rows, django_assert_num_queries):
    for _ in range(rows):
        DocumentFactory(owner=customer)
    client.force_login(customer)
    response = _get(client, reverse("applications:wallet"), django_assert_num_queries, WALLET_QUERIES)
    assert response.content.decode().count('class="doc-valid"') == rows


@pytest.mark.parametrize("rows", [1, 6])
def test_queue(client, psb_staff, rows, django_assert_num_queries):
    for i in range(rows):
        case_in_state("accepted" if i % 2 else "submitted", staff=psb_staff)
    client.force_login(psb_staff)
    response = _get(client, reverse("applications:queue"), django_assert_num_queries, QUEUE_QUERIES)
    assert response.content.decode().count('class="queue-row') == rows
