"""Celery tasks: thin, take ids, call one service. The schedule is CELERY_BEAT_SCHEDULE in settings."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from . import notifications, risk
from .models import DeliveryState
from .passes import run_pass


@shared_task(name="deadlines.tasks.deadline_pass")
def deadline_pass(at: str | None = None) -> dict:
    instant = datetime.fromisoformat(at) if at else timezone.now()
    return {str(k): v for k, v in run_pass(at=instant).items()}


@shared_task(name="deadlines.tasks.risk_refresh")
def risk_refresh() -> dict:
    return risk.refresh()


@shared_task(name="deadlines.tasks.notification_sweep")
def notification_sweep() -> int:
    return notifications.sweep()


@shared_task(bind=True, name=notifications.DELIVER_TASK, max_retries=notifications.MAX_ATTEMPTS)
def deliver_notifications(self, ids: list[int]) -> dict:
    """Deliver each notification; retry the failed ones with exponential backoff."""
    now = timezone.now()
    states = {pk: notifications.deliver(pk, now=now) for pk in ids}
    retry = [pk for pk, state in states.items() if state == DeliveryState.PENDING]
    if retry and self.request.called_directly is False:
        raise self.retry(args=[retry], countdown=notifications.backoff_seconds(self.request.retries + 1) + 1)
    return {str(k): str(v) for k, v in states.items()}
