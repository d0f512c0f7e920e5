"""Concurrent requests on one transition of one case: exactly one wins, the others get 409 (PostgreSQL)."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications.models import Application, AuditEntry
from tests.applications.factories import case_in_state

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """Transactional tests run on tables an earlier one may have flushed (and content types recreated
    with new ids): clear the cached ids and put back the rows the data migrations seed if they are gone."""
    from django.contrib.contenttypes.models import ContentType

    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
    yield
    ContentType.objects.clear_cache()


def _race(users, path, data, workers=8):
    barrier = threading.Barrier(workers)
    statuses, errors = [], []

    def hit(user):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
            barrier.wait(timeout=10)
            statuses.append(client.post(path, data, format="json").status_code)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit, args=(users[i % len(users)],)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return Counter(statuses)


def test_parallel_accepts_one_200_the_rest_409_and_one_audit_entry(make_user):
    staff = [make_user(f"psb_r{i}", roles=["psb_staff", "account_manager"], org="psb") for i in range(4)]
    application = case_in_state("submitted", staff=staff[0])
    statuses = _race(staff, f"/api/v1/applications/{application.pk}/transitions/accept/", {})
    assert statuses == Counter({200: 1, 409: 7})
    assert Application.objects.get(pk=application.pk).state == "accepted"
    assert AuditEntry.objects.filter(application=application, transition="accept").count() == 1


def test_parallel_connect_and_terminate_only_one_closes_the_case(make_user):
    staff = [make_user(f"psb_t{i}", roles=["psb_staff"], org="psb") for i in range(2)]
    application = case_in_state("installing", staff=staff[0])
    statuses = _race(
        staff, f"/api/v1/applications/{application.pk}/transitions/connect/", {"meter_number": "M"}, workers=6
    )
    assert statuses == Counter({200: 1, 409: 5})
    assert AuditEntry.objects.filter(application=application, to_state="connected").count() == 1
