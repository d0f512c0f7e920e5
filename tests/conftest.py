"""Shared fixtures: users by role, API clients, and headless Chromium for page tests."""

import os
import shutil
from pathlib import Path

import pytest
from rest_framework.test import APIClient

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Every database test starts with the migration-seeded rows present (a transactional test's flush
    removes them; they are seeded again, inside the test's transaction for the others)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"live_server", "transactional_db"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    if transactional or marker is not None:
        from tests.reference_data import ensure_reference_data

        ensure_reference_data()


ARTIFACTS = Path(os.environ.get("HHHT_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts"))


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in English must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Every test writes uploads to its own private folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test counts its rate limits in a cache of its own (the settings' cache is the shared Redis:
    tests/accounts/test_rate_limits.py uses it on purpose)."""
    from uuid import uuid4

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid4().hex}
    }


@pytest.fixture
def fake_sms(settings):
    """SMS go to the in-memory gateway (``FakeSmsBackend.outbox``: (number, text) pairs), empty at start."""
    from deadlines.sms import FakeSmsBackend

    settings.SMS_BACKEND = "deadlines.sms.FakeSmsBackend"
    FakeSmsBackend.reset()
    yield FakeSmsBackend
    FakeSmsBackend.reset()


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db):
    """make_user("psb_demo2", roles=["psb_staff"], org="psb") -> a saved user with those roles."""
    from tests.factories import UserFactory

    def _make(username=None, *, roles=("customer",), org=None, **extra):
        kwargs = {"roles": list(roles), "org": org, **extra}
        if username:
            kwargs["username"] = username
        return UserFactory(**kwargs)

    return _make


@pytest.fixture
def customer(make_user):
    return make_user("alice", roles=["customer"], real_name="张三", phone="13912345678")


@pytest.fixture
def other_customer(make_user):
    return make_user("bob", roles=["customer"], real_name="李四", phone="13912345679")


@pytest.fixture
def psb_staff(make_user):
    return make_user("psb1", roles=["psb_staff", "account_manager"], org="psb")


@pytest.fixture
def supervisor(make_user):
    return make_user("gxj1", roles=["supervisor", "leader"], org="gxj")


@pytest.fixture
def admin_user(make_user):
    return make_user("root1", roles=["admin"], org="gxj", is_superuser=True, is_staff=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient authenticated with that user's token."""
    from rest_framework.authtoken.models import Token

    def _as(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _as


# Browser tests (pytest-playwright) use the system Chromium: no browser download on our machines.
def _chromium_path():
    for candidate in ("/usr/bin/chromium", "/usr/lib/chromium/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": _chromium_path(),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def screenshot_dir():
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
