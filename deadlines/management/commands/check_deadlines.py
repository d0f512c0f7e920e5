"""``python manage.py check_deadlines [--at 2027-01-15T09:00:00+08:00]``: the Celery beat's deadline pass,
as of that instant (default: now), idempotent; prints the warnings raised per level."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from deadlines.models import Level
from deadlines.passes import level_counts, run_pass


class Command(BaseCommand):
    help = "Run the deadline pass (as Celery beat does) and print the count per level."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="ISO-8601 instant, e.g. 2027-01-15T09:00:00+08:00 (default: now)")

    def handle(self, *args, at=None, **options):
        if at:
            try:
                instant = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at is not an ISO-8601 instant: {at}")
            if timezone.is_naive(instant):
                instant = timezone.make_aware(instant)
        else:
            instant = timezone.now()
        counts = run_pass(at=instant)
        now = level_counts()
        self.stdout.write(f"deadline pass at {instant.isoformat()}")
        for level in (Level.WARNING, Level.OVERDUE, Level.ESCALATED):
            self.stdout.write(f"{level}: {counts[level]} new ({now.get(level, 0)} open)")
        self.stdout.write(f"notifications: {counts['notifications']}")
