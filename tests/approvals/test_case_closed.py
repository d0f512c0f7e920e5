"""A case withdrawn by its customer or terminated by the bureau takes its open permit tasks with it:
each is withdrawn (its clock cancelled, its history written), its department is told, and nobody can
work it any more. Permits already granted stay granted."""

import pytest
from django_fsm import TransitionNotAllowed

from approvals.models import ApprovalTask
from deadlines.models import Notification, StageClock
from tests.applications.factories import case_in_state

from .conftest import grant_planning, push, step, task_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(customer, psb_staff, window_user):
    application = case_in_state(
        "approving", customer=customer, staff=psb_staff, road_excavation=True, green_space=True
    )
    push(application, window_user)
    return application


def _tasks(application):
    return {t.kind: t for t in ApprovalTask.objects.filter(application=application)}


@pytest.mark.parametrize(
    "who,name,data,word",
    [("customer", "withdraw", {}, "撤回"), ("psb_staff", "terminate", {"reason": "用户放弃用电"}, "终止")],
)
def test_closing_the_case_withdraws_its_open_permit_tasks(
    api_as, request, pushed, departments, who, name, data, word
):
    grant_planning(pushed, departments)
    response = api_as(request.getfixturevalue(who)).post(
        f"/api/v1/applications/{pushed.pk}/transitions/{name}/", data, format="json"
    )
    assert response.status_code == 200, response.json()
    tasks = _tasks(pushed)
    assert tasks["planning_permit"].state == "granted"  # a permit granted stays granted
    for kind in ("road_permit", "green_permit"):
        task = tasks[kind]
        assert task.state == "withdrawn" and task.closed_at is not None
        assert task.audit_entries.filter(transition="withdraw").count() == 1
    # No clock of the case runs any more.
    assert not StageClock.objects.filter(
        subject_id=pushed.pk, finished_at__isnull=True, cancelled_at__isnull=True
    ).exists()
    # The departments are told they need not go on, once per task.
    told = Notification.objects.filter(recipient=departments["cgzf"], dedupe_key__endswith=":withdrawn")
    assert told.count() == 2  # the road permit, and the green permit its sub-unit gives consent to
    assert all(word in n.title and "无需继续办理" in n.title for n in told)
    assert not Notification.objects.filter(recipient=departments["zrzy"], dedupe_key__endswith=":withdrawn")
    # Nobody can work a withdrawn task.
    road = tasks["road_permit"]
    reply = api_as(departments["cgzf"]).post(
        f"/api/v1/approval-tasks/{road.pk}/transitions/start_review/", {}, format="json"
    )
    assert reply.status_code == 409


def test_a_draft_withdrawn_has_no_tasks_to_withdraw(api_as, customer):
    draft = case_in_state("draft", customer=customer)
    response = api_as(customer).post(f"/api/v1/applications/{draft.pk}/transitions/withdraw/", {})
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert not ApprovalTask.objects.filter(application=draft).exists()


def test_the_window_intake_not_yet_accepted_is_withdrawn_too(api_as, customer, psb_staff, window_user):
    application = case_in_state("approving", customer=customer, staff=psb_staff, road_excavation=True)
    intake = task_of(application, "window_intake")
    assert (
        api_as(customer).post(f"/api/v1/applications/{application.pk}/transitions/withdraw/", {}).status_code
        == 200
    )
    intake.refresh_from_db()
    assert intake.state == "withdrawn"
    with pytest.raises(TransitionNotAllowed):
        step(intake, "accept_filing", window_user)
