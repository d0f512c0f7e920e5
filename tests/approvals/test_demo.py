"""The demo permit case: seeded through the real services, several task states, idempotent."""

from io import StringIO

import pytest

from accounts.demo import seed_accounts
from applications.models import Application
from approvals import demo
from approvals.models import ApprovalTask, SharedDocument

pytestmark = pytest.mark.django_db


def test_seed_creates_one_case_in_approving_with_tasks_in_several_states_once():
    seed_accounts(password="Demo-pass-2026")
    out = StringIO()
    demo.seed(stdout=out)
    demo.seed(stdout=out)
    case = Application.objects.get(address=demo.ADDRESS)
    assert case.state == "approving"
    states = dict(ApprovalTask.objects.filter(application=case).values_list("kind", "state"))
    assert states == {
        "window_intake": "granted",
        "planning_permit": "granted",
        "road_permit": "in_review",
        "green_permit": "returned",
    }
    assert list(SharedDocument.objects.filter(application=case).values_list("version", flat=True)) == [2, 1]
    assert Application.objects.filter(address=demo.ADDRESS).count() == 1
    assert "already there" in out.getvalue()


def test_demo_history_is_in_office_hours_on_working_days():
    from datetime import time

    from django.utils import timezone

    from applications.models import AuditEntry
    from approvals.models import TaskAuditEntry
    from deadlines.calendar import is_working_day

    seed_accounts(password="Demo-pass-2026")
    demo.seed(stdout=StringIO())
    case = Application.objects.get(address=demo.ADDRESS)
    instants = [e.at for e in AuditEntry.objects.filter(application=case)]
    instants += [e.at for e in TaskAuditEntry.objects.filter(task__application=case)]
    assert len(instants) > 10
    for at in instants:
        local = timezone.localtime(at)
        assert is_working_day(local.date()) and time(9) <= local.time() <= time(17, 30), local
        assert at <= timezone.now()
