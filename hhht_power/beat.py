"""The beat's scheduler: django-celery-beat's DatabaseScheduler behind a lock in Redis, so that a second
beat started by mistake sends nothing while the first one runs (and takes over within
``BEAT_LOCK_SECONDS`` when the first one dies)."""

import logging
import os
import socket
import uuid

import redis
from django_celery_beat.schedulers import DatabaseScheduler

from . import runs

logger = logging.getLogger(__name__)
# How soon a beat without the lock asks again.
STANDBY_SECONDS = 5.0


class LockedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs):
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        try:
            held = runs.beat_hold(self.holder)
        except redis.RedisError as exc:
            # Without Redis nothing could be sent anyway; ask again soon.
            logger.warning("beat lock not reachable (%s); waiting", type(exc).__name__)
            return STANDBY_SECONDS
        if not held:
            return STANDBY_SECONDS
        return super().tick(*args, **kwargs)

    def close(self):
        super().close()
        runs.beat_release(self.holder)
