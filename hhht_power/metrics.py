"""``/metrics`` in Prometheus' text format, for the configured addresses only (``METRICS_ALLOWED_ADDRESSES``,
loopback by default; networks allowed, e.g. ``10.0.0.0/24``); 404 for everyone else, and nginx does not
pass the path on (deploy/nginx). Prometheus scrapes each web machine directly.

The request figures are django-prometheus' (its two middlewares; with ``PROMETHEUS_MULTIPROC_DIR`` set,
the figures of every gunicorn worker of the machine together). The portal's own gauges are read from the
database and Redis at each scrape: open clocks per level, the periodic tasks' last duration and age (the
deadline pass among them), pending notifications and the oldest one's age, the summary's age, the beat's.
"""

import ipaddress
import os
import time

import redis
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class PortalCollector:
    """The portal's gauges, computed at each scrape."""

    def collect(self):
        from deadlines.models import DeliveryState, Level, Notification
        from deadlines.passes import level_counts
        from supervision.summary import last_refresh

        from . import runs

        now = timezone.now()
        counts = level_counts()
        clocks = GaugeMetricFamily("hhht_open_clocks", "Open stage clocks per level.", labels=["level"])
        for level in Level.values:
            clocks.add_metric([level], counts.get(level, 0))
        yield clocks

        pending = Notification.objects.filter(delivery_state=DeliveryState.PENDING)
        yield GaugeMetricFamily("hhht_notifications_pending", "Notifications not yet sent.", pending.count())
        oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
        yield GaugeMetricFamily(
            "hhht_notification_oldest_pending_age_seconds",
            "Age of the oldest pending notification (0 when none).",
            (now - oldest).total_seconds() if oldest else 0,
        )

        refresh = last_refresh()
        if refresh is not None:
            yield GaugeMetricFamily(
                "hhht_summary_age_seconds",
                "Age of the supervision summary (since its last refresh).",
                (now - refresh.refreshed_at).total_seconds(),
            )
            yield GaugeMetricFamily(
                "hhht_summary_refresh_seconds", "Duration of the last summary refresh.", refresh.seconds
            )

        names = sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()})
        try:
            done, seen = runs.last_runs(names), runs.beat_seen()
        except redis.RedisError:
            # The task and beat gauges go missing: "absent" is what the alerts watch for.
            return
        age = GaugeMetricFamily(
            "hhht_task_last_run_age_seconds", "Since a periodic task last finished.", labels=["task"]
        )
        took = GaugeMetricFamily("hhht_task_last_run_seconds", "How long its last run took.", labels=["task"])
        for name, run in done.items():
            age.add_metric([name], time.time() - run["finished_at"])
            took.add_metric([name], run["seconds"])
        yield age
        yield took
        if seen is not None:
            yield GaugeMetricFamily(
                "hhht_beat_seen_age_seconds", "Since the lock-holding beat last ticked.", time.time() - seen
            )


def _allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_ADDRESSES)


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    portal = CollectorRegistry()
    portal.register(PortalCollector())
    return generate_latest(requests) + generate_latest(portal)


class MetricsMiddleware:
    """Answers ``/metrics`` before the host check and the HTTPS redirect: Prometheus asks each machine
    by its address, over plain HTTP inside the network."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/metrics":
            return self.get_response(request)
        if not _allowed(request.META.get("REMOTE_ADDR", "")):
            return HttpResponseNotFound()
        return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
