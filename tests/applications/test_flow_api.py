"""Whole paths through the API: LV without external works to power-on, HV dual source, the permit join."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm import TransitionNotAllowed

from applications import services
from applications.models import Application, AuditEntry
from deadlines.models import Notification, StageClock
from tests.applications.factories import PDF_BYTES, PNG_BYTES, case_in_state, credit_code

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def run(client, pk, name, data=None):
    return client.post(f"/api/v1/applications/{pk}/transitions/{name}/", data or {}, format="json")


def stages(body):
    return {s["code"]: s for s in body["stages"]}


def test_low_voltage_without_external_works_from_draft_to_connected(api_as, customer, psb_staff):
    me, staff = api_as(customer), api_as(psb_staff)
    with at(2026, 6, 1, 9, 0):  # Monday
        for kind, content in (("identity", PNG_BYTES), ("property", PDF_BYTES)):
            up = me.post(
                "/api/v1/documents/",
                {"kind": kind, "file": SimpleUploadedFile("f", content)},
                format="multipart",
            )
            assert up.status_code == 201
        created = me.post(
            "/api/v1/applications/",
            {
                "business": "new",
                "voltage": "low",
                "applicant_type": "small_micro",
                "applicant_name": "青城小面馆",
                "id_number": credit_code(11),
                "contact_phone": "13947100011",
                "address": "呼和浩特市回民区中山西路8号",
                "capacity_kva": "30",
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        pk = created.json()["id"]
        assert created.json()["state"] == "draft" and created.json()["number"] is None
        assert created.json()["available_transitions"] == ["submit", "withdraw"]

        body = run(me, pk, "submit").json()
        assert body["state"] == "submitted"
        assert re.fullmatch(r"HHHT-2026-\d{6}", body["number"])
        assert body["zero_investment"] is True and body["customer_cost"] == "0.00"
        assert stages(body)["accept"]["due_at"] == "2026-06-03T00:00:00+08:00"  # end of Tuesday
        assert stages(body)["overall"]["limit_working_days"] == 5
        assert body["available_transitions"] == ["withdraw"]

    with at(2026, 6, 1, 15, 0):
        detail = staff.get(f"/api/v1/applications/{pk}/").json()
        assert detail["available_transitions"] == ["return_for_materials", "accept", "terminate"]
        body = run(staff, pk, "accept").json()
        assert body["state"] == "accepted"
        assert body["account_manager"]["id"] == psb_staff.pk
        assert stages(body)["accept"]["finished_at"] and stages(body)["plan_reply"]["limit_working_days"] == 2

    with at(2026, 6, 2, 10, 0):
        body = run(staff, pk, "reply_plan", {"external_works": False, "plan_summary": "表箱直接接入"}).json()
        assert body["state"] == "installing"
        assert body["external_works"] is False and body["road_excavation"] is False
        assert stages(body)["installation"]["limit_working_days"] == 2
        assert "design" not in stages(body)

    with at(2026, 6, 3, 16, 0):
        assert run(staff, pk, "connect", {}).status_code == 400  # the meter number is required
        body = run(staff, pk, "connect", {"meter_number": "HH-2026-0001"}).json()
        assert body["state"] == "connected" and body["meter_number"] == "HH-2026-0001"
        assert body["available_transitions"] == []

    all_stages = stages(body)
    assert set(all_stages) == {"accept", "plan_reply", "installation", "overall"}
    assert all(s["finished_at"] for s in all_stages.values())
    assert not any(s["finished_late"] for s in all_stages.values())
    overall = StageClock.objects.get(subject_id=pk, stage="overall")
    assert overall.elapsed_working_days == 2 and overall.limit_working_days == 5
    assert [e["transition"] for e in body["timeline"]] == [
        "create",
        "submit",
        "accept",
        "reply_plan",
        "connect",
    ]
    assert body["timeline"][2]["actor"] == str(psb_staff)
    titles = list(
        Notification.objects.filter(recipient=customer).order_by("id").values_list("title", flat=True)
    )
    assert len(titles) == 4 and "已装表送电" in titles[-1] and body["number"] in titles[0]


def test_high_voltage_dual_source_with_external_works(api_as, customer, psb_staff):
    application = case_in_state("accepted", customer=customer, staff=psb_staff, dual_source=True)
    assert application.zero_investment is False and application.customer_cost is None
    staff = api_as(psb_staff)
    plan = stages(staff.get(f"/api/v1/applications/{application.pk}/").json())["plan_reply"]
    assert plan["limit_working_days"] == 30  # HV dual source
    body = run(
        staff,
        application.pk,
        "reply_plan",
        {
            "external_works": True,
            "road_excavation": False,
            "green_space": False,
            "plan_summary": "双回路10kV电缆接入",
            "customer_cost": "380000",
        },
    ).json()
    assert body["state"] == "designing" and body["customer_cost"] == "380000.00"
    assert stages(body)["design"]["limit_working_days"] == 12
    body = run(staff, application.pk, "finish_design").json()
    assert body["state"] == "constructing"  # no permits needed
    assert stages(body)["construction"]["limit_working_days"] == 10
    body = run(staff, application.pk, "finish_construction").json()
    assert body["state"] == "installing" and stages(body)["installation"]["limit_working_days"] == 5
    body = run(staff, application.pk, "connect", {"meter_number": "HV-0002"}).json()
    assert body["state"] == "connected"
    assert [e["to_state"] for e in body["timeline"]][-4:] == [
        "designing",
        "constructing",
        "installing",
        "connected",
    ]


def test_a_case_needing_permits_waits_for_the_join_exactly_once(psb_staff):
    application = case_in_state("designing", road_excavation=True, staff=psb_staff)
    services.application_transition(application_id=application.pk, name="finish_design", actor=psb_staff)
    application.refresh_from_db()
    assert application.state == "approving"
    assert StageClock.objects.filter(subject_id=application.pk, stage="approval", finished_at=None).exists()
    services.application_permits_granted(application_id=application.pk, actor=psb_staff)
    with pytest.raises(TransitionNotAllowed):
        services.application_permits_granted(application_id=application.pk, actor=psb_staff)
    application.refresh_from_db()
    assert application.state == "constructing"
    assert AuditEntry.objects.filter(application=application, transition="permits_granted").count() == 1
    assert StageClock.objects.get(subject_id=application.pk, stage="approval").finished_at is not None


def test_a_refused_permit_sends_the_case_back_to_design(psb_staff):
    application = case_in_state("approving", green_space=True, staff=psb_staff)
    services.application_permit_refused(application_id=application.pk, actor=psb_staff, reason="绿地不得占用")
    application.refresh_from_db()
    assert application.state == "designing"
    entry = AuditEntry.objects.filter(application=application).last()
    assert (entry.transition, entry.reason) == ("permit_refused", "绿地不得占用")
    approval = StageClock.objects.get(subject_id=application.pk, stage="approval")
    assert approval.cancelled_at is not None
    assert (
        StageClock.objects.filter(
            subject_id=application.pk, stage="design", finished_at=None, cancelled_at=None
        ).count()
        == 1
    )


def test_permit_transitions_cannot_be_asked_for_through_the_api(api_as, psb_staff):
    application = case_in_state("approving", staff=psb_staff)
    assert run(api_as(psb_staff), application.pk, "permits_granted").status_code == 404
    assert Application.objects.get(pk=application.pk).state == "approving"


def test_withdraw_and_terminate_close_every_clock(api_as, customer, psb_staff):
    withdrawn = case_in_state("designing", customer=customer, staff=psb_staff)
    assert (
        run(api_as(customer), withdrawn.pk, "withdraw", {"reason": "不再需要"}).json()["state"] == "withdrawn"
    )
    assert not StageClock.objects.filter(
        subject_id=withdrawn.pk, finished_at=None, cancelled_at=None
    ).exists()
    terminated = case_in_state("installing", staff=psb_staff)
    refused = run(api_as(psb_staff), terminated.pk, "terminate", {})
    assert refused.status_code == 400 and refused.json()["codes"]["reason"] == ["required"]
    body = run(api_as(psb_staff), terminated.pk, "terminate", {"reason": "用电地址拆迁"}).json()
    assert body["state"] == "terminated" and body["timeline"][-1]["reason"] == "用电地址拆迁"
    assert not StageClock.objects.filter(
        subject_id=terminated.pk, finished_at=None, cancelled_at=None
    ).exists()
    assert run(api_as(psb_staff), terminated.pk, "terminate", {"reason": "x"}).status_code == 409


def test_zero_investment_follows_the_policy_threshold():
    lv_small = case_in_state("submitted", capacity_kva=100)
    assert (lv_small.zero_investment, lv_small.customer_cost) == (True, 0)
    resident = case_in_state("submitted", resident=True)
    assert resident.zero_investment is False and resident.customer_cost is None
    enterprise = case_in_state("submitted", enterprise=True, capacity_kva=50)
    assert enterprise.zero_investment is False
