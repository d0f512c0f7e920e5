"""Seed the working-day calendar: every year chinese-calendar knows (2004–2026 in 1.11.0, holidays and
调休 make-up working weekends included), then two provisional years from the statutory holidays."""

from django.db import migrations

PROVISIONAL_YEARS_AHEAD = 2


def seed(apps, schema_editor):
    from deadlines import statutory

    CalendarYear = apps.get_model("deadlines", "CalendarYear")
    CalendarDay = apps.get_model("deadlines", "CalendarDay")
    ordinal = 0
    year = statutory.FIRST_PACKAGE_YEAR
    provisional_left = PROVISIONAL_YEARS_AHEAD
    while True:
        if statutory.package_knows(year):
            rows, source, provisional = statutory.official_package_days(year), "package", False
        elif provisional_left > 0:
            rows, source, provisional = statutory.provisional_days(year), "provisional", True
            provisional_left -= 1
        else:
            break
        days = []
        for day, working, note, ordinal in statutory.with_ordinals(rows, ordinal):
            days.append(CalendarDay(date=day, is_working=working, note=note, ordinal=ordinal, provisional=provisional))
        CalendarDay.objects.bulk_create(days, batch_size=1000)
        CalendarYear.objects.create(year=year, source=source, notice_title="chinese-calendar" if not provisional else "")
        year += 1


def unseed(apps, schema_editor):
    apps.get_model("deadlines", "CalendarDay").objects.all().delete()
    apps.get_model("deadlines", "CalendarYear").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
