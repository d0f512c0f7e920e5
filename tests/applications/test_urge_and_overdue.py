"""The customer is told when a stage of its case becomes overdue, and may press (催办) once per working
day: the account manager hears of it, and from the second time the coordinating supervisor too. Warnings
of the route design reach 市自然资源局's own staff, not only its supervisors."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from deadlines.models import Notification
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def test_the_customer_is_told_once_when_a_stage_becomes_overdue(customer, psb_staff):
    # Submitted Monday 16 November 2026: acceptance due at the end of Tuesday the 17th.
    application = case_in_state("submitted", customer=customer, staff=psb_staff, at=sh(2026, 11, 16, 10))
    call_command("check_deadlines", at="2026-11-17T09:00:00+08:00", stdout=StringIO())  # warning only
    assert not Notification.objects.filter(recipient=customer, kind="deadline.customer_overdue").exists()
    call_command("check_deadlines", at="2026-11-18T09:00:00+08:00", stdout=StringIO())
    call_command("check_deadlines", at="2026-11-18T09:05:00+08:00", stdout=StringIO())
    told = Notification.objects.get(recipient=customer, kind="deadline.customer_overdue")
    assert application.number in told.title and "用电申请一窗受理" in told.title and "催办" in told.title
    assert told.want_sms is True


def test_urge_once_per_working_day_then_the_supervisor_hears(api_as, customer, psb_staff, supervisor):
    application = case_in_state(
        "accepted", customer=customer, staff=psb_staff, at=sh(2026, 11, 16, 9), step=timedelta(hours=1)
    )
    me, url = api_as(customer), f"/api/v1/applications/{application.pk}/urge/"
    with time_machine.travel(sh(2026, 11, 17, 9), tick=False):
        assert api_as(psb_staff).post(url).status_code == 403
        assert me.post(url).json() == {"urged": 1}
        again = me.post(url)
        assert again.status_code == 409 and "每个工作日可催办一次" in again.json()["detail"]
    first = Notification.objects.filter(kind="urge")
    assert set(first.values_list("recipient", flat=True)) == {psb_staff.pk}
    assert "第 1 次" in first.get().title and "供电方案答复" in first.get().title
    with time_machine.travel(sh(2026, 11, 18, 9), tick=False):
        assert me.post(url).json() == {"urged": 2}
    second = Notification.objects.filter(kind="urge", title__contains="第 2 次")
    assert set(second.values_list("recipient", flat=True)) == {psb_staff.pk, supervisor.pk}


def test_design_warnings_reach_the_natural_resources_bureaus_staff(customer, psb_staff, make_user):
    reviewer = make_user("zrzy_staff", roles=["reviewer"], org="zrzy")
    zrzy_supervisor = make_user("zrzy_sup", roles=["supervisor"], org="zrzy")
    application = case_in_state(
        "designing", customer=customer, staff=psb_staff, at=sh(2026, 11, 2, 9), step=timedelta(hours=1)
    )
    # Design from Monday 2 November, 12 working days: due the end of Wednesday the 18th, warned that day.
    call_command("check_deadlines", at="2026-11-18T09:00:00+08:00", stdout=StringIO())
    warned = set(
        Notification.objects.filter(kind="deadline.warning", subject_id=application.pk).values_list(
            "recipient", flat=True
        )
    )
    assert {reviewer.pk, zrzy_supervisor.pk} <= warned
