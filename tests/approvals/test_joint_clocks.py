"""Every joint step inside a permit on its own clock, so lateness is booked to the unit that was late:
the road permit's site survey (5 working days, one clock per unit) and issuance (3), the green permit's
owner consent (5) and permit (5), the relocation budget of 市园林建设服务中心; construction starts when the
road-excavation permit is granted."""

from datetime import timedelta

import pytest

from deadlines.models import CreditRecord, StageClock
from tests.applications.factories import case_in_state

from .conftest import at, grant_planning, push, sh, step, task_of

pytestmark = pytest.mark.django_db


def _records(application):
    """The credit records of the permit stage (the fixture's filing reached the window a week late)."""
    return sorted(
        CreditRecord.objects.filter(subject_id=application.pk)
        .exclude(stage="window_intake")
        .values_list("stage", "organisation__code", "working_days_late")
    )


def _clocks(application, stage):
    return StageClock.objects.filter(subject_id=application.pk, stage=stage)


@pytest.fixture
def road_and_green(psb_staff, departments):
    """An LV case needing the road and the green permit, pushed on Monday 14 September 2026 at 09:30.
    Working days after it: 15, 16, 17, 18, 20 (a make-up Sunday), 21, 22, 23, 24, 25."""
    with at(2026, 9, 14, 9, 30):
        application = case_in_state(
            "approving",
            road_excavation=True,
            green_space=True,
            staff=psb_staff,
            at=sh(2026, 9, 7, 9, 0),
            step=timedelta(hours=2),
        )
        push(application, departments["window"], green_owner="public")
    return application


def test_each_survey_unit_and_the_issuance_have_their_own_clock(road_and_green):
    surveys = _clocks(road_and_green, "road_survey").select_related("responsible_org")
    assert sorted((c.responsible_org.code, c.limit_working_days) for c in surveys) == [
        ("cgzf_gxj", 5),
        ("jgzd", 5),
        ("zjj_szgc", 5),
    ]
    assert {c.due_at for c in surveys} == {sh(2026, 9, 21)}  # end of Sunday the 20th
    consent = _clocks(road_and_green, "green_consent").get()
    assert (consent.responsible_org.code, consent.limit_working_days) == ("cgzf_ldgc", 5)
    assert not _clocks(road_and_green, "road_issue").exists()  # starts with the last survey


def test_a_late_survey_is_booked_to_the_unit_that_was_late(road_and_green, departments):
    d = departments
    road = task_of(road_and_green, "road_permit")
    with at(2026, 9, 15, 10):
        step(road, "start_review", d["cgzf"])
        step(road, "record_part", d["pipeline"], note="无异议")
    with at(2026, 9, 18, 10):
        step(road, "record_part", d["zjj"], note="无异议")
    with at(2026, 9, 22, 10):  # two working days after the survey's deadline (the 20th)
        step(road, "record_part", d["jgzd"], note="需交通疏导方案")
    issue = _clocks(road_and_green, "road_issue").get()
    # 3 working days after the 22nd: the 23rd, the 24th and (中秋 on Friday the 25th) Monday the 28th.
    assert issue.responsible_org.code == "cgzf" and issue.due_at == sh(2026, 9, 29)
    with at(2026, 9, 24, 16):
        step(road, "grant", d["cgzf"], permit_number="城管路审〔2026〕9号")
    # The issuance was on time; the road permit as a whole (due the 23rd) was not.
    assert _records(road_and_green) == [("road_permit", "cgzf", 1), ("road_survey", "jgzd", 2)]


def test_a_late_issuance_is_booked_to_the_urban_management_bureau(road_and_green, departments):
    d = departments
    road = task_of(road_and_green, "road_permit")
    with at(2026, 9, 15, 10):
        step(road, "start_review", d["cgzf"])
        for unit in ("pipeline", "zjj", "jgzd"):
            step(road, "record_part", d[unit], note="无异议")
    assert _clocks(road_and_green, "road_issue").get().due_at == sh(2026, 9, 19)  # end of the 18th
    with at(2026, 9, 21, 10):
        step(road, "grant", d["cgzf"], permit_number="城管路审〔2026〕10号")
    assert _records(road_and_green) == [("road_issue", "cgzf", 2)]


def test_green_consent_permit_and_relocation_budget_each_booked_to_their_unit(
    road_and_green, departments, psb_staff
):
    d = departments
    green = task_of(road_and_green, "green_permit")
    with at(2026, 9, 15, 10):
        step(green, "start_review", d["window"])
    with at(2026, 9, 21, 10):  # consent due the 20th
        step(green, "record_part", d["greenery"], note="同意占用")
    # 5 after the 21st: 22, 23, 24, 28 and 29 (中秋 on the 25th).
    assert _clocks(road_and_green, "green_issue").get().due_at == sh(2026, 9, 30)
    with at(2026, 9, 30, 10):
        step(green, "grant", d["window"], permit_number="绿地许可〔2026〕3号")
    budget = _clocks(road_and_green, "relocation_budget").get()
    assert budget.responsible_org.code == "ylzx" and budget.limit_working_days == 5
    assert budget.due_at < sh(2026, 10, 20)
    with at(2026, 10, 20, 10):  # relocated (so the budget given) after its deadline
        step(task_of(road_and_green, "green_permit"), "report_relocation", psb_staff)
    records = _records(road_and_green)
    assert ("green_consent", "cgzf_ldgc", 1) in records and ("green_issue", "xzsp", 1) in records
    assert [r[1] for r in records if r[0] == "relocation_budget"] == ["ylzx"]


def test_construction_starts_when_the_road_permit_is_granted(road_and_green, departments):
    d = departments
    road = task_of(road_and_green, "road_permit")
    with at(2026, 9, 15, 10):
        grant_planning(road_and_green, d)
        step(road, "start_review", d["cgzf"])
        for unit in ("pipeline", "zjj", "jgzd"):
            step(road, "record_part", d[unit], note="无异议")
    with at(2026, 9, 16, 11):
        step(road, "grant", d["cgzf"], permit_number="城管路审〔2026〕11号")
    construction = _clocks(road_and_green, "construction").get()
    road_and_green.refresh_from_db()
    # The green permit is still worked: the case waits in 行政审批, its construction clock runs already.
    assert road_and_green.state == "approving"
    assert construction.started_at == sh(2026, 9, 16, 11) and construction.finished_at is None
    green = task_of(road_and_green, "green_permit")
    with at(2026, 9, 18, 10):
        step(green, "start_review", d["window"])
        step(green, "record_part", d["greenery"], note="同意占用")
        step(green, "grant", d["window"], permit_number="绿地许可〔2026〕4号")
    road_and_green.refresh_from_db()
    assert road_and_green.state == "constructing"
    assert list(_clocks(road_and_green, "construction").values_list("started_at", flat=True)) == [
        sh(2026, 9, 16, 11)
    ]


def test_without_road_excavation_construction_starts_at_the_last_permit(psb_staff, departments):
    d = departments
    with at(2026, 9, 14, 9, 30):
        application = case_in_state(
            "approving", green_space=True, staff=psb_staff, at=sh(2026, 9, 7, 9), step=timedelta(hours=2)
        )
        push(application, d["window"], green_owner="public")
    with at(2026, 9, 15, 10):
        grant_planning(application, d)
    assert not _clocks(application, "construction").exists()
    green = task_of(application, "green_permit")
    with at(2026, 9, 17, 10):
        step(green, "start_review", d["window"])
        step(green, "record_part", d["greenery"], note="同意占用")
        step(green, "grant", d["window"], permit_number="绿地许可〔2026〕5号")
    assert _clocks(application, "construction").get().started_at == sh(2026, 9, 17, 10)


def test_a_late_survey_unit_is_warned_about_its_own_clock(road_and_green, departments, supervisor):
    from io import StringIO

    from django.core.management import call_command

    from deadlines.models import Notification

    d = departments
    road = task_of(road_and_green, "road_permit")
    with at(2026, 9, 15, 10):
        step(road, "start_review", d["cgzf"])
        step(road, "record_part", d["pipeline"], note="无异议")
    # The survey was due at the end of Sunday the 20th: on Monday the 21st the two units still surveying
    # are overdue on their own clocks.
    call_command("check_deadlines", at="2026-09-21T09:00:00+08:00", stdout=StringIO())
    overdue = _clocks(road_and_green, "road_survey").filter(level="overdue").select_related("responsible_org")
    assert sorted(c.responsible_org.code for c in overdue) == ["jgzd", "zjj_szgc"]
    jgzd_clock = overdue.get(responsible_org__code="jgzd")
    told = set(
        Notification.objects.filter(dedupe_key=f"deadline:{jgzd_clock.pk}:overdue").values_list(
            "recipient__username", flat=True
        )
    )
    assert "jgzd1" in told and supervisor.username in told
    assert "gxj_pipeline1" not in told  # 管线局 surveyed on time


def test_a_late_consent_for_private_green_is_booked_to_the_applicant(psb_staff, departments):
    """Private green: the applicant obtains the owner's consent within 5 working days (the policy), so a
    late consent is the applicant's, not a unit's."""
    d = departments
    with at(2026, 9, 14, 9, 30):
        application = case_in_state(
            "approving", green_space=True, staff=psb_staff, at=sh(2026, 9, 7, 9, 0), step=timedelta(hours=2)
        )
        push(application, d["window"], green_owner="private")
    green = task_of(application, "green_permit")
    consent = _clocks(application, "green_consent").get()
    assert consent.responsible_org is None and consent.due_at == sh(2026, 9, 21)  # end of the 20th
    with at(2026, 9, 15, 10):
        step(green, "start_review", d["window"])
    with at(2026, 9, 22, 10):  # two working days late
        step(green, "record_part", psb_staff, note="业主单位同意")
    (record,) = CreditRecord.objects.filter(subject_id=application.pk, stage="green_consent")
    assert (record.organisation, record.applicant, record.applicant_name) == (
        None,
        application.customer,
        application.applicant_name,
    )
    assert record.working_days_late == 2 and record.kind == CreditRecord.Kind.LATE_FINISH
