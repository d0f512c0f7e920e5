"""Filing, pushing only the needed permits, refusal and redesign, the green fee, the audit trail."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django_fsm import TransitionNotAllowed

from applications import services as case_services
from applications.models import AuditEntry
from approvals import services
from approvals.models import ApprovalTask, TaskAuditEntry
from approvals.selectors import permit_stage_summary
from deadlines.models import StageClock
from tests.applications.factories import case_in_state

from .conftest import grant_green, grant_planning, grant_road, push, step, task_of

pytestmark = pytest.mark.django_db


def kinds(application):
    return sorted(ApprovalTask.objects.filter(application=application).values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("road", "green", "pushed"),
    [
        (True, False, ["planning_permit", "road_permit"]),
        (False, True, ["green_permit", "planning_permit"]),
        (True, True, ["green_permit", "planning_permit", "road_permit"]),
    ],
)
def test_the_window_pushes_exactly_the_permits_the_case_needs(psb_staff, window_user, road, green, pushed):
    application = case_in_state("approving", road_excavation=road, green_space=green, staff=psb_staff)
    assert kinds(application) == ["window_intake"]
    push(application, window_user)
    assert kinds(application) == sorted(["window_intake", *pushed])
    clocks = StageClock.objects.filter(subject_id=application.pk, stage__in=pushed, finished_at=None)
    assert sorted(clocks.values_list("stage", flat=True)) == sorted(pushed)
    assert {t.clock_id for t in ApprovalTask.objects.filter(application=application)} <= set(
        StageClock.objects.filter(subject_id=application.pk).values_list("pk", flat=True)
    )
    intake = task_of(application, "window_intake")
    assert intake.state == "granted" and intake.clock.finished_at is not None


def test_a_case_without_permits_files_nothing(psb_staff):
    application = case_in_state("constructing", external_works=True, staff=psb_staff)
    assert kinds(application) == []
    assert permit_stage_summary(application) is None


def test_a_refusal_sends_the_case_back_and_the_redesign_refiles_only_what_needs_filing(
    psb_staff, departments
):
    d = departments
    application = case_in_state("approving", road_excavation=True, green_space=True, staff=psb_staff)
    push(application, d["window"])
    grant_planning(application, d)
    road = task_of(application, "road_permit")
    step(road, "start_review", d["cgzf"])
    with pytest.raises(ValidationError) as exc:
        step(road, "refuse", d["cgzf"])
    assert exc.value.error_dict["reason"][0].code == services.REQUIRED
    step(road, "refuse", d["cgzf"], reason="该路段为新建道路，五年内不得开挖")

    application.refresh_from_db()
    assert application.state == "designing"
    entry = AuditEntry.objects.filter(application=application).last()
    assert entry.transition == "permit_refused" and "五年内不得开挖" in entry.reason
    green = ApprovalTask.objects.get(application=application, kind="green_permit")
    assert green.state == "withdrawn"  # still open when the design went back: re-filed with the new one
    assert not StageClock.objects.filter(
        subject_id=application.pk,
        stage__in=["green_permit", "road_permit"],
        finished_at=None,
        cancelled_at=None,
    ).exists()
    assert permit_stage_summary(application)["state"] == "refused"

    # The redesign is filed again: a second round, and the granted planning permit is not re-filed.
    case_services.application_transition(application_id=application.pk, name="finish_design", actor=psb_staff)
    application.refresh_from_db()
    assert application.state == "approving"
    intake = task_of(application, "window_intake")
    assert intake.round == 2 and intake.state == "pending"
    push(application, d["window"])
    second = ApprovalTask.objects.filter(application=application, round=2)
    assert sorted(second.values_list("kind", flat=True)) == ["green_permit", "road_permit", "window_intake"]
    assert TaskAuditEntry.objects.get(task=intake, transition="accept_filing").data == {
        "pushed": ["road_permit", "green_permit"],
        "carried_over": ["planning_permit"],
    }
    grant_road(application, d)
    grant_green(application, d)
    application.refresh_from_db()
    assert application.state == "constructing"
    assert AuditEntry.objects.filter(application=application, transition="permits_granted").count() == 1


def test_return_for_correction_and_resubmission(psb_staff, departments):
    d = departments
    application = case_in_state("approving", road_excavation=True, staff=psb_staff)
    push(application, d["window"])
    planning = task_of(application, "planning_permit")
    step(planning, "start_review", d["zrzy"])
    step(planning, "return_for_correction", d["zrzy"], reason="缺少管线综合图")
    with pytest.raises(PermissionDenied):
        step(planning, "resubmit", d["zrzy"])  # the filer corrects, not the department
    step(planning, "resubmit", psb_staff, note="已补管线综合图")
    step(planning, "start_review", d["zrzy"])
    planning.refresh_from_db()
    assert planning.state == "in_review"
    transitions = list(TaskAuditEntry.objects.filter(task=planning).values_list("transition", "actor_id"))
    assert transitions == [
        ("push", d["window"].pk),
        ("start_review", d["zrzy"].pk),
        ("return_for_correction", d["zrzy"].pk),
        ("resubmit", psb_staff.pk),
        ("start_review", d["zrzy"].pk),
    ]
    assert psb_staff.notifications.filter(kind="approvals", title__contains="退回补正").exists()


def test_wrong_department_wrong_state_and_closed_case(psb_staff, departments):
    d = departments
    application = case_in_state("approving", road_excavation=True, staff=psb_staff)
    intake = task_of(application, "window_intake")
    with pytest.raises(PermissionDenied):
        step(intake, "accept_filing", d["zrzy"])  # only the window accepts filings
    with pytest.raises(TransitionNotAllowed):
        step(intake, "grant", d["window"])  # an intake is accepted, not granted
    with pytest.raises(services.UnknownTransition):
        step(intake, "withdraw", d["window"])  # internal, never asked for
    push(application, d["window"])
    road = task_of(application, "road_permit")
    with pytest.raises(PermissionDenied):
        step(road, "start_review", d["zrzy"])
    with pytest.raises(PermissionDenied):
        step(road, "record_part", d["zrzy"])  # not a survey unit
    case_services.application_transition(
        application_id=application.pk, name="terminate", actor=psb_staff, data={"reason": "客户取消"}
    )
    with pytest.raises(TransitionNotAllowed):
        step(road, "start_review", d["cgzf"])  # the case is closed


def test_green_fee_only_after_relocation_with_the_account_manager_on_the_clock(psb_staff, departments):
    d = departments
    application = case_in_state("approving", green_space=True, staff=psb_staff)
    push(application, d["window"], green_owner="private")
    green = task_of(application, "green_permit")
    step(green, "start_review", d["window"])
    with pytest.raises(PermissionDenied):
        step(green, "record_part", d["greenery"])  # private green: the applicant gives the consent
    step(green, "record_part", psb_staff, note="业主单位同意")
    with pytest.raises(TransitionNotAllowed):
        step(green, "report_relocation", psb_staff)  # not granted yet
    step(green, "grant", d["window"])
    grant_planning(application, d)
    application.refresh_from_db()
    assert application.state == "constructing"
    assert task_of(application, "green_fee") is None
    step(green, "report_relocation", psb_staff)
    fee = task_of(application, "green_fee")
    assert fee.state == "pending" and fee.clock.assignee_id == psb_staff.pk
    assert fee.clock.coordinating_org.code == "cgzf_ldgc"
    with pytest.raises(TransitionNotAllowed):
        step(green, "report_relocation", psb_staff)  # once
    step(fee, "pay_fee", psb_staff)
    fee.refresh_from_db()
    assert fee.state == "granted" and fee.clock.finished_at is not None


def test_the_task_audit_trail_is_append_only(psb_staff, window_user):
    application = case_in_state("approving", road_excavation=True, staff=psb_staff)
    entry = TaskAuditEntry.objects.filter(task__application=application).first()
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        TaskAuditEntry.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE approvals_taskauditentry SET reason = 'x' WHERE id = %s", [entry.pk])
