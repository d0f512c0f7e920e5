"""A permit returned to the applicant for correction stops the department's clock: the days the
applicant takes are not the department's, so its deadline moves by them and no warning is raised
meanwhile. A case-level pause and resume in between leaves the permit paused until it is resubmitted."""

from io import StringIO

import pytest
from django.core.management import call_command

from applications import services as application_services
from deadlines.models import Warning

from .conftest import at, sh, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def road(road_pushed_monday):
    return road_pushed_monday


def _clock(task):
    task.clock.refresh_from_db()
    return task.clock


def _returned_on_tuesday(road, departments):
    with at(2026, 9, 15, 10, 0):  # Tuesday: returned to the applicant
        step(road, "start_review", departments["cgzf"])
        step(road, "return_for_correction", departments["cgzf"], reason="请补充施工占道示意图")


def _case_paused_on(day, road, staff):
    """The customer asks for a delay (staff can only request one)."""
    from applications.pause_services import pause_ask

    with at(2026, 9, day, 10, 0):
        pause_ask(
            application_id=road.application_id,
            actor=road.application.customer,
            reason_code="customer_delay",
            note="等待客户确认设计变更",
        )


def _case_resumed_on(day, road, staff):
    with at(2026, 9, day, 10, 0):
        application_services.application_resume(application_id=road.application_id, actor=staff)


def test_the_correction_time_is_not_the_departments(road, departments, psb_staff):
    _returned_on_tuesday(road, departments)
    assert _clock(road).paused_at is not None
    # The applicant takes until Monday the 28th: the day it was due passes without a warning.
    call_command("check_deadlines", at="2026-09-24T09:00:00+08:00", stdout=StringIO())
    assert not Warning.objects.filter(clock=road.clock).exists()
    with at(2026, 9, 28, 10, 0):
        step(road, "resubmit", psb_staff, note="已补充")
    clock = _clock(road)
    # Paused from the 15th to the 28th: 9 working days (16–18, the make-up Sunday 20th, 21–24 and 28;
    # the start day and the Mid-Autumn holiday 25–27 do not count).
    assert clock.paused_at is None and clock.paused_working_days == 9
    # Due at the end of the 23rd, moved by 9 working days over the two holidays: the end of 13 October.
    assert clock.due_at == sh(2026, 10, 14)
    call_command("check_deadlines", at="2026-09-29T09:00:00+08:00", stdout=StringIO())
    assert not Warning.objects.filter(clock=road.clock).exists()


def test_a_case_resumed_meanwhile_leaves_the_permit_paused(road, departments, psb_staff):
    _returned_on_tuesday(road, departments)
    _case_paused_on(16, road, psb_staff)
    _case_resumed_on(17, road, psb_staff)
    assert _clock(road).paused_at is not None  # still waiting on the applicant's correction
    with at(2026, 9, 18, 10, 0):
        step(road, "resubmit", psb_staff, note="已补充")
    assert _clock(road).paused_at is None and _clock(road).paused_working_days == 3


def test_a_permit_resubmitted_while_the_case_is_paused_resumes_with_the_case(road, departments, psb_staff):
    _returned_on_tuesday(road, departments)
    _case_paused_on(16, road, psb_staff)
    with at(2026, 9, 17, 10, 0):
        step(road, "resubmit", psb_staff, note="已补充")
    assert _clock(road).paused_at is not None  # the case is still waiting on the customer
    _case_resumed_on(18, road, psb_staff)
    clock = _clock(road)
    assert clock.paused_at is None and clock.paused_working_days == 3  # 16, 17 and 18 September
