"""The clock service the case apps call (docs/contracts.md, "deadlines → used by ...").

Every function is keyword-only, takes the instant ``at`` from its caller, locks the clock rows it
changes and writes a ``ClockEvent``. A missing official calendar year never blocks: the due date is
computed on the provisional calendar, flagged ``provisional`` and recomputed when the year is entered.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .calendar import (
    add_working_days_lenient,
    end_of_day,
    local_date,
    start_of_day,
    working_days_between_lenient,
)
from .models import LEVEL_RANK, ClockEvent, CreditRecord, Level, StageClock, StageCode
from .policy import CaseFacts, NoPolicyInForce, policy_in_force, rule_for_stage, rule_for_unit

__all__ = [
    "CaseFacts",
    "ClockError",
    "ClockAlreadyRunning",
    "ClockNotRunning",
    "ClockAlreadyPaused",
    "ClockNotPaused",
    "NoRuleApplies",
    "clock_start",
    "clock_finish",
    "clock_cancel",
    "clock_pause",
    "clock_resume",
    "clock_running",
    "part_clock_start",
    "part_clock_finish",
    "overall_start",
    "overall_update",
    "overall_finish",
    "clocks_for",
    "clocks_for_subjects",
    "clocks_recompute_provisional",
    "clocks_refit",
    "clocks_rejudge_finished",
    "level_at",
]


class ClockError(Exception):
    code = "clock_error"


class ClockAlreadyRunning(ClockError):
    """That stage of that subject already has an open clock."""

    code = "clock_already_running"


class NoRuleApplies(ClockError):
    """No rule of the policy in force covers that stage for these case facts."""

    code = "no_rule_applies"


class ClockNotRunning(ClockError):
    """No open clock to finish, pause or resume."""

    code = "clock_not_running"


class ClockAlreadyPaused(ClockError):
    """Every open clock of the subject is already paused."""

    code = "clock_already_paused"


class ClockNotPaused(ClockNotRunning):
    """Resume asked while no clock of the subject is paused."""

    code = "clock_not_paused"


_ONE_US = timedelta(microseconds=1)
LATE_EVIDENCE = gettext_noop(
    "{stage}：时限 {limit} 个工作日，应于 {due} 前办结，实际于 {done} 办结，超期 {late} 个工作日。"
)
OPEN = Q(finished_at__isnull=True, cancelled_at__isnull=True)


# --- Pure parts ------------------------------------------------------------------------------------------


def thresholds(clock: StageClock) -> list[tuple[str, datetime | None]]:
    return [
        (Level.WARNING, clock.warning_at),
        (Level.OVERDUE, clock.due_at),
        (Level.ESCALATED, clock.escalate_at),
    ]


def level_at(clock: StageClock, at: datetime) -> str:
    """The level the clock's instants give at ``at`` (ignores pauses: a paused clock keeps its level)."""
    level = Level.ON_TIME
    for candidate, instant in thresholds(clock):
        if instant is not None and instant <= at:
            level = candidate
    return level


def _next_check(clock: StageClock) -> datetime | None:
    if not clock.is_open or clock.is_paused:
        return None
    rank = LEVEL_RANK[clock.level]
    upcoming = [i for lvl, i in thresholds(clock) if i is not None and LEVEL_RANK[lvl] > rank]
    return min(upcoming) if upcoming else None


def _schedule(clock: StageClock, *, at: datetime) -> None:
    """Compute the instants from the start, the limit and the paused working days; set next_check_at.

    The level never rises here (the deadline pass raises it, with its warning); it falls when a
    pause or a recomputation moved the deadline later.
    """
    if clock.limit_working_days is None:
        clock.warning_at = clock.due_at = clock.escalate_at = None
        clock.provisional = False
    else:
        start = local_date(clock.started_at)
        n = clock.limit_working_days + clock.paused_working_days
        due = add_working_days_lenient(start, n)
        provisional = due.provisional
        clock.due_at = end_of_day(due.day)
        w = clock.warning_working_days
        if not w:
            clock.warning_at = None
        elif n - w + 1 <= 0:
            clock.warning_at = clock.started_at
        else:
            warn = add_working_days_lenient(start, n - w + 1)
            provisional |= warn.provisional
            clock.warning_at = max(clock.started_at, start_of_day(warn.day))
        if clock.escalation_working_days is None:
            clock.escalate_at = None
        else:
            esc = add_working_days_lenient(due.day, clock.escalation_working_days)
            provisional |= esc.provisional
            clock.escalate_at = end_of_day(esc.day)
        clock.provisional = provisional
    fresh = level_at(clock, at)
    if LEVEL_RANK[fresh] < LEVEL_RANK[clock.level]:
        clock.level = fresh
    clock.next_check_at = _next_check(clock)


def _subject_key(subject) -> tuple[ContentType, int]:
    if subject is None or subject.pk is None:
        raise ValueError("subject must be a saved model instance")
    return ContentType.objects.get_for_model(subject, for_concrete_model=False), subject.pk


def _open_clocks(subject, *, stage=None) -> QuerySet:
    """The subject's open clocks; ``stage`` one code or a collection of codes."""
    ct, pk = _subject_key(subject)
    qs = StageClock.objects.filter(OPEN, subject_type=ct, subject_id=pk)
    if isinstance(stage, str):
        qs = qs.filter(stage=stage)
    elif stage is not None:
        qs = qs.filter(stage__in=list(stage))
    return qs


def _event(clock, kind, at, actor=None, reason="", **data) -> ClockEvent:
    return ClockEvent(clock=clock, kind=kind, at=at, actor=actor, reason=reason[:300], data=data)


# --- Services --------------------------------------------------------------------------------------------


def _apply_rule(clock: StageClock, rule) -> None:
    clock.rule = rule
    clock.limit_working_days = rule.limit_working_days
    clock.warning_working_days = rule.warning_working_days
    clock.escalation_working_days = rule.escalation_working_days
    clock.responsible_org_id = rule.responsible_org_id
    clock.coordinating_org_id = rule.coordinating_org_id


_ANY_UNIT = object()


def _start(*, subject, stage, facts, policy_date, at, actor, assignee, unit=_ANY_UNIT) -> StageClock:
    try:
        policy = policy_in_force(policy_date)
    except NoPolicyInForce:
        raise NoRuleApplies(stage)
    if unit is _ANY_UNIT:
        rule = rule_for_stage(policy, facts, stage)
    else:
        rule = rule_for_unit(policy, facts, stage, unit)
    if rule is None:
        raise NoRuleApplies(stage)
    ct, pk = _subject_key(subject)
    with transaction.atomic():
        running = _open_clocks(subject, stage=stage)
        if unit is not _ANY_UNIT:
            running = running.filter(responsible_org_id=unit)
        if running.exists():
            raise ClockAlreadyRunning(stage)
        clock = StageClock(
            subject_type=ct, subject_id=pk, stage=stage, policy=policy, started_at=at, assignee=assignee
        )
        _apply_rule(clock, rule)
        _schedule(clock, at=at)
        try:
            with transaction.atomic():
                clock.save()
        except IntegrityError:
            raise ClockAlreadyRunning(stage)
        _event(clock, ClockEvent.Kind.STARTED, at, actor, limit=clock.limit_working_days).save()
    return clock


def clock_start(
    *, subject, stage, facts: CaseFacts, policy_date, at, actor=None, assignee=None
) -> StageClock:
    """Start ``stage`` for ``subject`` under the rules in force on ``policy_date``.

    Raises ClockAlreadyRunning when that stage is already open and NoRuleApplies when no rule covers it.
    Never raises for a missing calendar year: the clock is then ``provisional``.
    """
    if stage == StageCode.OVERALL:
        raise ValueError("use overall_start for the overall clock")
    return _start(
        subject=subject,
        stage=stage,
        facts=facts,
        policy_date=policy_date,
        at=at,
        actor=actor,
        assignee=assignee,
    )


def _close(clock: StageClock, *, at, actor) -> list[CreditRecord]:
    """Finish a locked open clock: fold a running pause in, judge it, credit-record a late finish."""
    if clock.is_paused:
        clock.paused_working_days += working_days_between_lenient(
            local_date(clock.paused_at), local_date(at)
        ).days
        clock.paused_at = None
        _schedule(clock, at=at)
    clock.finished_at = at
    span = working_days_between_lenient(local_date(clock.started_at), local_date(at))
    clock.elapsed_working_days = max(0, span.days - clock.paused_working_days)
    clock.level = max(clock.level, level_at(clock, at), key=LEVEL_RANK.__getitem__)
    clock.finished_late = clock.due_at is not None and at > clock.due_at
    clock.next_check_at = None
    clock.save()
    records = []
    days_late = _days_late(clock)
    if days_late:
        record = _late_record(clock, days_late, recorded_at=at, actor=actor)
        if record is not None:
            record.save()
            records.append(record)
    _event(clock, ClockEvent.Kind.FINISHED, at, actor, late=clock.finished_late, days_late=days_late).save()
    return records


def _days_late(clock: StageClock) -> int | None:
    """Working days a finished clock closed after its deadline (at least 1), None when on time."""
    if not clock.finished_late:
        return None
    last_day = local_date(clock.due_at - _ONE_US)  # the Nth working day; due_at is its 24:00
    return max(1, working_days_between_lenient(last_day, local_date(clock.finished_at)).days)


def _late_kind(clock: StageClock) -> str:
    if clock.stage == StageCode.OVERALL:
        return CreditRecord.Kind.OVERALL_LATE
    return CreditRecord.Kind.LATE_FINISH


def _late_evidence(clock: StageClock, days_late: int) -> str:
    return _(LATE_EVIDENCE).format(
        stage=clock.get_stage_display(),
        limit=clock.limit_working_days,
        due=f"{local_date(clock.due_at - _ONE_US):%Y-%m-%d} 24:00",
        done=timezone.localtime(clock.finished_at).strftime("%Y-%m-%d %H:%M"),
        late=days_late,
    )


def _late_record(clock: StageClock, days_late: int, *, recorded_at, actor) -> CreditRecord | None:
    """The credit record of a late finish (unsaved): against the responsible organisation; for a step the
    policy leaves to the applicant (its rule names no unit: a private green owner's consent, the green
    fee), against the case's applicant; None when the rule waives it or nobody is responsible."""
    credit = clock.rule.credit_on_late if clock.rule_id else True
    if not credit:
        return None
    against = {}
    if clock.responsible_org_id:
        against = {"organisation_id": clock.responsible_org_id}
    elif clock.rule_id and clock.rule.responsible_org_id is None:
        subject = clock.subject
        if getattr(subject, "customer_id", None):
            against = {"applicant_id": subject.customer_id, "applicant_name": subject.applicant_name}
    if not against:
        return None
    return CreditRecord(
        kind=_late_kind(clock),
        **against,
        clock=clock,
        subject_type_id=clock.subject_type_id,
        subject_id=clock.subject_id,
        stage=clock.stage,
        working_days_late=days_late,
        evidence=_late_evidence(clock, days_late),
        recorded_at=recorded_at,
        recorded_by=actor,
    )


def clock_finish(*, subject, stage, at, actor=None) -> StageClock:
    """Close the open clock of ``stage``. A late finish creates a CreditRecord (``_late_record``). Raises
    ClockNotRunning when that stage has no open clock."""
    with transaction.atomic():
        clock = _open_clocks(subject, stage=stage).select_for_update().first()
        if clock is None:
            raise ClockNotRunning(stage)
        _close(clock, at=at, actor=actor)
    return clock


def part_clock_start(
    *, subject, stage, organisation_id, facts: CaseFacts, policy_date, at, actor=None
) -> StageClock:
    """Start the clock of one unit's joint step ``stage`` (``organisation_id`` None: the applicant's own
    part) under that unit's rule. Raises ClockAlreadyRunning and NoRuleApplies as ``clock_start``."""
    return _start(
        subject=subject,
        stage=stage,
        facts=facts,
        policy_date=policy_date,
        at=at,
        actor=actor,
        assignee=None,
        unit=organisation_id,
    )


def part_clock_finish(*, subject, stage, organisation_id, at, actor=None) -> StageClock:
    """Close one unit's clock of a joint step; late, a credit record against that unit.
    Raises ClockNotRunning when it has none open."""
    with transaction.atomic():
        clock = (
            _open_clocks(subject, stage=stage)
            .filter(responsible_org_id=organisation_id)
            .select_for_update()
            .first()
        )
        if clock is None:
            raise ClockNotRunning(stage)
        _close(clock, at=at, actor=actor)
    return clock


def clock_running(subject, stage) -> bool:
    """Whether ``stage`` of ``subject`` has an open clock."""
    return _open_clocks(subject, stage=stage).exists()


def clock_cancel(*, subject, at, actor=None, reason="", stage=None) -> list[StageClock]:
    """Close open clocks (of ``stage``, one code or several, or all, the overall one included) without
    judging them."""
    with transaction.atomic():
        clocks = list(_open_clocks(subject, stage=stage).select_for_update())
        for clock in clocks:
            clock.cancelled_at = at
            clock.cancel_reason = reason[:300]
            clock.next_check_at = None
        StageClock.objects.bulk_update(clocks, ["cancelled_at", "cancel_reason", "next_check_at"])
        ClockEvent.objects.bulk_create(
            [_event(c, ClockEvent.Kind.CANCELLED, at, actor, reason) for c in clocks]
        )
    return clocks


def clock_pause(*, subject, reason, actor, at, stage=None) -> list[StageClock]:
    """Pause every running clock of the subject (暂停计时), the overall one included; with ``stage``,
    only that stage's clock (a permit returned to the applicant for correction).

    Raises ClockNotRunning when nothing is open, ClockAlreadyPaused when every open clock is paused.
    """
    if not reason:
        raise ValueError("a pause needs a reason")
    with transaction.atomic():
        clocks = list(_open_clocks(subject, stage=stage).select_for_update())
        if not clocks:
            raise ClockNotRunning()
        running = [c for c in clocks if not c.is_paused]
        if not running:
            raise ClockAlreadyPaused()
        for clock in running:
            clock.paused_at = at
            clock.next_check_at = None
        StageClock.objects.bulk_update(running, ["paused_at", "next_check_at"])
        ClockEvent.objects.bulk_create(
            [_event(c, ClockEvent.Kind.PAUSED, at, actor, reason) for c in running]
        )
    return running


def clock_resume(*, subject, actor, at, stage=None, keep_paused=()) -> list[StageClock]:
    """Resume the paused clocks (with ``stage``, only that stage's; stages in ``keep_paused`` stay
    paused); each due date moves by the working days paused (start day not counted).

    Raises ClockNotRunning when nothing is open, ClockNotPaused when nothing is paused.
    """
    with transaction.atomic():
        clocks = list(_open_clocks(subject, stage=stage).select_for_update())
        if not clocks:
            raise ClockNotRunning()
        paused = [c for c in clocks if c.is_paused and c.stage not in keep_paused]
        if not paused:
            raise ClockNotPaused()
        events = []
        for clock in paused:
            days = working_days_between_lenient(local_date(clock.paused_at), local_date(at)).days
            clock.paused_working_days += days
            clock.paused_at = None
            _schedule(clock, at=at)
            events.append(_event(clock, ClockEvent.Kind.RESUMED, at, actor, paused_working_days=days))
        StageClock.objects.bulk_update(paused, _SCHEDULE_FIELDS + ["paused_at", "paused_working_days"])
        ClockEvent.objects.bulk_create(events)
    return paused


_SCHEDULE_FIELDS = ["warning_at", "due_at", "escalate_at", "next_check_at", "level", "provisional"]


def overall_start(*, subject, facts: CaseFacts, policy_date, at, actor=None) -> StageClock:
    """Start the overall clock (submission to power-on, customer time excluded) against the overall
    commitment for these facts (LV without external works 5, with external works 30 working days)."""
    return _start(
        subject=subject,
        stage=StageCode.OVERALL,
        facts=facts,
        policy_date=policy_date,
        at=at,
        actor=actor,
        assignee=None,
    )


def overall_update(*, subject, facts: CaseFacts, at=None) -> StageClock:
    """Re-judge the overall commitment once the supply plan says whether there are external works."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = _open_clocks(subject, stage=StageCode.OVERALL).select_for_update().first()
        if clock is None:
            raise ClockNotRunning(StageCode.OVERALL)
        rule = rule_for_stage(clock.policy, facts, StageCode.OVERALL)
        if rule is None:
            raise NoRuleApplies(StageCode.OVERALL)
        if rule.pk != clock.rule_id:
            before = clock.limit_working_days
            _apply_rule(clock, rule)
            _schedule(clock, at=at)
            clock.save()
            _event(
                clock,
                ClockEvent.Kind.RECOMPUTED,
                at,
                None,
                limit_before=before,
                limit=clock.limit_working_days,
            ).save()
    return clock


def clocks_refit(*, subject, facts: CaseFacts, at, actor=None) -> list[StageClock]:
    """The case's facts were corrected (applicant type, voltage, sources): every open clock takes the
    rule of its stage for the new facts (limit, units, thresholds) and its instants are computed again.
    A stage no rule covers any more keeps its clock. Returns the clocks that changed."""
    changed = []
    with transaction.atomic():
        for clock in _open_clocks(subject).select_related("policy").select_for_update(of=("self",)):
            rule = rule_for_stage(clock.policy, facts, clock.stage)
            if rule is None or rule.pk == clock.rule_id:
                continue
            before, due_before = clock.limit_working_days, clock.due_at
            _apply_rule(clock, rule)
            _schedule(clock, at=at)
            clock.save()
            _recomputed(
                clock, at, actor, due_before=due_before, limit_before=before, limit=clock.limit_working_days
            ).save()
            changed.append(clock)
    return changed


def overall_finish(*, subject, at, actor=None) -> StageClock:
    return clock_finish(subject=subject, stage=StageCode.OVERALL, at=at, actor=actor)


def clocks_recompute_provisional(*, at=None, actor=None, year=None) -> int:
    """Recompute every open provisional clock after an official year was entered, and, when ``year`` is
    given (a year's data was corrected), every open clock whose instants reach into that year.
    Returns the count."""
    at = at or timezone.now()
    affected = Q(provisional=True)
    if year is not None:
        since = start_of_day(date(year, 1, 1))
        affected |= Q(due_at__gte=since) | Q(escalate_at__gte=since)
    with transaction.atomic():
        clocks = list(StageClock.objects.filter(OPEN).filter(affected).select_for_update())
        events = []
        for clock in clocks:
            before = clock.due_at
            _schedule(clock, at=at)
            events.append(_recomputed(clock, at, actor, due_before=before))
        StageClock.objects.bulk_update(clocks, _SCHEDULE_FIELDS, batch_size=500)
        ClockEvent.objects.bulk_create(events, batch_size=500)
    return len(clocks) + clocks_rejudge_finished(at=at, actor=actor)


def _recomputed(clock, at, actor, *, due_before, **data) -> ClockEvent:
    """The event of a clock whose deadline was computed again (from ``due_before``)."""
    return _event(
        clock,
        ClockEvent.Kind.RECOMPUTED,
        at,
        actor,
        due_before=due_before.isoformat() if due_before else None,
        due=clock.due_at.isoformat() if clock.due_at else None,
        **data,
    )


REJUDGED_REASON = gettext_noop("官方节假日安排录入后按官方日历重新计算：按时办结。")


def clocks_rejudge_finished(*, at=None, actor=None) -> int:
    """Judge again the clocks that finished against a provisional deadline, now that the official
    calendar is known. (A year's official data corrected later moves the open clocks only: judging every
    finished clock of a year again would take minutes in the administrator's request.)

    A verdict that changes is written down as an event of the clock. Late where it was on time: a credit
    record against the responsible organisation, as a late finish makes. On time where it was late: the
    record is corrected (更正) with the reason. Still late by another number of days: the record's days
    and evidence follow. A record already corrected is left alone. Returns the count of clocks whose
    deadline or verdict changed.
    """
    at = at or timezone.now()
    changed, official = 0, []
    with transaction.atomic():
        clocks = StageClock.objects.filter(
            finished_at__isnull=False, cancelled_at__isnull=True, provisional=True
        )
        for clock in clocks.select_related("rule").select_for_update(of=("self",)):
            due_before, late_before, days_before = clock.due_at, clock.finished_late, _days_late(clock)
            _schedule(clock, at=clock.finished_at)
            clock.next_check_at = None
            clock.level = level_at(clock, clock.finished_at)
            clock.finished_late = clock.due_at is not None and clock.finished_at > clock.due_at
            days_late = _days_late(clock)
            if clock.due_at == due_before and days_late == days_before:
                if clock.provisional is False:
                    official.append(clock.pk)
                continue
            changed += 1
            clock.save(update_fields=[*_SCHEDULE_FIELDS, "finished_late"])
            existing = CreditRecord.objects.filter(clock=clock, kind=_late_kind(clock)).first()
            record = existing if existing and existing.state == CreditRecord.State.ACTIVE else None
            if days_late and existing is None:
                made = _late_record(clock, days_late, recorded_at=at, actor=actor)
                if made is not None:
                    made.save()
            elif record is not None and not days_late:
                record.state = CreditRecord.State.CORRECTED
                record.corrected_at, record.corrected_by = at, actor
                record.correction_reason = str(_(REJUDGED_REASON))
                record.save(update_fields=["state", "corrected_at", "corrected_by", "correction_reason"])
            elif record is not None:
                record.working_days_late = days_late
                record.evidence = _late_evidence(clock, days_late)
                record.save(update_fields=["working_days_late", "evidence"])
            _recomputed(
                clock,
                at,
                actor,
                due_before=due_before,
                late_before=late_before,
                late=clock.finished_late,
                days_late=days_late,
            ).save()
        StageClock.objects.filter(pk__in=official).update(provisional=False)
    return changed


# --- Selectors -------------------------------------------------------------------------------------------


def clocks_for(subject) -> QuerySet:
    """Every clock of ``subject``, ordered by start."""
    ct, pk = _subject_key(subject)
    return StageClock.objects.filter(subject_type=ct, subject_id=pk).order_by("started_at", "id")


def clocks_for_subjects(model, ids) -> dict[int, list[StageClock]]:
    """Clocks of many subjects of one model in one query, for list pages: {id: [clocks by start]}."""
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    found = defaultdict(list)
    for clock in StageClock.objects.filter(subject_type=ct, subject_id__in=list(ids)).order_by(
        "started_at", "id"
    ):
        found[clock.subject_id].append(clock)
    return {pk: found.get(pk, []) for pk in ids}
