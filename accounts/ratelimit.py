"""Rate limits shared by every process (rows in the database): the public case lookup and SMS codes.

``hit(scope, key, limit=, window=)`` records one try and says whether it is within the limit; the
requester's address or phone is hashed before it is stored. A DRF throttle class wraps it for the API.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from .models import RateLimitHit


def _hashed(scope: str, key: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{key}".encode()).hexdigest()


def hit(scope: str, key: str, *, limit: int, window: timedelta, at=None) -> bool:
    """Record one try of ``key`` in ``scope``; True while at most ``limit`` tries fall in ``window``."""
    at = at or timezone.now()
    hashed = _hashed(scope, key)
    RateLimitHit.objects.filter(scope=scope, at__lt=at - window).delete()
    RateLimitHit.objects.create(scope=scope, key=hashed, at=at)
    return RateLimitHit.objects.filter(scope=scope, key=hashed, at__gt=at - window).count() <= limit


def retry_after(scope: str, key: str, *, window: timedelta, at=None) -> int:
    """Seconds until the oldest try of ``key`` in the window drops out of it."""
    at = at or timezone.now()
    oldest = (
        RateLimitHit.objects.filter(scope=scope, key=_hashed(scope, key), at__gt=at - window)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return max(1, int((oldest + window - at).total_seconds())) if oldest else 1


class DatabaseThrottle(BaseThrottle):
    """A DRF throttle on ``hit``: ``scope``, ``limit`` tries per ``window`` per client address."""

    scope = ""
    limit = 10
    window = timedelta(minutes=10)

    def allow_request(self, request, view):
        self.key = self.get_ident(request)
        return hit(self.scope, self.key, limit=self.limit, window=self.window)

    def wait(self):
        return retry_after(self.scope, self.key, window=self.window)
