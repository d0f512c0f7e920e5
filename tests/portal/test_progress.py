"""The case page's progress tells the truth: a returned acceptance is "退回补正", not "按时办结"; after
resubmission the acceptance shows once with its earlier round beneath; stages to come are listed with
their limits; a paused case says so instead of "正常"."""

import re

import pytest
from django.urls import reverse

from applications import services
from applications.pause_services import pause_ask
from tests.applications.factories import DocumentFactory, case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def _stage(html, code):
    """The <li> of one stage row."""
    found = re.findall(
        rf'<li class="stage [^"]*" data-stage="{code}" data-status="(\w+)">(.*?)</li>', html, re.S
    )
    return found


def _page(client, application):
    return client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()


def test_a_returned_acceptance_is_not_done_on_time(signed_in, customer, psb_staff):
    application = case_in_state("returned", customer=customer, staff=psb_staff)
    html = _page(signed_in, application)
    (accept,) = _stage(html, "accept")
    assert accept[0] == "returned" and "退回补正" in accept[1] and "按时办结" not in accept[1]
    # The case waits for the customer: said plainly, not "正常".
    assert 'id="paused-badge"' in html and "暂停计时中" in html
    overall = re.search(r'<p class="small mb-2" id="overall-promise">(.*?)</p>', html, re.S).group(1)
    assert "正常" not in overall

    # Resubmitted: the acceptance shows once, running, with the returned round beneath it.
    doc = DocumentFactory(owner=customer, kind="property")
    services.application_transition(
        application_id=application.pk, name="submit", actor=customer, data={"documents": [doc.pk]}
    )
    html = _page(signed_in, application)
    (accept,) = _stage(html, "accept")
    assert accept[0] == "running" and "此前一轮" in accept[1] and "退回补正" in accept[1]
    assert html.count("按时办结") == 0
    assert 'id="paused-badge"' not in html


def test_stages_to_come_are_listed_with_their_limits(signed_in, customer, psb_staff):
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    html = _page(signed_in, application)
    (accept,) = _stage(html, "accept")
    assert accept[0] == "done" and "按时办结" in accept[1]
    (plan,) = _stage(html, "plan_reply")
    assert plan[0] == "running" and "承诺" in plan[1]
    (install,) = _stage(html, "installation")
    assert install[0] == "pending" and re.search(r"时限 \d+ 个工作日", install[1])


def test_paused_case_shows_paused_days(client, psb_staff):
    application = case_in_state("accepted", staff=psb_staff)
    pause_ask(
        application_id=application.pk,
        actor=application.customer,
        reason_code="customer_delay",
        note="等待客户确认用电容量",
    )
    client.force_login(psb_staff)
    html = _page(client, application)
    (plan,) = _stage(html, "plan_reply")
    assert plan[0] == "paused" and "暂停计时（自" in plan[1]
    assert "暂停计时中" in html
