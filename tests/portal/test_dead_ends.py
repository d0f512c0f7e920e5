"""No dead ends for staff: a missing action is replaced by the reason it is missing."""

import pytest
from django.urls import reverse

from applications import services
from tests.applications.factories import case_in_state
from tests.portal.permits import road_permit_case

pytestmark = pytest.mark.django_db


def test_a_document_rejected_on_another_case_explains_why_accept_is_missing(client, psb_staff, customer):
    first = case_in_state("submitted", customer=customer, staff=psb_staff)
    second = case_in_state("submitted", customer=customer, staff=psb_staff)
    # The customer reused the first case's identity document from its wallet.
    shared = first.documents.get(kind="identity")
    second.documents.remove(*second.documents.filter(kind="identity"))
    second.documents.add(shared)
    services.application_transition(
        application_id=first.pk,
        name="return_for_materials",
        actor=psb_staff,
        data={"missing": [{"kind": "identity", "reason": "照片模糊"}], "note": ""},
    )
    client.force_login(psb_staff)
    html = client.get(reverse("applications:detail", kwargs={"pk": second.pk})).content.decode()
    assert 'id="transition-accept"' not in html
    assert 'id="blocked-accept"' in html
    assert f"已在申请 {first.number} 中被退回（照片模糊）" in html
    assert 'id="transition-return_for_materials"' in html  # the way out is offered


def test_grant_is_explained_until_the_joint_survey_is_done(client, psb_staff, make_user):
    window = make_user("window_d", roles=["window", "reviewer"], org="xzsp")
    road = make_user("cgzf_d", roles=["reviewer"], org="cgzf")
    application, task = road_permit_case(psb_staff, window, road)
    assert task.parts.filter(done_at=None).exists()
    client.force_login(road)
    html = client.get(reverse("approvals:task", kwargs={"pk": task.pk})).content.decode()
    assert 'id="task-action-grant"' not in html
    assert 'id="blocked-grant"' in html and "完成后方可出件" in html and "待完成" in html


def test_queue_shows_the_slowest_permit_and_working_days_late(client, psb_staff, make_user):
    import re
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from deadlines.calendar import add_working_days, local_date
    from deadlines.models import StageClock

    window = make_user("window_q", roles=["window", "reviewer"], org="xzsp")
    application, _task = road_permit_case(psb_staff, window)
    permits = StageClock.objects.filter(
        subject_id=application.pk, stage__in=["planning_permit", "road_permit"], finished_at=None
    )
    slowest = max(c.due_at for c in permits)
    late = case_in_state("accepted", staff=psb_staff)
    clock = StageClock.objects.get(subject_id=late.pk, stage="plan_reply", finished_at=None)
    client.force_login(psb_staff)
    html = client.get(reverse("applications:queue")).content.decode()
    row = re.search(rf'data-number="{application.number}">(.*?)</tr>', html, re.S).group(1)
    assert "行政审批" in row
    assert f"{local_date(slowest - timedelta(microseconds=1)):%Y-%m-%d}" in row

    # Three working days after the plan reply's due day, the row says so.
    due_day = local_date(clock.due_at - timedelta(microseconds=1))
    StageClock.objects.filter(pk=clock.pk).update(level="overdue")
    later = add_working_days(due_day, 3)
    with time_machine.travel(
        timezone.make_aware(timezone.datetime(later.year, later.month, later.day, 10)), tick=False
    ):
        html = client.get(reverse("applications:queue")).content.decode()
    row = re.search(rf'data-number="{late.number}">(.*?)</tr>', html, re.S).group(1)
    assert "超期 3 个工作日" in row
