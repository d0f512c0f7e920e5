"""/metrics: Prometheus' text for the allowed addresses only, with the portal's gauges after a pass."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from applications.models import ApplicationState
from deadlines.models import DeliveryState, Notification
from deadlines.passes import level_counts
from deadlines.tasks import deadline_pass
from hhht_power import runs
from supervision.tasks import refresh_figures
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def samples(text: str) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_refused_to_other_addresses(client):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.30").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_configured_network_is_allowed_whatever_the_host_and_scheme(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1", "10.0.0.0/24"]
    settings.SECURE_SSL_REDIRECT = True
    got = client.get("/metrics", REMOTE_ADDR="10.0.0.30", HTTP_HOST="10.0.0.11:8000")
    assert got.status_code == 200 and got["Content-Type"].startswith("text/plain")
    assert client.get("/metrics", REMOTE_ADDR="10.0.1.30").status_code == 404


def test_gauges_after_a_deadline_pass_and_a_refresh(client, fresh_runs):
    for _ in range(2):
        case_in_state(ApplicationState.SUBMITTED)
    client.get("/healthz")
    deadline_pass.apply()  # as the worker runs it: the run is recorded
    refresh_figures.apply()
    runs.beat_hold("beat-of-this-test")

    got = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode())
    counts = level_counts()
    assert sum(counts.values()) >= 4  # each case: its acceptance and its overall clock
    for level in ("on_time", "warning", "overdue", "escalated"):
        assert got[("hhht_open_clocks", (("level", level),))] == counts.get(level, 0)
    pass_labels = (("task", "deadlines.tasks.deadline_pass"),)
    assert 0 <= got[("hhht_task_last_run_age_seconds", pass_labels)] < 60
    assert got[("hhht_task_last_run_seconds", pass_labels)] > 0
    assert ("hhht_task_last_run_seconds", (("task", "deadlines.tasks.notification_sweep"),)) not in got
    pending = Notification.objects.filter(delivery_state=DeliveryState.PENDING)
    assert pending.exists() and got[("hhht_notifications_pending", ())] == pending.count()
    assert got[("hhht_notification_oldest_pending_age_seconds", ())] >= 0
    assert 0 <= got[("hhht_summary_age_seconds", ())] < 60
    assert 0 <= got[("hhht_beat_seen_age_seconds", ())] < 60
    # django-prometheus' request figures.
    assert any(name.startswith("django_http_requests_total") for name, _ in got)


def test_task_gauges_absent_while_redis_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    got = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode())
    assert ("hhht_notifications_pending", ()) in got
    assert not any(name.startswith(("hhht_task_", "hhht_beat_")) for name, _ in got)
