"""Rate limits, one mechanism for the whole portal: django-ratelimit's counts in Django's cache (Redis in
production, so every worker and process shares them) at the rates of ``settings.RATE_LIMITS``. Uploads
and registrations (``accounts.middleware.RateLimitMiddleware``), SMS codes and the public case lookup
all count here.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle


def over_limit(request, group: str, *, key="ip", value: str | None = None) -> int:
    """Count one try of ``group`` and say how long to wait: 0 within ``settings.RATE_LIMITS[group]``, else
    the seconds until the window ends. Counted per ``value`` if given (a phone number: only a hash of
    it reaches the cache), else per django-ratelimit's ``key`` ("ip": ``accounts.middleware.client_ip``)."""
    if value is not None:
        key = lambda _group, _request: value  # noqa: E731
    usage = get_usage(request, group=group, key=key, rate=settings.RATE_LIMITS[group], increment=True)
    if usage is None or not usage["should_limit"]:
        return 0
    return max(1, usage["time_left"])


class RateLimitThrottle(BaseThrottle):
    """A DRF throttle on ``over_limit`` for the client address; ``group`` names the rate."""

    group = ""

    def allow_request(self, request, view):
        self.seconds = over_limit(request, self.group)
        return not self.seconds

    def wait(self):
        return self.seconds
