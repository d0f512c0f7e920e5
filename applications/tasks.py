"""Celery tasks: thin, call one service. The schedule is CELERY_BEAT_SCHEDULE in settings."""

from celery import shared_task


@shared_task(name="applications.tasks.pause_requests_lapse")
def pause_requests_lapse() -> int:
    from .pause_services import pause_requests_lapse as lapse

    return lapse()


@shared_task(name="applications.tasks.promises_check")
def promises_check() -> int:
    from .promise_services import promises_check as check

    return check()
