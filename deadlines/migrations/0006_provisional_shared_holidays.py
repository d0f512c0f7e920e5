"""Rewrite the provisional years with 中秋 on a 国庆 day made up (2028 lacked one day off), then the
ordinals from the first rewritten year on."""

from django.db import migrations


def rewrite(apps, schema_editor):
    from deadlines import statutory

    CalendarYear = apps.get_model("deadlines", "CalendarYear")
    CalendarDay = apps.get_model("deadlines", "CalendarDay")
    years = list(
        CalendarYear.objects.filter(source="provisional").order_by("year").values_list("year", flat=True)
    )
    if not years:
        return
    for year in years:
        rows = {day: (working, note) for day, working, note in statutory.provisional_days(year)}
        changed = []
        for row in CalendarDay.objects.filter(date__year=year):
            working, note = rows[row.date]
            if (row.is_working, row.note) != (working, note):
                row.is_working, row.note = working, note
                changed.append(row)
        CalendarDay.objects.bulk_update(changed, ["is_working", "note"])
    first = years[0]
    base = (
        CalendarDay.objects.filter(date__year__lt=first)
        .order_by("-date")
        .values_list("ordinal", flat=True)
        .first()
        or 0
    )
    rows = list(CalendarDay.objects.filter(date__year__gte=first).order_by("date"))
    for (_day, _working, _note, ordinal), row in zip(
        statutory.with_ordinals([(r.date, r.is_working, r.note) for r in rows], base), rows, strict=True
    ):
        row.ordinal = ordinal
    CalendarDay.objects.bulk_update(rows, ["ordinal"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0005_overall_risk")]
    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
