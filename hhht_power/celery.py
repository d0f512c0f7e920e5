import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")

app = Celery("hhht_power")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# When each task of this process started (task id -> monotonic seconds), until it finishes.
_started: dict[str, float] = {}


def _periodic(name: str) -> bool:
    return any(entry["task"] == name for entry in app.conf.beat_schedule.values())


@task_prerun.connect
def _note_start(task_id=None, task=None, **kwargs):
    if task is not None and _periodic(task.name):
        _started[task_id] = time.monotonic()


@task_postrun.connect
def _note_finish(task_id=None, task=None, state=None, **kwargs):
    """A periodic task's last run (for /metrics: the deadline pass's age and duration)."""
    started = _started.pop(task_id, None)
    if started is not None:
        from .runs import record_run

        record_run(task.name, seconds=time.monotonic() - started, state=state or "")
