"""Notifications: a database row per recipient first (the in-app inbox), then email and SMS delivery
by Celery after commit. A broker outage only delays delivery: ``notification_sweep`` re-sends what is
pending. The same notification (recipient + dedupe_key) is never created, so never sent, twice; a
delivery is claimed by one worker with a conditional UPDATE, and each channel is stamped once sent.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from . import sms
from .models import DeliveryState, Notification

logger = logging.getLogger(__name__)

CHANNELS = ("inapp", "email", "sms")
MAX_ATTEMPTS = 6
CLAIM_SECONDS = 300
ENQUEUE_CHUNK = 250
# The Celery task that delivers notifications (deadlines.tasks), sent by name.
DELIVER_TASK = "deadlines.tasks.deliver_notifications"


def backoff_seconds(attempts: int) -> int:
    """30 s, 1 min, 2 min, 4 min, ... capped at one hour."""
    return min(3600, 30 * 2 ** max(0, attempts - 1))


def notify(
    *, recipients, kind, title, body="", url="", subject=None, dedupe_key, channels=CHANNELS, at=None
) -> list[Notification]:
    """One row per recipient (unique on recipient + dedupe_key), delivered after commit by Celery.

    Call it inside the service's transaction. Returns the rows of these recipients for this key, new or
    already there; only pending ones are delivered.
    """
    at = at or timezone.now()
    users = _distinct_users(recipients)
    if not users:
        return []
    ct = ContentType.objects.get_for_model(subject, for_concrete_model=False) if subject is not None else None
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            title=str(title)[:200],
            body=str(body),
            url=url[:300],
            subject_type=ct,
            subject_id=subject.pk if subject is not None else None,
            dedupe_key=dedupe_key[:200],
            created_at=at,
            want_email="email" in channels and bool(user.email),
            want_sms="sms" in channels and bool(user.phone),
            next_attempt_at=at,
        )
        for user in users
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    found = list(
        Notification.objects.filter(dedupe_key=dedupe_key[:200], recipient__in=[u.pk for u in users])
    )
    enqueue_after_commit([n.pk for n in found if n.delivery_state == DeliveryState.PENDING])
    return found


def _distinct_users(recipients: Iterable) -> list:
    seen = {}
    ids = []
    for r in recipients or ():
        if isinstance(r, int):
            ids.append(r)
        elif r is not None and r.pk not in seen and r.is_active:
            seen[r.pk] = r
    if ids:
        for user in User.objects.filter(pk__in=ids, is_active=True):
            seen.setdefault(user.pk, user)
    return list(seen.values())


def enqueue_after_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(partial(enqueue, list(ids)))


def enqueue(ids: list[int]) -> bool:
    """Hand delivery to Celery in chunks. A broker outage is logged, not raised: the rows stay pending
    and the sweep sends them later. Returns False when the broker did not take them. The task is sent by
    its name (``deadlines.tasks``, which calls this module, is not imported here)."""
    ok = True
    for i in range(0, len(ids), ENQUEUE_CHUNK):
        try:
            current_app.send_task(DELIVER_TASK, args=[ids[i : i + ENQUEUE_CHUNK]], retry=False)
        except Exception as exc:  # any broker error: the sweep re-sends
            logger.warning(
                "notification delivery not enqueued (%s); the sweep will retry", type(exc).__name__
            )
            ok = False
    return ok


def _claimable(now):
    return Q(delivery_state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(
        delivery_state=DeliveryState.SENDING, claimed_until__lt=now
    )


def deliver(notification_id: int, *, now=None) -> str:
    """Send one notification's email and SMS if this worker wins the claim. Returns the new state
    (or "skipped" when another worker holds it, or it was already sent)."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(_claimable(now), pk=notification_id).update(
        delivery_state=DeliveryState.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
    )
    if not claimed:
        return "skipped"
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    user = note.recipient
    try:
        if note.want_email and note.email_sent_at is None and user.email:
            send_mail(
                subject=note.title,
                message=_text(note),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
            Notification.objects.filter(pk=note.pk).update(email_sent_at=now)
        if note.want_sms and note.sms_sent_at is None and user.phone:
            sms.get_backend().send(phone=user.phone, text=f"【获得电力】{note.title}")
            Notification.objects.filter(pk=note.pk).update(sms_sent_at=now)
    except Exception as exc:
        attempts = note.attempts + 1
        state = DeliveryState.FAILED if attempts >= MAX_ATTEMPTS else DeliveryState.PENDING
        Notification.objects.filter(pk=note.pk).update(
            delivery_state=state,
            attempts=attempts,
            claimed_until=None,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts)),
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.warning(
            "notification %s delivery failed (attempt %s): %s", note.pk, attempts, type(exc).__name__
        )
        return state
    Notification.objects.filter(pk=note.pk).update(
        delivery_state=DeliveryState.DONE, claimed_until=None, attempts=note.attempts + 1, last_error=""
    )
    return DeliveryState.DONE


def _text(note: Notification) -> str:
    parts = [note.title, "", note.body] if note.body else [note.title]
    if note.url:
        parts += ["", note.url]
    return "\n".join(parts)


def pending_ids(*, now, limit=5000) -> list[int]:
    return list(
        Notification.objects.filter(_claimable(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(*, now=None) -> int:
    """Re-send whatever is pending and due (broker was down, worker killed, backoff elapsed).

    Enqueues it; if the broker still refuses, delivers in this process. Returns the number handled.
    """
    now = now or timezone.now()
    ids = pending_ids(now=now)
    if ids and not enqueue(ids):
        for pk in ids:
            deliver(pk, now=now)
    return len(ids)


def mark_read(*, user, ids=None, at=None) -> int:
    at = at or timezone.now()
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=at)
