"""The clock service: due dates on the calendar, pauses, provisional years, late finishes."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from deadlines import clocks
from deadlines.calendar import add_working_days, end_of_day
from deadlines.clocks import (
    ClockAlreadyPaused,
    ClockAlreadyRunning,
    ClockNotPaused,
    ClockNotRunning,
    NoRuleApplies,
    clock_cancel,
    clock_finish,
    clock_pause,
    clock_resume,
    clock_start,
    clocks_for,
    clocks_for_subjects,
    overall_finish,
    overall_start,
    overall_update,
)
from deadlines.models import ClockEvent, CreditRecord, PolicyDocument, PolicyRule
from deadlines.services import calendar_year_enter, policy_rule_save
from deadlines.statutory import official_package_days

from .conftest import HV_DUAL, LV, LV_EXTERNAL_ROAD, sh

pytestmark = pytest.mark.django_db

POLICY_DATE = date(2025, 3, 3)


def start(subject, stage="accept", facts=LV, at=None, policy_date=POLICY_DATE, **kw):
    return clock_start(
        subject=subject, stage=stage, facts=facts, policy_date=policy_date, at=at or sh(2025, 3, 3, 10), **kw
    )


def test_due_at_end_of_the_nth_working_day_with_warning_and_escalation_instants(subject):
    clock = start(subject)  # Monday 10:00, 1 working day
    assert clock.limit_working_days == 1
    assert clock.due_at == sh(2025, 3, 5)  # 24:00 Tuesday
    assert clock.warning_at == sh(2025, 3, 4)  # from the start of the last working day
    assert clock.escalate_at == sh(2025, 3, 8)  # overdue by 3 working days: end of Friday
    assert clock.next_check_at == clock.warning_at
    assert clock.level == "on_time" and clock.provisional is False
    assert (clock.responsible_org.code, clock.coordinating_org.code) == ("psb", "gxj")
    assert clock.events.get().kind == ClockEvent.Kind.STARTED


def test_long_limits_skip_holidays(subject):
    clock = start(subject, stage="plan_reply", facts=HV_DUAL, at=sh(2025, 9, 15, 9))
    assert clock.due_at == end_of_day(add_working_days(date(2025, 9, 15), 30))
    # 国庆 2025 (1–8 October off, 28 September and 11 October worked) sits inside the 30 days.
    assert clock.due_at == end_of_day(date(2025, 10, 31))


def test_a_stage_started_on_a_holiday(subject):
    clock = start(subject, at=sh(2024, 10, 2, 11), policy_date=date(2024, 10, 2))
    assert clock.due_at == sh(2024, 10, 9)  # end of 8 October, the first working day after 国庆
    assert clock.warning_at == sh(2024, 10, 8)


def test_pause_and_resume_move_the_due_date_by_the_paused_working_days(subject, customer, psb_staff):
    clock = start(subject, stage="plan_reply")  # Monday 3 March 10:00, 2 working days: due end of Wed 5th
    overall = overall_start(subject=subject, facts=LV, policy_date=POLICY_DATE, at=sh(2025, 3, 3, 10))
    assert clock.due_at == sh(2025, 3, 6)
    assert overall.due_at == end_of_day(date(2025, 3, 10))
    paused = clock_pause(subject=subject, reason="资料不全，退回补正", actor=psb_staff, at=sh(2025, 3, 4, 9))
    assert {c.stage for c in paused} == {"plan_reply", "overall"}
    clock.refresh_from_db()
    assert clock.paused_at == sh(2025, 3, 4, 9) and clock.next_check_at is None
    with pytest.raises(ClockAlreadyPaused):
        clock_pause(subject=subject, reason="again", actor=psb_staff, at=sh(2025, 3, 4, 10))
    clock_resume(subject=subject, actor=customer, at=sh(2025, 3, 7, 15))  # Friday: 5, 6, 7 March paused
    clock.refresh_from_db()
    assert clock.paused_working_days == 3
    assert clock.due_at == sh(2025, 3, 11)  # end of Monday 10 March
    assert clock.next_check_at == clock.warning_at == sh(2025, 3, 10)
    overall.refresh_from_db()
    assert overall.due_at == end_of_day(date(2025, 3, 13))
    with pytest.raises(ClockNotPaused):
        clock_resume(subject=subject, actor=customer, at=sh(2025, 3, 7, 16))
    pause_event = clock.events.get(kind=ClockEvent.Kind.PAUSED)
    assert pause_event.actor == psb_staff and pause_event.reason == "资料不全，退回补正"


def test_pause_over_a_weekend_counts_only_working_days(subject, psb_staff):
    clock = start(subject, stage="plan_reply", at=sh(2025, 3, 6, 10))  # Thursday: due end of Mon 10th
    assert clock.due_at == sh(2025, 3, 11)
    clock_pause(subject=subject, reason="客户要求延期", actor=psb_staff, at=sh(2025, 3, 7, 16))
    clock_resume(subject=subject, actor=psb_staff, at=sh(2025, 3, 9, 20))  # Sunday
    clock.refresh_from_db()
    assert clock.paused_working_days == 0
    assert clock.due_at == sh(2025, 3, 11)


def test_errors_are_named(subject):
    start(subject)
    with pytest.raises(ClockAlreadyRunning):
        start(subject)
    with pytest.raises(NoRuleApplies):
        start(subject, stage="design", facts=LV)  # LV without external works has no design stage
    with pytest.raises(NoRuleApplies):
        start(subject, stage="accept", policy_date=date(2019, 1, 1))
    with pytest.raises(ClockNotRunning):
        clock_finish(subject=subject, stage="plan_reply", at=sh(2025, 3, 4))
    clock_cancel(subject=subject, at=sh(2025, 3, 4), reason="客户撤回")
    with pytest.raises(ClockNotRunning):
        clock_pause(subject=subject, reason="x", actor=None, at=sh(2025, 3, 4))
    with pytest.raises(ClockNotRunning):
        clock_resume(subject=subject, actor=None, at=sh(2025, 3, 4))


def test_cancel_closes_without_judging(subject):
    start(subject)
    overall_start(subject=subject, facts=LV, policy_date=POLICY_DATE, at=sh(2025, 3, 3, 10))
    cancelled = clock_cancel(subject=subject, at=sh(2025, 3, 20), reason="终止")
    assert len(cancelled) == 2
    assert all(
        c.cancelled_at and c.next_check_at is None and not c.finished_late for c in clocks_for(subject)
    )
    assert not CreditRecord.objects.exists()
    # A new clock of the same stage may start after a cancel.
    start(subject, at=sh(2025, 3, 21, 9))


def test_on_time_finish_records_elapsed_working_days(subject):
    start(subject, stage="plan_reply")
    clock = clock_finish(subject=subject, stage="plan_reply", at=sh(2025, 3, 5, 17))
    assert clock.finished_late is False and clock.elapsed_working_days == 2
    assert clock.next_check_at is None
    assert not CreditRecord.objects.exists()


def test_a_late_finish_creates_a_credit_record_against_the_responsible_organisation(subject, psb_staff):
    start(subject)  # due end of Tuesday 4 March
    clock = clock_finish(subject=subject, stage="accept", at=sh(2025, 3, 7, 9), actor=psb_staff)
    assert clock.finished_late is True and clock.level == "overdue"
    record = CreditRecord.objects.get()
    assert record.organisation.code == "psb" and record.kind == "late_finish"
    assert record.clock == clock and record.working_days_late == 3
    assert record.subject_id == subject.pk and "超期 3 个工作日" in record.evidence


def test_a_december_2026_case_gets_provisional_clocks_recomputed_when_2027_is_entered(subject, admin_user):
    at = sh(2026, 12, 21, 10)
    clock = clock_start(subject=subject, stage="plan_reply", facts=HV_DUAL, policy_date=at.date(), at=at)
    assert clock.provisional is True
    # 8 working days left in 2026; provisional 2027 has 1 January off, then 22 more: 2 February.
    assert clock.due_at == end_of_day(date(2027, 2, 2))
    _enter_2027(
        "2027-01-01 2027-01-03 元旦\n2027-02-05 2027-02-12 春节",
        "2027-01-30\n2027-02-20",
        actor=admin_user,
        at=sh(2026, 12, 22, 9),
    )
    clock.refresh_from_db()
    assert clock.provisional is False
    assert clock.due_at == end_of_day(add_working_days(date(2026, 12, 21), 30))
    assert clock.due_at == end_of_day(date(2027, 2, 1))  # the Saturday 30 January make-up day counts
    assert clock.events.filter(kind=ClockEvent.Kind.RECOMPUTED).count() == 1


def test_a_policy_change_does_not_move_a_running_case(subject, another_subject, admin_user):
    running = start(subject, at=sh(2025, 6, 3, 10), policy_date=date(2025, 5, 20))
    newer = PolicyDocument.objects.create(
        code="v2025",
        title="新政策",
        effective_from=date(2025, 6, 1),
        lv_small_micro_max_kva=160,
        zero_investment_max_kva=160,
    )
    old_rule = PolicyRule.objects.get(policy__code="hohhot-2020", stage="accept")
    PolicyRule.objects.create(
        policy=newer,
        stage="accept",
        limit_working_days=3,
        responsible_org=old_rule.responsible_org,
        coordinating_org=old_rule.coordinating_org,
    )
    # A case submitted before 1 June keeps the 2020 rules, even for stages started later.
    later = start(subject, stage="plan_reply", at=sh(2025, 6, 9, 10), policy_date=date(2025, 5, 20))
    assert later.policy.code == "hohhot-2020"
    new_case = start(another_subject, at=sh(2025, 6, 3, 10), policy_date=date(2025, 6, 2))
    assert new_case.limit_working_days == 3 and new_case.policy == newer
    # Editing the old rule in the admin does not move the running clock either.
    old_rule.limit_working_days = 5
    policy_rule_save(rule=old_rule, actor=admin_user, at=sh(2025, 6, 3, 11))
    running.refresh_from_db()
    assert running.limit_working_days == 1 and running.due_at == sh(2025, 6, 5)


def test_overall_clock_follows_the_supply_plan(subject):
    overall = overall_start(subject=subject, facts=LV, policy_date=POLICY_DATE, at=sh(2025, 3, 3, 10))
    assert overall.limit_working_days == 5
    overall = overall_update(subject=subject, facts=LV_EXTERNAL_ROAD, at=sh(2025, 3, 5, 10))
    assert overall.limit_working_days == 30
    assert overall.due_at == end_of_day(add_working_days(date(2025, 3, 3), 30))
    done = overall_finish(subject=subject, at=sh(2025, 4, 1, 10))
    assert done.finished_late is False and done.elapsed_working_days == 21


def test_clocks_for_subjects_reads_in_one_query(subject, another_subject, django_assert_num_queries):
    start(subject)
    start(another_subject)
    start(another_subject, stage="plan_reply")
    model = get_user_model()
    clocks.clocks_for_subjects(model, [subject.pk])  # warms the ContentType cache
    with django_assert_num_queries(1):
        found = clocks_for_subjects(model, [subject.pk, another_subject.pk, 999999])
    assert [c.stage for c in found[another_subject.pk]] == ["accept", "plan_reply"]
    assert found[999999] == [] and len(found[subject.pk]) == 1


def test_correcting_an_official_year_recomputes_the_clocks_reaching_into_it(subject, admin_user):
    clock = start(
        subject, stage="plan_reply", facts=HV_DUAL, at=sh(2026, 9, 21, 10), policy_date=date(2026, 9, 21)
    )
    assert clock.provisional is False
    before = clock.due_at
    # Suppose the 2026 notice is corrected: one more day off, Thursday 8 October.
    rows = official_package_days(2026)
    holidays = [f"{d} {n}" for d, working, n in rows if not working and d.weekday() < 5] + [
        "2026-10-08 国庆节"
    ]
    makeup = [f"{d}" for d, working, _n in rows if working and d.weekday() >= 5]
    calendar_year_enter(
        year=2026,
        holiday_ranges="\n".join(holidays),
        makeup_days="\n".join(makeup),
        actor=admin_user,
        at=sh(2026, 9, 22, 9),
    )
    clock.refresh_from_db()
    assert clock.due_at == end_of_day(add_working_days(date(2026, 9, 21), 30))
    assert clock.due_at > before


def _enter_2027(holidays, makeup, *, actor, at):
    """The administrator enters the 2027 notice (holiday ranges and make-up days, a line each)."""
    calendar_year_enter(year=2027, holiday_ranges=holidays, makeup_days=makeup, actor=actor, at=at)


def _finished_across_the_new_year(subject, psb_staff, finished):
    """A supply plan for an HV dual-source case started 21 December 2026 (30 working days), judged on the
    provisional 2027 calendar: due at the end of 2 February 2027."""
    at = sh(2026, 12, 21, 10)
    clock = clock_start(subject=subject, stage="plan_reply", facts=HV_DUAL, policy_date=at.date(), at=at)
    assert clock.provisional is True and clock.due_at == end_of_day(date(2027, 2, 2))
    return clock_finish(subject=subject, stage="plan_reply", at=finished, actor=psb_staff)


def test_a_finish_judged_on_time_provisionally_is_late_on_the_official_calendar(
    subject, psb_staff, admin_user
):
    clock = _finished_across_the_new_year(subject, psb_staff, finished=sh(2027, 2, 2, 10))
    assert clock.finished_late is False and not CreditRecord.objects.exists()
    # The notice makes Saturday 30 January a working day: due at the end of 1 February instead.
    _enter_2027("2027-01-01 2027-01-03 元旦", "2027-01-30", actor=admin_user, at=sh(2027, 2, 3, 9))
    clock.refresh_from_db()
    assert clock.provisional is False and clock.due_at == end_of_day(date(2027, 2, 1))
    assert clock.finished_late is True and clock.level == "overdue"
    record = CreditRecord.objects.get()
    assert record.clock == clock and record.organisation.code == "psb" and record.working_days_late == 1
    assert "2027-02-01 24:00" in record.evidence and record.recorded_at == sh(2027, 2, 3, 9)
    event = clock.events.get(kind=ClockEvent.Kind.RECOMPUTED)
    assert event.data["late_before"] is False and event.data["late"] is True
    # Entering the same year again changes nothing more.
    _enter_2027("2027-01-01 2027-01-03 元旦", "2027-01-30", actor=admin_user, at=sh(2027, 2, 4, 9))
    assert (
        CreditRecord.objects.count() == 1
        and clock.events.filter(kind=ClockEvent.Kind.RECOMPUTED).count() == 1
    )


def test_a_finish_judged_late_provisionally_is_on_time_on_the_official_calendar(
    subject, psb_staff, admin_user
):
    clock = _finished_across_the_new_year(subject, psb_staff, finished=sh(2027, 2, 3, 10))
    record = CreditRecord.objects.get()
    assert clock.finished_late is True and record.state == CreditRecord.State.ACTIVE
    # The notice gives Monday 4 January off too: due at the end of 3 February, and the finish was on time.
    _enter_2027("2027-01-01 2027-01-04 元旦", "", actor=admin_user, at=sh(2027, 2, 5, 9))
    clock.refresh_from_db()
    record.refresh_from_db()
    assert clock.due_at == end_of_day(date(2027, 2, 3)) and clock.finished_late is False
    assert clock.level == "warning"  # it finished on its last working day
    assert record.state == CreditRecord.State.CORRECTED and record.corrected_at == sh(2027, 2, 5, 9)
    assert record.corrected_by == admin_user and "按时办结" in record.correction_reason
