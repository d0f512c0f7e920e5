"""Celery tasks: thin, call one service. The schedule is CELERY_BEAT_SCHEDULE in settings."""

from celery import shared_task

from . import pause_services, promise_services, services


@shared_task(name="applications.tasks.drafts_expire")
def drafts_expire() -> dict:
    """The daily pass: warn the customers of drafts about to expire, withdraw those expired."""
    return services.drafts_expire()


@shared_task(name="applications.tasks.pause_requests_lapse")
def pause_requests_lapse() -> int:
    return pause_services.pause_requests_lapse()


@shared_task(name="applications.tasks.promises_check")
def promises_check() -> int:
    return promise_services.promises_check()
