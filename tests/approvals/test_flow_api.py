"""An LV case with external works, road excavation and green space, from submission to power-on, through
the API: one filing at the window, the permits in parallel, the join, the green fee after relocation."""

from datetime import date

import chinese_calendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Application, AuditEntry
from approvals.models import ApprovalTask, TaskAuditEntry
from deadlines.models import StageClock
from tests.applications.factories import PDF_BYTES, PNG_BYTES, credit_code

from .conftest import at

pytestmark = pytest.mark.django_db


def run_case(client, pk, name, data=None):
    response = client.post(f"/api/v1/applications/{pk}/transitions/{name}/", data or {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def run_task(client, pk, name, data=None, *, expect=200):
    response = client.post(f"/api/v1/approval-tasks/{pk}/transitions/{name}/", data or {}, format="json")
    assert response.status_code == expect, response.content
    return response.json()


def tasks(client, **params):
    response = client.get("/api/v1/approval-tasks/", params)
    assert response.status_code == 200
    return {t["kind"]: t for t in response.json()["results"]}


def official_working_days(start: date, end: date) -> int:
    """Working days in (start, end] by the chinese-calendar package itself: an independent count."""
    days = (end - start).days
    return sum(
        chinese_calendar.is_workday(date.fromordinal(start.toordinal() + i)) for i in range(1, days + 1)
    )


def test_lv_case_with_road_and_green_from_submission_to_power_on(
    api_as, customer, psb_staff, departments, supervisor
):
    me, staff = api_as(customer), api_as(psb_staff)
    d = {name: api_as(user) for name, user in departments.items()}

    with at(2026, 9, 7, 9, 0):  # Monday
        for kind, content in (("identity", PNG_BYTES), ("property", PDF_BYTES)):
            up = me.post("/api/v1/documents/", {"kind": kind, "file": SimpleUploadedFile("f", content)})
            assert up.status_code == 201
        created = me.post(
            "/api/v1/applications/",
            {
                "business": "new",
                "voltage": "low",
                "applicant_type": "small_micro",
                "applicant_name": "青城烧麦馆",
                "id_number": credit_code(77),
                "contact_phone": "13947100077",
                "address": "呼和浩特市赛罕区大学东街99号",
                "capacity_kva": "80",
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        pk = created.json()["id"]
        run_case(me, pk, "submit")
    with at(2026, 9, 7, 14, 0):
        run_case(staff, pk, "accept")
    with at(2026, 9, 8, 10, 0):
        plan = {
            "external_works": True,
            "road_excavation": True,
            "green_space": True,
            "plan_summary": "电缆穿路",
        }
        run_case(staff, pk, "reply_plan", plan)
    with at(2026, 9, 11, 16, 0):
        assert run_case(staff, pk, "finish_design")["state"] == "approving"

    # One filing: only the window's intake task exists, and only the window sees it as a department.
    assert list(ApprovalTask.objects.filter(application_id=pk).values_list("kind", flat=True)) == [
        "window_intake"
    ]
    intake = tasks(d["window"])["window_intake"]
    assert intake["state"] == "pending" and intake["clock"]["limit_working_days"] == 1
    assert intake["clock"]["due_at"] == "2026-09-15T00:00:00+08:00"  # end of Monday 14th
    for name in ("zrzy", "cgzf", "zjj", "jgzd"):
        assert tasks(d[name]) == {}

    with at(2026, 9, 14, 9, 30):
        body = run_task(d["window"], intake["id"], "accept_filing", {"green_owner": "public"})
        assert body["state"] == "granted"
    # The intake pushed, in one step, exactly the permits this case needs (the fee comes after relocation).
    kinds = set(ApprovalTask.objects.filter(application_id=pk).values_list("kind", flat=True))
    assert kinds == {"window_intake", "planning_permit", "road_permit", "green_permit"}
    planning, road = tasks(d["zrzy"])["planning_permit"], tasks(d["cgzf"])["road_permit"]
    green = tasks(d["window"])["green_permit"]
    assert planning["clock"]["limit_working_days"] == 5 and road["clock"]["limit_working_days"] == 8
    assert green["clock"]["limit_working_days"] == 10
    # 10 working days after Monday 14th: the make-up Sunday 20th counts, Mid-Autumn (25th) does not.
    assert green["clock"]["due_at"] == "2026-09-29T00:00:00+08:00"
    # The survey units see the road permit; nobody else's permits.
    assert set(tasks(d["zjj"])) == {"road_permit"} and set(tasks(d["jgzd"])) == {"road_permit"}
    assert set(tasks(d["pipeline"])) == {"road_permit"} and set(tasks(d["greenery"])) == {"green_permit"}
    assert set(tasks(d["zrzy"])) == {"planning_permit"}

    # The customer sees one line promising the slowest permit's date; the case app gives staff every clock.
    from approvals.selectors import permit_stage_summary

    summary = permit_stage_summary(Application.objects.get(pk=pk))
    assert summary["state"] == "waiting" and "2026-09-28" in summary["text"]

    with at(2026, 9, 15, 10, 0):
        run_task(d["zrzy"], planning["id"], "start_review")
        run_task(d["cgzf"], road["id"], "start_review")
        run_task(d["window"], green["id"], "start_review")
        # Issuance needs the joint site survey first.
        refused = run_task(d["cgzf"], road["id"], "grant", expect=409)
        assert refused["code"] == "conflict"
        body = run_task(d["pipeline"], road["id"], "record_part", {"note": "管线无冲突"})
        assert body["available_transitions"] == []  # its own part done
        run_task(d["zjj"], road["id"], "record_part", {"note": "路面恢复按市政标准"})
        run_task(d["jgzd"], road["id"], "record_part", {"note": "夜间施工"})
        run_task(d["greenery"], green["id"], "record_part", {"note": "同意移植两株国槐"})
    with at(2026, 9, 16, 11, 0):
        run_task(d["zrzy"], planning["id"], "grant", {"permit_number": "规划〔2026〕88号"})
        run_task(d["cgzf"], road["id"], "grant", {"permit_number": "挖掘〔2026〕12号"})
        assert Application.objects.get(pk=pk).state == "approving"
    with at(2026, 9, 18, 15, 0):
        body = run_task(d["window"], green["id"], "grant", {"permit_number": "绿地〔2026〕7号"})
        assert body["application_state"] == "constructing"  # the join, by itself
    assert AuditEntry.objects.filter(application_id=pk, transition="permits_granted").count() == 1
    assert permit_stage_summary(Application.objects.get(pk=pk))["state"] == "done"

    # 先搬迁再缴费: the fee opens when the trees are relocated, with its own clock.
    with at(2026, 9, 21, 10, 0):
        body = run_task(staff, green["id"], "report_relocation", {"note": "两株国槐已移植"})
        fee = tasks(staff)["green_fee"]
        assert fee["state"] == "pending" and fee["clock"]["limit_working_days"] == 5
        assert tasks(d["greenery"])["green_fee"]["id"] == fee["id"]
    with at(2026, 9, 22, 10, 0):
        assert run_task(staff, fee["id"], "pay_fee")["state"] == "granted"
        run_case(staff, pk, "finish_construction")
    with at(2026, 9, 24, 16, 0):
        body = run_case(staff, pk, "connect", {"meter_number": "HH-2026-0777"})
        assert body["state"] == "connected"

    overall = StageClock.objects.get(subject_id=pk, stage="overall")
    expected = official_working_days(date(2026, 9, 7), date(2026, 9, 24))
    assert expected == 14  # Sunday 20 September 2026 is a make-up working day (调休) for National Day
    assert overall.elapsed_working_days == expected
    assert overall.limit_working_days == 30 and overall.elapsed_working_days <= 30
    assert not overall.finished_late
    permit_clocks = StageClock.objects.filter(
        subject_id=pk,
        stage__in=["window_intake", "planning_permit", "road_permit", "green_permit", "green_fee"],
    )
    assert permit_clocks.count() == 5 and not permit_clocks.filter(finished_at=None).exists()
    assert not permit_clocks.filter(finished_late=True).exists()

    # Every task transition is in its history with actor, time, from and to.
    road_history = list(
        TaskAuditEntry.objects.filter(task_id=road["id"]).values_list("transition", "from_state", "to_state")
    )
    assert road_history == [
        ("push", "", "pending"),
        ("start_review", "pending", "in_review"),
        ("record_part", "in_review", "in_review"),
        ("record_part", "in_review", "in_review"),
        ("record_part", "in_review", "in_review"),
        ("grant", "in_review", "granted"),
    ]
    detail = d["cgzf"].get(f"/api/v1/approval-tasks/{road['id']}/").json()
    assert detail["permit_number"] == "挖掘〔2026〕12号"
    assert [p["done_at"] is not None for p in detail["parts"]] == [True, True, True]
    assert detail["history"][-1]["actor"] == str(departments["cgzf"])

    # Supervisors (市工信局) see every permit task and its clock; 市发展改革委 coordinates none of them.
    seen = tasks(api_as(supervisor))
    assert set(seen) == {"window_intake", "planning_permit", "road_permit", "green_permit"}
    assert seen["road_permit"]["clock"]["finished_at"] is not None
