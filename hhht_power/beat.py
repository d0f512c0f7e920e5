"""The beat's scheduler: django-celery-beat's DatabaseScheduler behind a lock in Redis, so that a second
beat started by mistake sends nothing while the first one runs (and takes over within
``BEAT_LOCK_SECONDS`` when the first one dies)."""

import os
import socket
import uuid

from django_celery_beat.schedulers import DatabaseScheduler

from . import runs

# How soon a beat without the lock asks again.
STANDBY_SECONDS = 5.0


class LockedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs):
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not runs.beat_hold(self.holder):
            return STANDBY_SECONDS
        return super().tick(*args, **kwargs)

    def close(self):
        super().close()
        runs.beat_release(self.holder)
