"""Writers of the deadlines app other than the clocks (``deadlines.clocks``) and the pass
(``deadlines.passes``): the calendar years, policy rule audit, credit record corrections."""

from django.db import transaction
from django.forms.models import model_to_dict

from . import statutory
from .calendar_rows import calendar_extend_provisional, calendar_renumber, write_year
from .clocks import clocks_recompute_provisional
from .models import (
    CalendarSource,
    CalendarYear,
    CreditRecord,
    PolicyRule,
    PolicyRuleChange,
)


class CalendarDataInvalid(ValueError):
    code = "calendar_data_invalid"


# --- Calendar ----------------------------------------------------------------------------------------------


@transaction.atomic
def calendar_year_enter(
    *,
    year: int,
    holiday_ranges: str,
    makeup_days: str,
    notice_title: str = "",
    actor=None,
    at=None,
    source: str = CalendarSource.NOTICE,
    rows=None,
) -> CalendarYear:
    """Enter a year's official arrangement (国务院办公厅关于部分节假日安排的通知).

    Rebuilds that year's rows and every later ordinal, then recomputes every provisional clock.
    Raises CalendarDataInvalid for unreadable lines or dates outside the year.
    """
    if rows is None:
        try:
            rows = statutory.notice_days(year, holiday_ranges, makeup_days)
        except ValueError as exc:
            raise CalendarDataInvalid(str(exc))
    last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first()
    if last is not None and year > last + 1:
        calendar_extend_provisional(years=year - last - 1)
    entry = CalendarYear.objects.select_for_update().filter(year=year).first() or CalendarYear(year=year)
    entry.source = source
    entry.notice_title = notice_title
    entry.holiday_ranges = holiday_ranges
    entry.makeup_days = makeup_days
    entry.entered_by = actor
    entry.entered_at = at
    entry.save()
    write_year(year, rows, provisional=False)
    calendar_renumber(from_year=year)
    clocks_recompute_provisional(at=at, actor=actor, year=year)
    return entry


def calendar_import_package(*, year: int, actor=None, at=None) -> CalendarYear:
    """Take a year from the installed chinese-calendar package (raises CalendarDataInvalid if unknown)."""
    if not statutory.package_knows(year):
        raise CalendarDataInvalid(f"chinese-calendar 没有 {year} 年的数据")
    rows = statutory.official_package_days(year)
    holidays = "\n".join(
        f"{d:%Y-%m-%d} {note}" for d, working, note in rows if not working and d.weekday() < 5
    )
    makeup = "\n".join(f"{d:%Y-%m-%d} {note}" for d, working, note in rows if working and d.weekday() >= 5)
    return calendar_year_enter(
        year=year,
        holiday_ranges=holidays,
        makeup_days=makeup,
        notice_title="chinese-calendar",
        actor=actor,
        at=at,
        source=CalendarSource.PACKAGE,
        rows=rows,
    )


# --- Policy rules ------------------------------------------------------------------------------------------


def _rule_snapshot(rule: PolicyRule) -> dict:
    data = model_to_dict(rule)
    return {
        k: (str(v) if v is not None and not isinstance(v, bool | int | str) else v) for k, v in data.items()
    }


def policy_rule_save(*, rule: PolicyRule, actor, at, reason: str = "") -> PolicyRule:
    """Create or change a rule and write its audit row. Running clocks keep their own copy of the limit."""
    with transaction.atomic():
        before = None
        if rule.pk:
            old = PolicyRule.objects.select_for_update().get(pk=rule.pk)
            before = _rule_snapshot(old)
        rule.save()
        after = _rule_snapshot(rule)
        if before != after:
            PolicyRuleChange.objects.create(
                rule_id_ref=rule.pk,
                policy=rule.policy,
                action=PolicyRuleChange.Action.UPDATE if before else PolicyRuleChange.Action.CREATE,
                actor=actor,
                at=at,
                before=before,
                after=after,
                reason=reason,
            )
    return rule


def policy_rule_delete(*, rule: PolicyRule, actor, at, reason: str = "") -> None:
    with transaction.atomic():
        PolicyRuleChange.objects.create(
            rule_id_ref=rule.pk,
            policy=rule.policy,
            action=PolicyRuleChange.Action.DELETE,
            actor=actor,
            at=at,
            before=_rule_snapshot(rule),
            after=None,
            reason=reason,
        )
        rule.delete()


# --- Credit records ----------------------------------------------------------------------------------------


class CreditRecordAlreadyCorrected(ValueError):
    code = "credit_record_already_corrected"


def credit_record_correct(*, record_id: int, actor, at, reason: str) -> CreditRecord:
    """The correction path: a record shown wrong is marked corrected (kept, never deleted)."""
    with transaction.atomic():
        record = CreditRecord.objects.select_for_update().get(pk=record_id)
        if record.state == CreditRecord.State.CORRECTED:
            raise CreditRecordAlreadyCorrected(record_id)
        record.state = CreditRecord.State.CORRECTED
        record.corrected_at = at
        record.corrected_by = actor
        record.correction_reason = reason
        record.save(update_fields=["state", "corrected_at", "corrected_by", "correction_reason"])
    return record
