"""Writing the calendar's day rows: a year's days, the cumulative working-day ordinals, and provisional
years added ahead of the official notices. ``deadlines.calendar`` reads them."""

from datetime import date

from django.db import IntegrityError, transaction

from . import statutory
from .models import CalendarDay, CalendarSource, CalendarYear


def write_year(year: int, rows, *, provisional: bool) -> None:
    """Replace the day rows of ``year`` (ordinals left at 0: ``calendar_renumber`` sets them)."""
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, is_working=working, note=note, ordinal=0, provisional=provisional)
            for day, working, note in rows
        ],
        batch_size=1000,
    )


def calendar_renumber(*, from_year: int) -> None:
    """Recompute the cumulative working-day ordinals from 1 January of ``from_year`` onward."""
    start = date(from_year, 1, 1)
    base = (
        CalendarDay.objects.filter(date__lt=start).order_by("-date").values_list("ordinal", flat=True).first()
        or 0
    )
    rows = list(CalendarDay.objects.filter(date__gte=start).order_by("date"))
    changed = []
    for (_day, _w, _n, ordinal), row in zip(
        statutory.with_ordinals([(r.date, r.is_working, r.note) for r in rows], base), rows, strict=True
    ):
        if row.ordinal != ordinal:
            row.ordinal = ordinal
            changed.append(row)
    CalendarDay.objects.bulk_update(changed, ["ordinal"], batch_size=1000)


def calendar_extend_provisional(*, years: int = 1) -> list[int]:
    """Add provisional years after the last year on the calendar. Safe to run twice at once."""
    added = []
    last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first() or (
        statutory.FIRST_PACKAGE_YEAR - 1
    )
    for year in range(last + 1, last + 1 + years):
        try:
            with transaction.atomic():
                _, created = CalendarYear.objects.get_or_create(
                    year=year, defaults={"source": CalendarSource.PROVISIONAL}
                )
                if created:
                    write_year(year, statutory.provisional_days(year), provisional=True)
                    calendar_renumber(from_year=year)
                    added.append(year)
        except IntegrityError:
            continue  # another process added it meanwhile
    return added
