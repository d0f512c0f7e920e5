"""The join under concurrency: the last two permits granted at the same moment move the case exactly once
(real PostgreSQL row locks, two threads, committed transactions)."""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from applications.models import Application, AuditEntry
from approvals import services
from approvals.models import ApprovalTask
from deadlines.models import StageClock
from tests.applications.factories import case_in_state, grid_staff

from .conftest import grant_road, push, step, task_of


@pytest.fixture
def _fresh_reference_data(transactional_db):
    """A transactional test runs on tables an earlier one may have flushed: content type ids cached
    before are stale, and the rows the data migrations seed (organisations, roles, the calendar, the 2020
    policy) may be gone; put them back if so (the same seed functions as the migrations)."""
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
    yield
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_last_two_grants_at_the_same_moment_join_exactly_once(_fresh_reference_data, departments):
    staff = grid_staff()
    application = case_in_state("approving", road_excavation=True, green_space=True, staff=staff)
    push(application, departments["window"])
    grant_road(application, departments)
    planning, green = task_of(application, "planning_permit"), task_of(application, "green_permit")
    step(planning, "start_review", departments["zrzy"])
    step(green, "start_review", departments["window"])
    step(green, "record_part", departments["greenery"])

    barrier = threading.Barrier(2)
    outcomes, errors = {}, []

    def grant(task, actor):
        try:
            barrier.wait(timeout=10)
            services.task_transition(task_id=task.pk, name="grant", actor=actor, data={})
            outcomes[task.kind] = "granted"
        except Exception as exc:  # recorded and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=grant, args=(planning, departments["zrzy"])),
        threading.Thread(target=grant, args=(green, departments["window"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert outcomes == {"planning_permit": "granted", "green_permit": "granted"}
    application.refresh_from_db()
    assert application.state == "constructing"
    assert AuditEntry.objects.filter(application=application, transition="permits_granted").count() == 1
    assert StageClock.objects.filter(subject_id=application.pk, stage="construction").count() == 1
    assert set(
        ApprovalTask.objects.filter(application=application, state="granted").values_list("kind", flat=True)
    ) == {"window_intake", "planning_permit", "road_permit", "green_permit"}
    assert Application.objects.get(pk=application.pk).state == "constructing"
