"""The customer sees the permit stage as one line promised by the slowest permit; staff see every
permit clock (issue 5: 并联审批 seen from each side)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import ApprovalTask
from deadlines.calendar import local_date
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def _stage_codes(html):
    return re.findall(r'data-stage="([a-z_]+)"', html)


def test_customer_sees_one_permit_line_and_staff_see_each_permit(client, psb_staff, make_user):
    application = case_in_state("approving", staff=psb_staff, road_excavation=True, green_space=True)
    window = make_user("window_s", roles=["window", "reviewer"], org="xzsp")
    intake = ApprovalTask.objects.get(application=application, kind="window_intake")
    services.task_transition(task_id=intake.pk, name="accept_filing", actor=window, data={})
    permits = ApprovalTask.objects.filter(application=application).exclude(kind="window_intake")
    slowest = max(t.clock.due_at for t in permits)

    client.force_login(application.customer)
    html = client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    codes = _stage_codes(html)
    assert codes.count("approval") == 1
    assert not {"window_intake", "planning_permit", "road_permit", "green_permit"} & set(codes)
    last_day = local_date(slowest - timedelta(microseconds=1))
    assert f"预计 {last_day:%Y-%m-%d} 前办结" in html

    client.force_login(psb_staff)
    html = client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert {"window_intake", "planning_permit", "road_permit", "green_permit"} <= set(_stage_codes(html))
    assert "permit-summary" not in html
