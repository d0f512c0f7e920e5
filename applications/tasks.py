"""Celery tasks: thin, call one service. The schedule is CELERY_BEAT_SCHEDULE in settings."""

from celery import shared_task

from . import services


@shared_task(name="applications.tasks.drafts_expire")
def drafts_expire() -> dict:
    """The daily pass: warn the customers of drafts about to expire, withdraw those expired."""
    return services.drafts_expire()
