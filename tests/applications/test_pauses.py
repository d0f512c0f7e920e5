"""Pauses the measured unit cannot grant itself (SPEC 3 and 6): the customer pauses at once; staff only
request a pause, which the customer confirms or declines, and which lapses unanswered after 2 working
days; an external cause is approved by the coordinating supervisor. Every pause is a ledger row, and
only a running pause moves any due date."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from applications.pause_services import pause_requests_lapse
from applications.pauses import Pause
from deadlines.models import Notification, StageClock
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def at(*args):
    return time_machine.travel(sh(*args), tick=False)


def dues(application) -> dict:
    """Every open clock's due date, by stage."""
    return dict(
        StageClock.objects.filter(subject_id=application.pk, finished_at=None, cancelled_at=None).values_list(
            "stage", "due_at"
        )
    )


@pytest.fixture
def accepted(customer, psb_staff):
    """An LV case accepted on Monday 1 June 2026 at 10:00: the supply plan due at the end of Wednesday
    the 3rd, the overall commitment (5) at the end of Monday the 8th."""
    application = case_in_state(
        "accepted", customer=customer, staff=psb_staff, at=sh(2026, 6, 1, 9), step=timedelta(hours=1)
    )
    assert dues(application) == {"plan_reply": sh(2026, 6, 4), "overall": sh(2026, 6, 9)}
    return application


def url(application, tail=""):
    return f"/api/v1/applications/{application.pk}/{tail}"


def test_the_customer_pauses_at_once_and_the_resume_moves_every_due_date(api_as, accepted, customer):
    me = api_as(customer)
    with at(2026, 6, 2, 9):
        body = me.post(
            url(accepted, "pause/"), {"reason_code": "customer_delay", "note": "出差"}, format="json"
        )
    assert body.status_code == 200 and body.json()["paused"] is True
    with at(2026, 6, 5, 9):  # three working days later: the 3rd, 4th and 5th
        body = me.post(url(accepted, "resume/"), format="json").json()
    assert dues(accepted) == {"plan_reply": sh(2026, 6, 9), "overall": sh(2026, 6, 12)}
    [pause] = body["pauses"]
    assert pause["reason_code"] == "customer_delay" and pause["working_days"] == 3
    assert pause["requested_by"] == pause["confirmed_by"] == "张三"
    assert pause["started_at"].startswith("2026-06-02T09:00") and pause["ended_at"].startswith(
        "2026-06-05T09:00"
    )


def test_a_staff_request_changes_nothing_until_the_customer_confirms(api_as, accepted, customer, psb_staff):
    staff, me = api_as(psb_staff), api_as(customer)
    with at(2026, 6, 2, 9):
        answer = staff.post(
            url(accepted, "pause/"),
            {"reason_code": "customer_works_unfinished", "note": "受电工程未完工"},
            format="json",
        )
    assert answer.status_code == 202
    request = answer.json()["pause_request"]
    assert request["state"] == "requested" and set(request) == {"id", "state"}
    assert dues(accepted) == {"plan_reply": sh(2026, 6, 4), "overall": sh(2026, 6, 9)}
    told = Notification.objects.get(recipient=customer, kind="pause")
    assert "申请暂停计时" in told.title and told.want_sms is True
    with at(2026, 6, 3, 9):
        # Staff cannot confirm their own request; another customer does not even see the case.
        assert staff.post(url(accepted, f"pause-requests/{request['id']}/confirm/")).status_code == 403
        body = me.post(url(accepted, f"pause-requests/{request['id']}/confirm/")).json()
    assert body["paused"] is True
    with at(2026, 6, 5, 9):
        staff.post(url(accepted, "resume/"), format="json")
    # Paused from the 3rd to the 5th: two working days (the 4th and 5th).
    assert dues(accepted) == {"plan_reply": sh(2026, 6, 6), "overall": sh(2026, 6, 11)}
    pause = Pause.objects.get()
    assert (pause.state, pause.working_days, pause.requested_by, pause.answered_by) == (
        "ended",
        2,
        psb_staff,
        customer,
    )


def test_a_declined_request_lapses_and_the_clock_never_stopped(api_as, accepted, customer, psb_staff):
    staff, me = api_as(psb_staff), api_as(customer)
    with at(2026, 6, 2, 9):
        pid = staff.post(
            url(accepted, "pause/"), {"reason_code": "customer_delay_power_on"}, format="json"
        ).json()["pause_request"]["id"]
        body = me.post(url(accepted, f"pause-requests/{pid}/decline/")).json()
    assert body["paused"] is False and body["pauses"][0]["state"] == "declined"
    assert body["pauses"][0]["confirmed_by"] is None and body["pauses"][0]["started_at"] is None
    assert dues(accepted) == {"plan_reply": sh(2026, 6, 4), "overall": sh(2026, 6, 9)}
    with at(2026, 6, 2, 10):
        assert me.post(url(accepted, f"pause-requests/{pid}/confirm/")).status_code == 409


def test_an_unanswered_request_lapses_after_two_working_days(api_as, accepted, customer, psb_staff):
    staff, me = api_as(psb_staff), api_as(customer)
    with at(2026, 6, 2, 9):
        pid = staff.post(url(accepted, "pause/"), {"reason_code": "customer_delay"}, format="json").json()[
            "pause_request"
        ]["id"]
    assert Pause.objects.get().expires_at == sh(2026, 6, 5)  # the end of Thursday the 4th
    assert pause_requests_lapse(at=sh(2026, 6, 4, 23, 59)) == 0
    assert pause_requests_lapse(at=sh(2026, 6, 5, 0, 0)) == 1
    assert pause_requests_lapse(at=sh(2026, 6, 5, 0, 5)) == 0  # idempotent
    assert Pause.objects.get().state == "lapsed"
    with at(2026, 6, 5, 9):
        assert me.post(url(accepted, f"pause-requests/{pid}/confirm/")).status_code == 409
        # The way is free for a new request.
        assert (
            staff.post(url(accepted, "pause/"), {"reason_code": "customer_delay"}, format="json").status_code
            == 202
        )
    assert dues(accepted)["plan_reply"] == sh(2026, 6, 4)


def test_an_external_cause_is_approved_by_the_coordinating_supervisor(
    api_as, accepted, customer, psb_staff, supervisor, make_user
):
    staff, me, gxj = api_as(psb_staff), api_as(customer), api_as(supervisor)
    fgw = api_as(make_user("fgw1", roles=["supervisor"], org="fgw"))
    with at(2026, 6, 2, 9):
        # The customer cannot claim an external cause for itself.
        refused = me.post(url(accepted, "pause/"), {"reason_code": "weather"}, format="json")
        assert refused.status_code == 400 and refused.json()["codes"] == {
            "reason_code": ["pause_reason_invalid"]
        }
        pid = staff.post(
            url(accepted, "pause/"), {"reason_code": "weather", "note": "暴雪"}, format="json"
        ).json()["pause_request"]["id"]
        assert Notification.objects.filter(recipient=supervisor, kind="pause").exists()
        assert me.post(url(accepted, f"pause-requests/{pid}/confirm/")).status_code == 403
        assert fgw.post(url(accepted, f"pause-requests/{pid}/confirm/")).status_code == 404  # not its case
        body = gxj.post(url(accepted, f"pause-requests/{pid}/confirm/")).json()
    assert body["paused"] is True
    assert body["pauses"][0]["confirmed_by"] == str(supervisor)
    with at(2026, 6, 3, 9):  # a supervisor can end any pause
        assert gxj.post(url(accepted, "resume/"), format="json").json()["paused"] is False
    assert dues(accepted)["plan_reply"] == sh(2026, 6, 5)


def test_bad_input_and_wrong_people(api_as, accepted, customer, other_customer, psb_staff):
    staff, me, them = api_as(psb_staff), api_as(customer), api_as(other_customer)
    with at(2026, 6, 2, 9):
        missing = staff.post(url(accepted, "pause/"), {}, format="json")
        assert missing.status_code == 400 and "reason_code" in missing.json()
        assert (
            them.post(url(accepted, "pause/"), {"reason_code": "customer_delay"}, format="json").status_code
            == 404
        )
        assert (
            me.post(url(accepted, "pause/"), {"reason_code": "customer_delay"}, format="json").status_code
            == 200
        )
        again = me.post(url(accepted, "pause/"), {"reason_code": "customer_delay"}, format="json")
        assert again.status_code == 409
        assert me.post(url(accepted, "pause-requests/999999/confirm/")).status_code == 404


def test_the_one_time_notice_is_a_ledger_row_ended_by_the_resubmission(api_as, customer, psb_staff):
    application = case_in_state(
        "returned", customer=customer, staff=psb_staff, at=sh(2026, 6, 1, 9), step=timedelta(hours=1)
    )
    pause = Pause.objects.get(application=application)
    assert (pause.reason.code, pause.state, pause.requested_by) == ("one_time_notice", "active", psb_staff)
    assert pause.answered_by is None
    from tests.applications.factories import attach_materials

    attach_materials(application)
    with at(2026, 6, 3, 9):
        body = api_as(customer).post(url(application, "transitions/submit/"), {}, format="json").json()
    [row] = body["pauses"]
    assert (
        row["reason_code"] == "one_time_notice" and row["working_days"] == 2 and row["confirmed_by"] is None
    )
