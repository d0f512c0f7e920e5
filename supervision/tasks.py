"""Celery tasks: thin. The schedule is CELERY_BEAT_SCHEDULE in settings."""

from celery import shared_task

from .summary import figures_refresh_changed


@shared_task(name="supervision.tasks.refresh_figures")
def refresh_figures() -> dict:
    """The summary tables brought up to date with the cases changed since the last refresh."""
    record = figures_refresh_changed()
    return {
        "seconds": record.seconds,
        "stage_rows": record.stage_rows,
        "case_rows": record.case_rows,
        "cases": record.cases,
    }
