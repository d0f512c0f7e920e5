"""Two beats started by mistake: one sends the passes, the other stays idle until the first stops."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from hhht_power.beat import STANDBY_SECONDS, LockedDatabaseScheduler
from hhht_power.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def sent(client) -> list[str]:
    """The task names waiting in the queue, taken off it."""
    names = [json.loads(raw)["headers"]["task"] for raw in client.lrange("celery", 0, -1)]
    client.delete("celery")
    return names


def ticks(beat) -> float:
    """What beat's service loop does: tick until nothing more is due now; the seconds it would sleep."""
    for _ in range(50):
        wait = beat.tick()
        if wait:
            return wait
    raise AssertionError("the beat never rested")


def test_second_beat_sends_nothing_while_the_first_runs(fresh_runs):
    first = LockedDatabaseScheduler(app=app)
    second = LockedDatabaseScheduler(app=app)
    # The tasks run every so many seconds are due a day later (a daily one, by crontab, may be too).
    scheduled = {
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if isinstance(entry["schedule"], int | float | timedelta)
    }
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        ticks(first)
        assert ticks(second) == STANDBY_SECONDS
        assert scheduled <= set(sent(fresh_runs))
        ticks(first)
        assert ticks(second) == STANDBY_SECONDS and sent(fresh_runs) == []
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        # The first beat stops (its lock goes with it): the second takes over at its next tick.
        first.close()
        ticks(second)
        assert scheduled <= set(sent(fresh_runs))
    second.close()


def test_beat_waits_while_redis_is_unreachable(settings, fresh_runs):
    beat = LockedDatabaseScheduler(app=app)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert beat.tick() == STANDBY_SECONDS
    assert sent(fresh_runs) == []
