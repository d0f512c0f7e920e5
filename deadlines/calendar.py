"""Working days on the official PRC calendar (SPEC sections 3 and 6).

Counting follows PRC Civil Code art. 201: the start day is not counted, and ``add_working_days(start, n)``
is the Nth working day after ``start``; a deadline is the end (24:00, Asia/Shanghai) of that day. A start
on a holiday counts from the next working day. The public functions read only official years and raise
``CalendarYearMissing`` for any year without the State Council's data; the clocks use the ``*_lenient``
variants, which fall back to the provisional rows and say so.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendar_rows import calendar_extend_provisional
from .models import CalendarDay, CalendarSource, CalendarYear

SHANGHAI = ZoneInfo("Asia/Shanghai")


class CalendarYearMissing(LookupError):
    """No official calendar data for ``year`` (国务院节假日安排通知 not entered yet)."""

    code = "calendar_year_missing"

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"No official working-day calendar for {year}.")


@dataclass(frozen=True)
class Resolved:
    """A date computed on the calendar, and whether provisional rows were used to get it."""

    day: date
    provisional: bool


def _official_years(first: int, last: int) -> None:
    years = set(range(first, last + 1))
    official = set(
        CalendarYear.objects.filter(year__in=years)
        .exclude(source=CalendarSource.PROVISIONAL)
        .values_list("year", flat=True)
    )
    missing = sorted(years - official)
    if missing:
        raise CalendarYearMissing(missing[0])


def _row(day: date) -> CalendarDay:
    try:
        return CalendarDay.objects.get(date=day)
    except CalendarDay.DoesNotExist:
        raise CalendarYearMissing(day.year)


def is_working_day(day: date) -> bool:
    """True on a working day (make-up weekends 调休 included). Raises CalendarYearMissing."""
    row = _row(day)
    if row.provisional:
        raise CalendarYearMissing(day.year)
    return row.is_working


def add_working_days(start: date, n: int) -> date:
    """The Nth working day after ``start`` (``start`` not counted; ``n`` = 0 gives ``start``).

    Raises CalendarYearMissing when ``start`` or the result lies in a year without official data.
    """
    result = add_working_days_lenient(start, n, extend=False)
    _official_years(start.year, result.day.year)
    return result.day


def working_days_between(start: date, end: date) -> int:
    """Working days in the half-open span (start, end]; 0 when ``end`` is not after ``start``.

    Raises CalendarYearMissing for a year without official data.
    """
    if end <= start:
        return 0
    _official_years(start.year, end.year)
    return working_days_between_lenient(start, end, extend=False).days


# --- Lenient variants for the clocks: provisional rows allowed, reported -------------------------------


def add_working_days_lenient(start: date, n: int, *, extend: bool = True) -> Resolved:
    """As ``add_working_days``, but on provisional rows where official data is missing."""
    if n < 0:
        raise ValueError("n must not be negative")
    first = _lenient_row(start, extend=extend)
    if n == 0:
        return Resolved(start, first.provisional)
    target = first.ordinal + n
    for _attempt in range(4):
        row = CalendarDay.objects.filter(ordinal=target, is_working=True).only("date", "provisional").first()
        if row is not None:
            provisional = row.provisional or first.provisional
            if not provisional and row.date.year - start.year > 1:
                provisional = CalendarDay.objects.filter(
                    date__gt=start, date__lt=row.date, provisional=True
                ).exists()
            return Resolved(row.date, provisional)
        if not extend:
            break
        calendar_extend_provisional(years=1)
    last = CalendarDay.objects.order_by("-date").values_list("date", flat=True).first()
    raise CalendarYearMissing((last.year + 1) if last else start.year)


@dataclass(frozen=True)
class Span:
    days: int
    provisional: bool


def working_days_between_lenient(start: date, end: date, *, extend: bool = True) -> Span:
    if end <= start:
        return Span(0, False)
    a = _lenient_row(start, extend=extend)
    b = _lenient_row(end, extend=extend)
    return Span(b.ordinal - a.ordinal, a.provisional or b.provisional)


def _lenient_row(day: date, *, extend: bool) -> CalendarDay:
    for _attempt in range(4):
        row = CalendarDay.objects.filter(date=day).first()
        if row is not None:
            return row
        if not extend or day < date(2004, 1, 1):
            break
        last = CalendarDay.objects.order_by("-date").values_list("date", flat=True).first()
        if last is None or day < last or day.year - last.year > 10:
            break
        calendar_extend_provisional(years=1)
    raise CalendarYearMissing(day.year)


# --- Instants --------------------------------------------------------------------------------------------


def local_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant."""
    return instant.astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day``, as an aware instant."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """24:00 Asia/Shanghai of ``day`` (= 00:00 of the next day), as an aware instant."""
    return start_of_day(day + timedelta(days=1))


def next_year_missing(today: date) -> int | None:
    """The next year, when ``today`` is on or after 1 November and that year has no official data."""
    if (today.month, today.day) < (11, 1):
        return None
    year = today.year + 1
    official = CalendarYear.objects.filter(year=year).exclude(source=CalendarSource.PROVISIONAL).exists()
    return None if official else year
