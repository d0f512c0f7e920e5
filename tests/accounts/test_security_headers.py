"""Headers: every page carries a Content-Security-Policy that allows no inline script (and the pages have
none); API answers carrying personal data are ``Cache-Control: private, no-store``."""

import re

import pytest

from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _assert_strict(response):
    assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not EVENT_ATTRIBUTE.search(html), EVENT_ATTRIBUTE.search(html).group(0)


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/register/", "/api/docs/"])
def test_anonymous_pages(client, url):
    _assert_strict(client.get(url))


def test_the_customers_and_the_staffs_pages(client, customer, psb_staff, supervisor, admin_user):
    case = case_in_state("submitted", customer=customer)
    client.force_login(customer)
    for url in (
        "/applications/new/",
        "/applications/mine/",
        "/applications/wallet/",
        f"/applications/{case.pk}/",
        f"/applications/{case.pk}/form/",
    ):
        _assert_strict(client.get(url))
    client.force_login(psb_staff)
    for url in ("/applications/queue/", f"/applications/{case.pk}/"):
        _assert_strict(client.get(url))
    client.force_login(supervisor)
    for url in ("/supervision/", "/supervision/report/"):
        _assert_strict(client.get(url))
    client.force_login(admin_user)
    for url in (
        "/admin/",
        "/admin/applications/application/",
        f"/admin/applications/application/{case.pk}/change/",
    ):
        _assert_strict(client.get(url))


def test_api_answers_are_private_and_not_stored(api_as, customer):
    case = case_in_state("submitted", customer=customer)
    for url in (f"/api/v1/applications/{case.pk}/", "/api/v1/applications/", "/api/v1/documents/"):
        response = api_as(customer).get(url)
        assert response.status_code == 200
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives


def test_document_files_are_served_without_a_page_policy(client, customer):
    case = case_in_state("submitted", customer=customer)
    document = case.documents.first()
    client.force_login(customer)
    response = client.get(f"/applications/documents/{document.pk}/preview/")
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response
