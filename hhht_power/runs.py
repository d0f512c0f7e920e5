"""Facts about the background processes kept in Redis (the broker), for /metrics and the beat lock:
when each periodic task last finished and how long it took, and which beat holds the lock.

Everything here is a no-op without a Redis broker (``make run``'s filesystem broker): there is one
beat on one machine then, and /metrics shows no task ages.
"""

import time

import redis
from django.conf import settings

RUN_KEY = "hhht:run:"  # + task name: hash of finished_at (epoch seconds), seconds, state
BEAT_LOCK_KEY = "hhht:beat:lock"  # the holding beat's id, expiring after BEAT_LOCK_SECONDS
BEAT_SEEN_KEY = "hhht:beat:seen"  # epoch seconds of the lock holder's last tick

# Extend the lock only if this beat still holds it (compare and extend in one step).
_EXTEND = """if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"""
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1]) else return 0 end"""


def broker_redis() -> redis.Redis | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, decode_responses=True)


def record_run(name: str, *, seconds: float, state: str) -> None:
    """A periodic task finished: remember when, how long it took and how it ended."""
    client = broker_redis()
    if client is not None:
        client.hset(RUN_KEY + name, mapping={"finished_at": time.time(), "seconds": seconds, "state": state})


def last_runs(names) -> dict[str, dict]:
    """{task name: {"finished_at": epoch, "seconds": float, "state": str}} for the tasks that ran."""
    client = broker_redis()
    if client is None:
        return {}
    found = {}
    for name in names:
        row = client.hgetall(RUN_KEY + name)
        if row:
            found[name] = {**row, "finished_at": float(row["finished_at"]), "seconds": float(row["seconds"])}
    return found


def beat_hold(holder: str) -> bool:
    """Take or keep the beat lock for ``holder``; True while it holds it. Without Redis, always True."""
    client = broker_redis()
    if client is None:
        return True
    ttl_ms = int(settings.BEAT_LOCK_SECONDS * 1000)
    held = client.set(BEAT_LOCK_KEY, holder, nx=True, px=ttl_ms) or client.eval(
        _EXTEND, 1, BEAT_LOCK_KEY, holder, ttl_ms
    )
    if held:
        client.set(BEAT_SEEN_KEY, time.time())
    return bool(held)


def beat_release(holder: str) -> None:
    client = broker_redis()
    if client is not None:
        client.eval(_RELEASE, 1, BEAT_LOCK_KEY, holder)


def beat_seen() -> float | None:
    """Epoch seconds of the lock-holding beat's last tick, or None."""
    client = broker_redis()
    seen = client.get(BEAT_SEEN_KEY) if client is not None else None
    return float(seen) if seen else None
