import logging
import os
import time

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")

app = Celery("hhht_power")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("hhht_power.tasks")
# When each task of this process started (task id -> monotonic seconds), until it finishes.
_started: dict[str, float] = {}


def _periodic(name: str) -> bool:
    return any(entry["task"] == name for entry in app.conf.beat_schedule.values())


@before_task_publish.connect
def _send_log_context(headers=None, **kwargs):
    from .logs import task_headers

    if headers is not None:
        task_headers(headers)


@task_prerun.connect
def _note_start(task_id=None, task=None, **kwargs):
    from .logs import task_context

    if task is not None:
        task_context(task, task_id)
        _started[task_id] = time.monotonic()


@task_postrun.connect
def _note_finish(task_id=None, task=None, state=None, **kwargs):
    """One log line per task; a periodic task's last run also goes to /metrics (hhht_power.runs)."""
    from structlog.contextvars import clear_contextvars

    from .runs import record_run

    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    seconds = time.monotonic() - started
    logger.info("task %s %s in %.0f ms", task.name, state, seconds * 1000)
    clear_contextvars()
    if _periodic(task.name):
        record_run(task.name, seconds=seconds, state=state or "")


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_personal_data(logger=None, **kwargs):
    # The worker's own log handlers mask ID and phone numbers as the web's do (settings.LOGGING).
    from accounts.masking import mask_handlers

    mask_handlers(logger)
