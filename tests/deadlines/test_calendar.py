"""The working-day calendar: official years from chinese-calendar, the provisional year, counting."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from deadlines import calendar
from deadlines.calendar import CalendarYearMissing, add_working_days, is_working_day, working_days_between
from deadlines.models import CalendarDay, CalendarSource, CalendarYear
from deadlines.services import CalendarDataInvalid, calendar_import_package, calendar_year_enter
from deadlines.statutory import provisional_days, statutory_holidays

pytestmark = pytest.mark.django_db


def test_every_seeded_official_day_agrees_with_chinese_calendar():
    rows = dict(CalendarDay.objects.filter(date__year__lte=2026).values_list("date", "is_working"))
    assert min(rows) == date(2004, 1, 1) and max(rows) == date(2026, 12, 31)
    assert len(rows) == (date(2027, 1, 1) - date(2004, 1, 1)).days
    wrong = [d for d, working in rows.items() if working != chinese_calendar.is_workday(d)]
    assert wrong == []


@pytest.mark.parametrize(
    "day",
    [
        "2024-02-04",
        "2024-02-18",
        "2025-01-26",
        "2025-02-08",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ],
)
def test_make_up_weekends_are_working_days(day):
    assert is_working_day(date.fromisoformat(day)) is True


@pytest.mark.parametrize(
    "day", ["2024-02-12", "2025-01-28", "2025-02-04", "2025-10-08", "2026-01-02", "2026-10-07"]
)
def test_holidays_on_weekdays_are_off(day):
    assert is_working_day(date.fromisoformat(day)) is False


def test_ordinals_make_elapsed_working_days_a_subtraction():
    days = {d.date: d for d in CalendarDay.objects.filter(date__range=(date(2025, 1, 20), date(2025, 2, 10)))}
    assert (
        days[date(2025, 2, 5)].ordinal - days[date(2025, 1, 24)].ordinal == 3
    )  # 26 Jan (调休), 27 Jan, 5 Feb
    # A day off carries the ordinal of the last working day before it.
    assert days[date(2025, 1, 30)].ordinal == days[date(2025, 1, 27)].ordinal


def test_add_working_days_across_spring_festival_and_make_up_sunday():
    assert add_working_days(date(2025, 1, 24), 1) == date(2025, 1, 26)  # Sunday, 调休 working day
    assert add_working_days(date(2025, 1, 24), 2) == date(2025, 1, 27)
    assert add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)  # 28 Jan – 4 Feb off
    assert working_days_between(date(2025, 1, 24), date(2025, 2, 5)) == 3


def test_start_day_is_not_counted_and_zero_gives_start():
    assert add_working_days(date(2025, 3, 3), 1) == date(2025, 3, 4)  # Monday -> Tuesday
    assert add_working_days(date(2025, 3, 7), 1) == date(2025, 3, 10)  # Friday -> Monday
    assert add_working_days(date(2025, 3, 3), 0) == date(2025, 3, 3)
    assert working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    assert working_days_between(date(2025, 3, 7), date(2025, 3, 3)) == 0


def test_start_on_a_holiday_counts_from_the_next_working_day():
    # 国庆 2024: 1–7 October off. Started on 1 October, the first working day after it is 8 October.
    assert add_working_days(date(2024, 10, 1), 1) == date(2024, 10, 8)
    assert add_working_days(date(2024, 10, 3), 2) == date(2024, 10, 9)
    # 国庆 2026 is followed by the Saturday 10 October make-up day.
    assert add_working_days(date(2026, 10, 1), 3) == date(2026, 10, 10)


def test_year_boundary_with_new_year_holiday_and_make_up_sunday():
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert add_working_days(date(2025, 12, 31), 2) == date(2026, 1, 5)
    assert working_days_between(date(2025, 12, 30), date(2026, 1, 5)) == 3


def test_a_year_without_official_data_raises_the_named_error():
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.PROVISIONAL
    with pytest.raises(CalendarYearMissing) as exc:
        is_working_day(date(2027, 1, 4))
    assert exc.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        add_working_days(date(2026, 12, 10), 20)  # lands in 2027
    with pytest.raises(CalendarYearMissing):
        working_days_between(date(2026, 12, 1), date(2027, 1, 5))
    with pytest.raises(CalendarYearMissing):
        is_working_day(date(2003, 12, 31))
    # Within 2026 nothing is missing.
    assert add_working_days(date(2026, 12, 10), 10) == date(2026, 12, 24)


def test_provisional_2027_has_the_statutory_holidays_of_the_2024_revision():
    holidays = statutory_holidays(2027)
    named = dict(holidays)
    spring = [d for d, name in holidays if name == "春节"]
    assert sorted(spring) == [
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]  # 除夕–初三
    assert named[date(2027, 4, 5)] == "清明节"
    assert named[date(2027, 6, 9)] == "端午节"
    assert named[date(2027, 9, 15)] == "中秋节"
    assert {d for d, n in holidays if n == "劳动节"} == {date(2027, 5, 1), date(2027, 5, 2)}
    assert {d for d, n in holidays if n == "国庆节"} == {date(2027, 10, d) for d in (1, 2, 3)}
    rows = {d: working for d, working, _ in provisional_days(2027)}
    # 初一 and 初二 fall on the weekend: made up on the next weekdays (补假).
    assert rows[date(2027, 2, 9)] is False and rows[date(2027, 2, 10)] is False
    assert rows[date(2027, 2, 11)] is True
    # No make-up working weekends are guessed.
    assert not any(working for d, working in rows.items() if d.weekday() >= 5)


def test_provisional_2028_keeps_mid_autumn_when_it_falls_on_national_day():
    """2028: 中秋 is 3 October, a 国庆 day; 1 October is a Sunday. Both the Sunday and the shared date are
    made up on the next weekdays, so 1 to 5 October are off and 6 October is a working day."""
    holidays = statutory_holidays(2028)
    assert (date(2028, 10, 3), "中秋节") in holidays and (date(2028, 10, 3), "国庆节") in holidays
    assert len(holidays) == 13  # 元旦 1, 春节 4, 清明 1, 劳动 2, 端午 1, 中秋 1, 国庆 3
    rows = {d: (working, note) for d, working, note in provisional_days(2028)}
    assert [rows[date(2028, 10, d)][0] for d in range(1, 7)] == [False] * 5 + [True]
    assert rows[date(2028, 10, 5)][1].endswith("补假")
    # Every entitlement is a weekday off: 13 holidays, of which those on weekends made up elsewhere.
    weekdays_off = [d for d, (working, _) in rows.items() if d.weekday() < 5 and not working]
    assert len(weekdays_off) == 13


def test_provisional_2020_and_2009_keep_the_shared_day_as_well():
    for year, extra in ((2020, date(2020, 10, 6)), (2009, date(2009, 10, 6))):
        rows = {d: working for d, working, _ in provisional_days(year)}
        assert rows[extra] is False, extra
        weekdays_off = [d for d, working in rows.items() if d.weekday() < 5 and not working]
        assert len(weekdays_off) == len(statutory_holidays(year))


def test_the_seeded_provisional_2028_has_the_shared_day_off():
    assert CalendarDay.objects.get(date=date(2028, 10, 5)).is_working is False
    assert _lenient(date(2028, 9, 29), 1).day == date(2028, 10, 6)


def test_statutory_rules_match_the_official_holidays_of_known_years():
    """Cross-check the provisional generator on the years under the 2024 revision (in force 2025-01-01)
    with official data: every statutory day is off. (2024 still had 除夕 as a working day.)"""
    for year in (2025, 2026):
        for day, _ in statutory_holidays(year):
            assert chinese_calendar.is_workday(day) is False, day


def _lenient(day, n):
    return calendar.add_working_days_lenient(day, n)


def test_entering_the_official_year_rebuilds_rows_and_ordinals(admin_user):
    before = _lenient(date(2026, 12, 31), 30)
    assert before.provisional is True
    calendar_year_enter(
        year=2027,
        holiday_ranges="2027-01-01 2027-01-03 元旦\n2027-02-05 2027-02-12 春节\n2027-10-01 2027-10-07 国庆节",
        makeup_days="2027-02-20 春节调休\n2027-10-09",
        notice_title="国务院办公厅关于2027年部分节假日安排的通知（测试）",
        actor=admin_user,
    )
    assert is_working_day(date(2027, 2, 20)) is True  # Saturday make-up
    assert is_working_day(date(2027, 2, 11)) is False
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 15)
    assert working_days_between(date(2027, 2, 19), date(2027, 2, 21)) == 1
    after = _lenient(date(2026, 12, 31), 30)
    assert after.provisional is False
    assert after.day == add_working_days(date(2026, 12, 31), 30)
    # Ordinals continue without a gap into 2028 (still provisional there).
    last_2027 = CalendarDay.objects.filter(date__year=2027).order_by("-date").first()
    first_2028_working = CalendarDay.objects.filter(date__year=2028, is_working=True).order_by("date").first()
    assert first_2028_working.ordinal == last_2027.ordinal + 1
    with pytest.raises(CalendarYearMissing):
        is_working_day(date(2028, 1, 4))


def test_unreadable_notice_lines_are_refused():
    with pytest.raises(CalendarDataInvalid):
        calendar_year_enter(year=2027, holiday_ranges="元旦放三天", makeup_days="")
    with pytest.raises(CalendarDataInvalid):
        calendar_year_enter(year=2027, holiday_ranges="", makeup_days="2028-01-02")


def test_importing_a_known_year_from_the_package_is_idempotent():
    before = list(
        CalendarDay.objects.filter(date__year__gte=2026).values_list("date", "is_working", "ordinal")
    )
    calendar_import_package(year=2026)
    after = list(
        CalendarDay.objects.filter(date__year__gte=2026).values_list("date", "is_working", "ordinal")
    )
    assert before == after
    with pytest.raises(CalendarDataInvalid):
        calendar_import_package(year=2027)


def test_lenient_counting_extends_provisional_years_on_demand():
    last = CalendarDay.objects.order_by("-date").first().date
    result = calendar.add_working_days_lenient(last - timedelta(days=3), 30)
    assert result.provisional is True
    assert result.day > last
    assert CalendarYear.objects.get(year=last.year + 1).source == CalendarSource.PROVISIONAL
