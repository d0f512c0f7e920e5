"""Uploads are limited per user and per client address, registrations per address; the counts live in
Django's cache, which is Redis in production: another worker process sees the same count."""

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Document
from deadlines.sms import FakeSmsBackend
from tests.applications.factories import PNG_BYTES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_sms")]


def _upload(client, n=0, **extra):
    file = SimpleUploadedFile(f"id{n}.png", PNG_BYTES, content_type="image/png")
    return client.post("/applications/wallet/", {"kind": "identity", "file": file}, **extra)


def _register(client, n, address):
    # A new number each time: the SMS limits per number may live in Redis, which outlasts a test run.
    phone = f"138{uuid.uuid4().int % 10**8:08d}"
    client.post("/accounts/sms-code/", {"phone": phone, "purpose": "register"}, REMOTE_ADDR=address)
    data = {
        "username": f"rate{n}{uuid.uuid4().hex[:6]}",
        "real_name": "赵六",
        "phone": phone,
        "sms_code": re.search(r"(\d{6})", FakeSmsBackend.outbox[-1][1]).group(1),
        "password": "Hohhot-Power-77",
        "password2": "Hohhot-Power-77",
        "consent": "on",
    }
    return client.post("/accounts/register/", data, REMOTE_ADDR=address)


def test_uploads_per_user(client, settings, customer, other_customer):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "uploads-per-user": "3/h"}
    client.force_login(customer)
    assert [_upload(client, i).status_code for i in range(4)] == [302, 302, 302, 429]
    assert "操作过于频繁" in _upload(client).content.decode()
    assert Document.objects.filter(owner=customer).count() == 3
    client.force_login(other_customer)
    assert _upload(client).status_code == 302


def test_uploads_per_address(client, settings, customer, other_customer):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "uploads-per-address": "3/h"}
    client.force_login(customer)
    assert [_upload(client, i).status_code for i in range(2)] == [302, 302]
    client.force_login(other_customer)
    assert [_upload(client, i).status_code for i in range(2)] == [302, 429]
    assert _upload(client, REMOTE_ADDR="198.51.100.20").status_code == 302


def test_a_request_without_a_client_address_is_counted_not_refused(client, settings, customer):
    """A web server bound to a unix socket sends no REMOTE_ADDR: such uploads and registrations share one
    count instead of failing."""
    assert _register(client, 9901, "").status_code == 302
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "uploads-per-address": "2/h"}
    client.force_login(customer)
    assert [_upload(client, i, REMOTE_ADDR="").status_code for i in range(3)] == [302, 302, 429]


def test_api_uploads_are_counted_too(api_as, settings, customer):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "uploads-per-user": "2/h"}
    api = api_as(customer)
    codes = [
        api.post(
            "/api/v1/documents/",
            {"kind": "identity", "file": SimpleUploadedFile("a.png", PNG_BYTES, content_type="image/png")},
            format="multipart",
        ).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]


def test_registrations_per_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registrations": "3/h"}
    assert [_register(client, i, "203.0.113.5").status_code for i in range(4)] == [302, 302, 302, 429]
    assert _register(client, 9, "203.0.113.6").status_code == 302


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"), reason="the shared cache is Redis"
)
def test_the_count_is_shared_with_another_worker_process(client, settings):
    """The settings' own cache (Redis): a registration limit reached here holds in a fresh process."""
    from hhht_power import settings as configured

    settings.CACHES = configured.CACHES
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registrations": "2/h"}
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    assert [_register(client, i, address).status_code for i in range(2)] == [302, 302]
    other_worker = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from django.contrib.auth.models import AnonymousUser\n"
            "from django.test import RequestFactory\n"
            "from accounts.middleware import RateLimitMiddleware\n"
            f"request = RequestFactory().post('/accounts/register/', REMOTE_ADDR='{address}')\n"
            "request.user = AnonymousUser()\n"
            "answer = RateLimitMiddleware(lambda r: None).process_request(request)\n"
            "print(answer.status_code if answer else 'allowed')\n",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hhht_power.settings",
            "REGISTRATION_RATE_PER_ADDRESS": "2/h",
        },
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other_worker.stdout.strip().splitlines()[-1] == "429", other_worker.stderr[-2000:]
