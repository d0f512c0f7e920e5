"""超期风险: a case whose overall commitment has fewer working days left than its remaining stages take
(at their limits while there is no history) is flagged to staff and supervisors, before any single stage
of it is late."""

from datetime import date, datetime, timedelta
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from applications import services
from deadlines.risk import risks_for
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def late_acceptance(customer, psb_staff):
    """An LV case without external works (overall 5 working days: accept 1, supply plan 2, installation
    2) submitted Monday 16 November 2026, accepted only on Wednesday the 18th."""
    application = case_in_state(
        "submitted", customer=customer, staff=psb_staff, at=sh(2026, 11, 16, 10), step=timedelta(hours=1)
    )
    assert risks_for([application], today=date(2026, 11, 16))[application.pk].at_risk is False
    services.application_transition(
        application_id=application.pk, name="accept", actor=psb_staff, data={}, at=sh(2026, 11, 18, 10)
    )
    return application


def test_a_late_stage_puts_the_overall_commitment_at_risk(late_acceptance):
    # Overall due at the end of Monday the 23rd: Thursday, Friday and Monday are left (3); the supply
    # plan needs until Friday (2) and the installation 2 more.
    risk = risks_for([late_acceptance], today=date(2026, 11, 18))[late_acceptance.pk]
    assert (risk.budget, risk.need, risk.at_risk) == (3, 4, True)


def test_on_schedule_the_budget_covers_the_stages(customer, psb_staff):
    application = case_in_state(
        "accepted", customer=customer, staff=psb_staff, at=sh(2026, 11, 16, 10), step=timedelta(hours=1)
    )
    risk = risks_for([application], today=date(2026, 11, 16))[application.pk]
    assert (risk.budget, risk.need, risk.at_risk) == (5, 4, False)


def test_nothing_is_judged_without_an_overall_limit_or_once_overdue(customer, psb_staff, late_acceptance):
    hv = case_in_state(
        "accepted", customer=customer, staff=psb_staff, high_voltage=True, at=sh(2026, 11, 16, 10)
    )
    hv_risk = risks_for([hv], today=date(2026, 11, 16))[hv.pk]  # HV has no overall commitment
    assert hv_risk.budget is None and hv_risk.at_risk is False and hv_risk.predicted is not None
    call_command("check_deadlines", at="2026-11-24T09:00:00+08:00", stdout=StringIO())
    overdue = risks_for([late_acceptance], today=date(2026, 11, 24))[late_acceptance.pk]
    assert overdue.overdue is True and overdue.at_risk is False


def test_staff_see_the_risk_on_the_case_and_in_the_queue_the_customer_does_not(
    client, late_acceptance, psb_staff, customer
):
    with time_machine.travel(sh(2026, 11, 18, 11), tick=False):
        client.force_login(psb_staff)
        case_page = client.get(reverse("applications:detail", kwargs={"pk": late_acceptance.pk}))
        html = case_page.content.decode()
        assert "超期风险" in html
        assert "全流程剩余 3 个工作日，按近12个月实际用时后续环节还需 4 个工作日" in html
        queue = client.get(reverse("applications:queue")).content.decode()
        assert queue.count('class="badge text-bg-warning overall-risk"') == 1
        client.force_login(customer)
        mine = client.get(reverse("applications:detail", kwargs={"pk": late_acceptance.pk}))
        assert "超期风险" not in mine.content.decode()


def test_the_beat_stores_the_risk_and_the_supervisor_watches_it(
    client, late_acceptance, psb_staff, supervisor
):
    from deadlines.models import StageClock
    from deadlines.risk import refresh

    on_schedule = case_in_state(
        "accepted", staff=psb_staff, at=sh(2026, 11, 18, 9), step=timedelta(minutes=10)
    )
    overall = StageClock.objects.get(subject_id=late_acceptance.pk, stage="overall")
    assert refresh(at=sh(2026, 11, 18, 11)) == {"checked": 2, "at_risk": 1, "changed": 2}
    assert not StageClock.objects.get(subject_id=on_schedule.pk, stage="overall").at_risk
    overall.refresh_from_db()
    assert (overall.at_risk, overall.risk_budget, overall.risk_need) == (True, 3, 4)
    assert refresh(at=sh(2026, 11, 18, 11))["changed"] == 0  # idempotent
    with time_machine.travel(sh(2026, 11, 18, 11), tick=False):
        client.force_login(supervisor)
        html = client.get(reverse("supervision:dashboard")).content.decode()
        sheet = load_workbook(
            BytesIO(client.get(reverse("supervision:dashboard"), {"export": "xlsx"}).content)
        )
    assert 'id="list-at-risk"' in html and late_acceptance.number in html.split('id="list-at-risk"')[1]
    rows = list(sheet["全流程超期风险"].iter_rows(values_only=True))
    assert rows[0][4:6] == ("剩余工作日", "后续环节所需") and rows[1][0] == late_acceptance.number
    assert rows[1][4:6] == (3, 4)
    # Closed, the case leaves the list at the next refresh.
    services.application_transition(
        application_id=late_acceptance.pk,
        name="terminate",
        actor=psb_staff,
        data={"reason": "客户取消"},
        at=sh(2026, 11, 19, 9),
    )
    refresh(at=sh(2026, 11, 19, 10))
    overall.refresh_from_db()
    assert overall.at_risk is False


def test_the_parallel_permits_count_as_their_slowest(customer, psb_staff, make_user):
    """An LV case with external works, road excavation and green space, its permits pushed on Monday
    14 September 2026: the permits run side by side, so the stages ahead need the slowest permit's days
    left, then construction (10) and installation (2)."""
    from approvals.models import ApprovalTask
    from approvals.services import task_transition
    from deadlines.calendar import working_days_between
    from deadlines.models import StageClock

    window = make_user("window8", roles=["window", "reviewer"], org="xzsp")
    with time_machine.travel(sh(2026, 9, 14, 9, 30), tick=False):
        application = case_in_state(
            "approving",
            customer=customer,
            staff=psb_staff,
            road_excavation=True,
            green_space=True,
            at=sh(2026, 9, 7, 9),
            step=timedelta(hours=2),
        )
        intake = ApprovalTask.objects.get(application=application, kind="window_intake")
        task_transition(task_id=intake.pk, name="accept_filing", actor=window, data={})
    today = date(2026, 9, 15)
    permits = ApprovalTask.objects.filter(
        application=application, kind__in=["planning_permit", "road_permit", "green_permit"]
    ).select_related("clock")

    def last_day(clock):
        return (clock.due_at - timedelta(microseconds=1)).astimezone(SH).date()

    left = {t.kind: working_days_between(today, last_day(t.clock)) for t in permits}
    assert len(left) == 3 and left["green_permit"] == max(left.values()) == 9  # 10 days from the 14th
    risk = risks_for([application], today=today)[application.pk]
    assert risk.need == 9 + 10 + 2
    overall = StageClock.objects.get(subject_id=application.pk, stage="overall")
    assert risk.budget == working_days_between(today, last_day(overall))
    assert risk.at_risk is (risk.need > risk.budget)
