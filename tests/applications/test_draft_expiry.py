"""A draft nobody touches for 30 days expires (withdrawn by the daily task), its customer warned 3 days
before; an edit starts the 30 days again; running the pass twice changes nothing more."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from applications import services
from applications.models import Application, ApplicationState, AuditEntry
from applications.tasks import drafts_expire
from deadlines.models import Notification
from tests.applications.factories import case_in_state, credit_code

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


def _create(customer, at):
    with time_machine.travel(at, tick=False):
        return services.application_create(
            customer=customer,
            data={
                "business": "new",
                "voltage": "low",
                "applicant_type": "small_micro",
                "applicant_name": "呼和浩特青城商贸有限公司",
                "id_number": credit_code(4718),
                "contact_phone": "13947100007",
                "address": "呼和浩特市赛罕区大学东街1号",
                "capacity_kva": "80",
            },
        )


def _pass(at):
    with time_machine.travel(at, tick=False):
        return drafts_expire()


def test_warned_three_days_before_then_withdrawn_after_thirty_days(
    customer, django_capture_on_commit_callbacks
):
    draft = _create(customer, START)
    assert _pass(START + timedelta(days=26)) == {"expired": 0, "warned": 0}

    assert _pass(START + timedelta(days=27, hours=1)) == {"expired": 0, "warned": 1}
    warning = Notification.objects.get(recipient=customer, dedupe_key__contains="draft-expiry")
    assert "2026-04-01 10:00" in warning.title and "自动失效" in warning.title
    _pass(START + timedelta(days=28))  # warned once per quiet spell
    assert Notification.objects.filter(recipient=customer, dedupe_key__contains="draft-expiry").count() == 1

    assert _pass(START + timedelta(days=30, minutes=1)) == {"expired": 1, "warned": 0}
    draft.refresh_from_db()
    assert draft.state == ApplicationState.WITHDRAWN
    last = AuditEntry.objects.filter(application=draft).last()
    assert (last.transition, last.actor, last.data) == ("withdraw", None, {"expired": True})
    assert "30 天未修改" in last.reason
    assert _pass(START + timedelta(days=31)) == {"expired": 0, "warned": 0}


def test_an_edit_starts_the_thirty_days_again(customer):
    draft = _create(customer, START)
    with time_machine.travel(START + timedelta(days=20), tick=False):
        services.application_update(application_id=draft.pk, actor=customer, data={"capacity_kva": "90"})
    assert _pass(START + timedelta(days=31)) == {"expired": 0, "warned": 0}
    assert _pass(START + timedelta(days=50, minutes=1))["expired"] == 1


def test_submitted_cases_never_expire(customer):
    case = case_in_state("submitted", customer=customer, at=START)
    assert _pass(START + timedelta(days=90)) == {"expired": 0, "warned": 0}
    assert Application.objects.get(pk=case.pk).state == ApplicationState.SUBMITTED


def test_the_pass_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["drafts-expire"]
    assert entry["task"] == "applications.tasks.drafts_expire"
    assert entry["schedule"].hour == {2}
