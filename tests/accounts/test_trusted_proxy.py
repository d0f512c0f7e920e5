"""Lock-out behind the TLS proxy: the client's address comes from X-Forwarded-For only when the request
comes from a trusted proxy (DJANGO_TRUSTED_PROXIES); from anywhere else the header is ignored."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.middleware import client_ip
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.1"


@pytest.fixture(autouse=True)
def _proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]


def _login(client, password, *, via=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": via}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("accounts:login"), {"username": "alice", "password": password}, **extra)


def test_an_attacker_behind_the_proxy_locks_only_its_own_address(client, customer):
    for _ in range(5):
        response = _login(client, "wrong-password", forwarded="203.0.113.7")
    assert response.status_code == 429
    assert _login(client, TEST_PASSWORD, forwarded="203.0.113.7").status_code == 429
    # The real user, through the same proxy from its own address, still signs in.
    assert _login(client, TEST_PASSWORD, forwarded="198.51.100.9").status_code == 302


def test_a_forged_header_from_outside_the_proxies_changes_nothing(client, customer):
    for i in range(5):
        response = _login(client, "wrong-password", via="203.0.113.50", forwarded=f"192.0.2.{i}")
    assert response.status_code == 429
    # Claiming yet another address does not lift the lock of the address the request really came from.
    assert _login(client, TEST_PASSWORD, via="203.0.113.50", forwarded="192.0.2.99").status_code == 429


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (PROXY, "198.51.100.9", "198.51.100.9"),
        (PROXY, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # the left-most entry is the client's claim
        (PROXY, "198.51.100.9, 10.1.2.3", "198.51.100.9"),  # a second trusted hop is skipped
        (PROXY, "not-an-address", PROXY),
        (PROXY, "", PROXY),
        ("203.0.113.50", "198.51.100.9", "203.0.113.50"),
        ("", "198.51.100.9", "0.0.0.0"),  # no address (a unix socket): one shared unknown address
    ],
)
def test_client_address(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(request) == PROXY
