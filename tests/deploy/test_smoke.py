"""The deployment, end to end on loopback (tests/deploy/stack.py): through nginx over TLS a customer signs
in, uploads a document that one web instance stores and the other serves, a grid clerk runs a transition,
the worker delivers the customer's notification and the beat's passes run. Once with the documents on a
disk both instances share, once on S3 (moto's server)."""

import json
import re
import subprocess

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from applications.models import ApplicationState
from deadlines.models import DeliveryState, Notification
from supervision.models import FigureRefresh
from tests.applications.factories import PNG_BYTES, case_in_state, grid_staff
from tests.deploy.stack import ROOT, Stack, wait_for
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["local", "s3"])
def stack(request, tmp_path, transactional_db):
    """Started after the database fixture, so stopped before the database is emptied."""
    running = Stack(tmp_path, storage=request.param)
    try:
        yield running.start()
    finally:
        running.stop()


def sign_in(stack: Stack, username: str) -> requests.Session:
    """The browser's way: the sign-in form through nginx, its CSRF token, the session cookie."""
    session = requests.Session()
    session.trust_env = False  # no proxy or CA bundle from the environment: loopback, our certificate
    session.verify = stack.cert
    page = session.get(f"{stack.origin}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = session.post(
        f"{stack.origin}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": TEST_PASSWORD},
        headers={"Referer": f"{stack.origin}/accounts/login/", "Origin": stack.origin},
        timeout=10,
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:500]
    assert session.cookies.get("sessionid") and "Secure" in done.headers["Set-Cookie"]
    session.headers.update(
        {"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{stack.origin}/", "Origin": stack.origin}
    )
    return session


def test_two_web_instances_behind_nginx_with_worker_and_beat(stack):
    customer = UserFactory(roles=["customer"])
    clerk = grid_staff()
    case = case_in_state(ApplicationState.SUBMITTED, customer=customer, staff=clerk)
    me = sign_in(stack, customer.username)

    # Upload through nginx; note which instance stored it.
    up, stored_by = stack.send(
        me, "POST", "/api/v1/documents/", data={"kind": "identity"}, files={"file": ("id.png", PNG_BYTES)}
    )
    assert up.status_code == 201, up.text[:500]
    path = f"/api/v1/documents/{up.json()['id']}/file/"

    # Download until the other instance answers (nginx alternates between them).
    for _ in range(4):
        got, served_by = stack.send(me, "GET", path)
        if served_by != stored_by:
            break
    assert served_by != stored_by
    assert got.status_code == 200 and got.content == PNG_BYTES
    assert got.headers["Content-Type"] == "image/png"
    assert "inline" in got.headers["Content-Disposition"]
    if stack.storage == "local":
        # Sent by nginx from its internal location; the file is not reachable by its own path.
        assert got.headers["Cache-Control"] == "private, no-store" and not got.history
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert me.get(f"{stack.origin}/_protected/", timeout=10).status_code == 404
    else:
        # A redirect to a short-lived signed URL of the bucket.
        assert got.history and got.history[0].status_code == 302
        assert "X-Amz-Signature=" in got.history[0].headers["Location"]
        keys = [o["Key"] for o in stack.s3.list_objects_v2(Bucket="hhht-media").get("Contents", [])]
        assert len(keys) == 1 and not (stack.var / "private-media").exists()
        # A backup on S3 lists the bucket instead of copying it.
        backup = stack.base / "backup"
        subprocess.run(["scripts/backup.sh", str(backup)], cwd=ROOT, env=stack.env(), check=True, timeout=120)
        listing = (backup / "bucket-listing.tsv").read_text().splitlines()
        assert [line.split("\t")[:2] for line in listing] == [[keys[0], str(len(PNG_BYTES))]]
    # Another customer gets nothing, from either instance.
    stranger = UserFactory(roles=["customer"])
    other = sign_in(stack, stranger.username)
    assert {other.get(f"{stack.origin}{path}", timeout=10).status_code for _ in range(2)} == {404}

    # A transition through nginx; the worker delivers the customer's notification.
    staff = sign_in(stack, clerk.username)
    done = staff.post(
        f"{stack.origin}/api/v1/applications/{case.pk}/transitions/accept/", json={}, timeout=20
    )
    assert done.status_code == 200 and done.json()["state"] == "accepted", done.text[:500]
    wait_for(
        lambda: (
            Notification.objects.filter(
                recipient=customer, delivery_state=DeliveryState.DONE, email_sent_at__isnull=False
            )
            .filter(title__contains=case.number)
            .exists()
        ),
        seconds=60,
        what="the worker to deliver the notification",
        logs=[stack.log("worker")],
    )
    # nginx's request id, in the web instance's JSON log and in the worker's line of the delivery task.
    request_id = done.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)

    def delivery_logged():
        for line in stack.log("worker").read_text(errors="replace").splitlines():
            if line.startswith("{") and '"hhht_power.tasks"' in line and "deliver_notifications" in line:
                entry = json.loads(line)
                if entry.get("request_id") == request_id:
                    return entry
        return None

    entry = wait_for(delivery_logged, seconds=30, what="the delivery's log line", logs=[stack.log("worker")])
    assert entry["user_id"] == clerk.pk and entry["case_id"] == case.pk
    assert entry["case_number"] == case.number
    # The beat runs its passes (the supervision summary among them).
    wait_for(
        FigureRefresh.objects.exists,
        seconds=60,
        what="a beat pass",
        logs=[stack.log("beat"), stack.log("worker")],
    )

    # nginx: static files from disk, plain HTTP redirected, the metrics not public.
    css = me.get(f"{stack.origin}/static/admin/css/base.css", timeout=10)
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]
    assert not any(stack.served_by("GET", "/static/admin/css/base.css").values())
    plain = requests.get(f"http://127.0.0.1:{stack.ports['http']}/healthz", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == f"{stack.origin}/healthz"
    assert me.get(f"{stack.origin}/metrics", timeout=10).status_code == 404
    too_big = me.post(
        f"{stack.origin}/api/v1/documents/",
        data={"kind": "identity"},
        files={"file": ("big.pdf", b"%PDF-1.4\n" + b"0" * (13 * 1024 * 1024))},
        timeout=30,
    )
    assert too_big.status_code == 413  # refused by nginx before any web instance reads it
    # Each web machine answers Prometheus by its own address over plain HTTP (no host check, no HTTPS
    # redirect), with the requests of its gunicorn workers (added up in their folder) and the gauges.
    scraped = requests.get(f"{stack.web('web_a')}/metrics", timeout=10)
    assert scraped.status_code == 200
    served = [
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "django_http_requests_total_by_method_total" and sample.labels["method"] == "GET"
    ]
    assert served and served[0] >= 2  # at least the readiness check and a download
    assert 'hhht_open_clocks{level="on_time"}' in scraped.text
