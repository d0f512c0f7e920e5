"""The home page says what the portal does and where to get help, with live figures; inbox messages
link to their case."""

import pytest

from deadlines.models import Notification, PolicyDocument
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def test_home_page_for_visitors(client, psb_staff):
    case_in_state("connected", staff=psb_staff)
    case_in_state("accepted", staff=psb_staff)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("立即申请", "95598", "供电营业厅", "办件查询", "政策文件"):
        assert text in html
    assert 'href="/applications/new/"' in html and 'href="/lookup/"' in html
    latest = PolicyDocument.objects.order_by("-effective_from").first()
    assert latest.title in html
    figures = response.context["figures"]
    assert (figures["connected"], figures["open"]) == (1, 1)
    assert figures["mean_days"] is not None and figures["on_time_pct"] == 100


def test_staff_still_land_on_their_workspace(client, psb_staff):
    client.force_login(psb_staff)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/applications/queue/"


def test_inbox_messages_link_to_their_case(client, customer, psb_staff):
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    note = Notification.objects.filter(recipient=customer).first()
    assert note is not None
    client.force_login(customer)
    html = client.get("/deadlines/inbox/").content.decode()
    assert f'href="/applications/{application.pk}/"' in html and f"申请 {application.number}" in html
