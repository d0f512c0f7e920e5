"""Celery tasks: thin. The schedule is CELERY_BEAT_SCHEDULE in settings."""

from celery import shared_task


@shared_task(name="supervision.tasks.refresh_figures")
def refresh_figures() -> dict:
    from .summary import figures_refresh

    record = figures_refresh()
    if record is None:
        return {}
    return {"seconds": record.seconds, "stage_rows": record.stage_rows, "case_rows": record.case_rows}
