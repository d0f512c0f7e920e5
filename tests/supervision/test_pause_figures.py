"""The dashboard's pause figures against hand-computed ones on the fixed data set (see conftest), with
these ledger rows added (all stop a 市供电局 stage):

- B: the customer's own pause of the installation, Thu 24 Sep to Tue 29 Sep: 2 working days (25 Sep is
  中秋), coordinated by 市工信局.
- C: an external cause (weather) on the construction, approved, Mon 12 Oct to Wed 14 Oct: 2 working
  days, coordinated by 市发展改革委; then staff's request of Thu 15 Oct 14:00 on the construction due
  that night, left to lapse.
- E: staff's request of 10 Sep (declined), and another on Thu 22 Oct 09:00, the last working day of the
  supply plan due that night, still waiting.
- F: the customer's own pause on Wed 21 Oct 10:00, the last working day of the acceptance (running).

By unit (pauses taken: started, running or ended): 市供电局 3 pauses (1 external), 2 + 2 = 4 working days
(F's still runs), 3 cases (B, C, F) of the 7 whose 市供电局 stages started in the period (A to G): 42.9%.
For 市发展改革委 only C's construction: 1 pause, external, 2 days, 1 case of 1. Within the last working day
before a deadline, by anyone but the customer: E's request of 22 Oct, then C's of 15 Oct.
"""

from dataclasses import replace
from datetime import datetime
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from applications.models import Application
from applications.pauses import Pause
from deadlines.models import PauseReason
from supervision import figures as figs
from supervision.pauses import pause_figures
from supervision.scope import scope_for
from tests.supervision.conftest import NOW, sh
from tests.supervision.test_dashboard_figures import PERIOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(dataset, psb_worker, gxj):
    from accounts.models import Organisation

    org = {o.code: o for o in Organisation.objects.filter(code__in=["psb", "gxj", "fgw"])}
    reason = {r.code: r for r in PauseReason.objects.all()}

    def pause(
        app, code, by, state, *, requested, stage, due, coord="gxj", started=None, ended=None, days=None
    ):
        return Pause.objects.create(
            application=app,
            reason=reason[code],
            state=state,
            requested_by=by,
            requested_at=requested,
            started_at=started,
            ended_at=ended,
            working_days=days,
            responsible_org=org["psb"],
            coordinating_org=org[coord],
            stage=stage,
            stage_due_at=due,
        )

    d, customer = dataset, dataset.customer
    pause(
        d.B,
        "customer_delay",
        customer,
        "ended",
        requested=sh(2026, 9, 24, 10),
        stage="installation",
        due=sh(2026, 9, 26),
        started=sh(2026, 9, 24, 10),
        ended=sh(2026, 9, 29, 10),
        days=2,
    )
    pause(
        d.C,
        "weather",
        psb_worker,
        "ended",
        requested=sh(2026, 10, 12, 9),
        stage="construction",
        due=sh(2026, 10, 16),
        coord="fgw",
        started=sh(2026, 10, 12, 10),
        ended=sh(2026, 10, 14, 10),
        days=2,
    )
    pause(
        d.C,
        "customer_works_unfinished",
        psb_worker,
        "lapsed",
        requested=sh(2026, 10, 15, 14),
        stage="construction",
        due=sh(2026, 10, 16),
        coord="fgw",
    )
    pause(
        d.E,
        "customer_delay",
        psb_worker,
        "declined",
        requested=sh(2026, 9, 10, 9),
        stage="plan_reply",
        due=sh(2026, 10, 23),
    )
    pause(
        d.E,
        "weather",
        psb_worker,
        "requested",
        requested=sh(2026, 10, 22, 9),
        stage="plan_reply",
        due=sh(2026, 10, 23),
    )
    pause(
        d.F,
        "customer_delay",
        customer,
        "active",
        requested=sh(2026, 10, 21, 10),
        stage="accept",
        due=sh(2026, 10, 22),
        started=sh(2026, 10, 21, 10),
    )
    return d


def _units(figures):
    return [
        (
            r["org"].code,
            r["pauses"],
            r["external"],
            r["working_days"],
            r["cases"],
            r["cases_worked"],
            r["share"],
        )
        for r in figures["by_unit"]
    ]


def test_pauses_per_unit_and_near_deadline_for_the_lead(ledger, gxj):
    figures = pause_figures(scope_for(gxj), PERIOD, limit=50)
    assert _units(figures) == [("psb", 3, 1, 4, 3, 7, 42.9)]
    near = figures["near_deadline"]
    assert near["count"] == 2
    assert [(p.application_id, p.state) for p in near["rows"]] == [
        (ledger.E.pk, "requested"),
        (ledger.C.pk, "lapsed"),
    ]


def test_a_coordinating_supervisor_sees_the_pauses_of_its_stages(ledger, fgw):
    figures = pause_figures(scope_for(fgw), PERIOD, limit=50)
    assert _units(figures) == [("psb", 1, 1, 2, 1, 1, 100.0)]
    assert [p.application_id for p in figures["near_deadline"]["rows"]] == [ledger.C.pk]


def test_the_dashboard_shows_them(client, ledger, gxj):
    with time_machine.travel(NOW, tick=False):
        client.force_login(gxj)
        html = client.get(reverse("supervision:dashboard"), PERIOD.params()).content.decode()
        assert (
            figs.dashboard(scope_for(gxj), PERIOD, today=NOW.date())["pauses"]["near_deadline"]["count"]
            == 2
        )
    row = html.split('data-org="psb"')[1].split("</tr>")[0]
    cells = [c.split(">")[1] for c in row.split("<td")[1:]]
    assert cells[:7] == ["市供电局</td", "3</td", "1</td", "4</td", "3</td", "7</td", "42.9%</td"]
    listed = html.split('id="list-pauses-near-deadline"')[1].split("</table>")[0]
    assert listed.index(ledger.E.number) < listed.index(ledger.C.number)
    assert ledger.F.number not in listed and ledger.B.number not in listed


def test_the_dashboard_export_has_them(client, ledger, gxj):
    with time_machine.travel(NOW, tick=False):
        client.force_login(gxj)
        response = client.get(reverse("supervision:dashboard"), {**PERIOD.params(), "export": "xlsx"})
    book = load_workbook(BytesIO(response.content))
    by_unit = list(book["暂停计时（按责任单位）"].iter_rows(min_row=2, values_only=True))
    assert by_unit == [("市供电局", 3, 1, 4, 3, 7, 42.9)]
    near = list(book["到期前最后一个工作日内申请的暂停"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in near] == [ledger.E.number, ledger.C.number]
    requested_at, due_at = near[0][5:7]
    assert requested_at == datetime(2026, 10, 22, 9, 0) and due_at == datetime(2026, 10, 23, 0, 0)


def test_they_follow_the_category_and_district_filters(ledger, gxj):
    # C is the only LV case with external works: its approved weather pause, then its lapsed request.
    figures = pause_figures(scope_for(gxj), replace(PERIOD, category="lv_external"), limit=50)
    assert _units(figures) == [("psb", 1, 1, 2, 1, 1, 100.0)]
    assert [p.application_id for p in figures["near_deadline"]["rows"]] == [ledger.C.pk]
    # E (high voltage, two sources) had no pause taken; its request of 22 Oct is near the deadline.
    figures = pause_figures(scope_for(gxj), replace(PERIOD, category="hv_dual"), limit=50)
    assert _units(figures) == []
    assert [p.application_id for p in figures["near_deadline"]["rows"]] == [ledger.E.pk]
    # Only C is in 武川县.
    Application.objects.filter(pk=ledger.C.pk).update(district="wuchuan")
    figures = pause_figures(scope_for(gxj), replace(PERIOD, district="wuchuan"), limit=50)
    assert _units(figures) == [("psb", 1, 1, 2, 1, 1, 100.0)]
    assert [p.application_id for p in figures["near_deadline"]["rows"]] == [ledger.C.pk]
