"""Every control of the main pages has a label (screen readers, and Playwright's get_by_label)."""

import re

import pytest
from django.urls import reverse

from tests.applications.factories import DocumentFactory, case_in_state

pytestmark = pytest.mark.django_db


def unlabelled(html: str) -> list[str]:
    controls = re.findall(r"<(input|select|textarea)\b([^>]*)>", html)
    missing = []
    for _tag, attrs in controls:
        if re.search(r'type="(hidden|submit)"', attrs):
            continue
        found = re.search(r'\bid="([^"]+)"', attrs)
        if found is None or f'for="{found.group(1)}"' not in html:
            missing.append(attrs.strip()[:80])
    return missing


def test_customer_pages(client, customer, psb_staff):
    DocumentFactory(owner=customer)
    returned = case_in_state("returned", customer=customer, staff=psb_staff)
    connected = case_in_state("connected", customer=customer, staff=psb_staff)
    client.force_login(customer)
    for url in (
        reverse("applications:create"),
        reverse("applications:wallet"),
        reverse("applications:mine"),
        reverse("applications:detail", kwargs={"pk": returned.pk}),
        reverse("applications:detail", kwargs={"pk": connected.pk}),
    ):
        html = client.get(url).content.decode()
        assert unlabelled(html) == [], url


def test_staff_pages(client, psb_staff):
    submitted = case_in_state("submitted", staff=psb_staff)
    accepted = case_in_state("accepted", staff=psb_staff)
    client.force_login(psb_staff)
    for url in (
        reverse("applications:queue"),
        reverse("applications:detail", kwargs={"pk": submitted.pk}),
        reverse("applications:detail", kwargs={"pk": accepted.pk}),
    ):
        html = client.get(url).content.decode()
        assert unlabelled(html) == [], url
