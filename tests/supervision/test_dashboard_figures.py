"""Every dashboard figure against a hand-computed expectation on the fixed data set (see conftest)."""

from datetime import date

import pytest
import time_machine

from supervision import drilldown
from supervision import figures as figs
from supervision.filters import Filters
from supervision.scope import scope_for
from supervision.summary import figures_refresh
from tests.supervision.conftest import NOW

pytestmark = pytest.mark.django_db

PERIOD = Filters(date_from=date(2026, 8, 1), date_to=date(2026, 10, 31))


@pytest.fixture
def figures(dataset, gxj):
    with time_machine.travel(NOW, tick=False):
        return figs.dashboard(scope_for(gxj), PERIOD, today=NOW.date())


def _cell(durations, stage, category="all"):
    codes = [c for c, _label in durations["categories"]]
    row = next(r for r in durations["rows"] if r["stage"] == stage)
    return row["cells"][codes.index(category)]


def test_counts_by_state_exclude_drafts(figures):
    s = figures["states"]
    assert s["total"] == 7
    assert (s["connected"], s["constructing"], s["accepted"], s["submitted"], s["terminated"]) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert "draft" not in s


def test_open_stages_and_levels(figures):
    rows = {r["stage"]: r for r in figures["open_stages"]}
    assert set(rows) == {"accept", "plan_reply", "construction"}
    assert (rows["accept"]["total"], rows["accept"]["overdue"]) == (1, 1)
    assert (rows["plan_reply"]["total"], rows["plan_reply"]["warning"]) == (1, 1)
    assert (rows["construction"]["total"], rows["construction"]["escalated"]) == (1, 1)
    assert figures["level_counts"] == {"warning": 1, "overdue": 1, "escalated": 1}


def test_lists_carry_working_days_late_from_the_calendar(figures, dataset):
    lists = figures["lists"]
    (esc,) = lists["escalated"]
    (over,) = lists["overdue"]
    (warn,) = lists["warning"]
    assert (esc.application.number, esc.stage, esc.days_late) == (dataset.C.number, "construction", 5)
    assert (over.application.number, over.stage, over.days_late) == (dataset.F.number, "accept", 1)
    assert (warn.application.number, warn.stage, warn.days_late) == (dataset.E.number, "plan_reply", 0)
    assert esc.responsible_org.code == "psb" and esc.open_order is None


def test_mean_and_p90_per_stage_customer_time_excluded(figures):
    d = figures["durations"]
    assert _cell(d, "accept") == {"stage": "accept", "n": 5, "mean": 1.0, "p90": 1.0}
    plan = _cell(d, "plan_reply")
    assert (plan["n"], plan["mean"]) == (4, 4.25)
    assert plan["p90"] == pytest.approx(9.7)  # [1, 1, 2, 13]: 2 + 0.7 * 11
    inst = _cell(d, "installation")
    assert (inst["n"], inst["mean"], inst["p90"]) == (3, 4.0, pytest.approx(5.6))  # [2, 4 (paused 2), 6]
    assert (_cell(d, "design")["mean"], _cell(d, "approval")["mean"], _cell(d, "road_permit")["mean"]) == (
        10,
        5,
        5,
    )
    overall = _cell(d, "overall")
    assert (overall["n"], overall["mean"], overall["p90"]) == (3, 10.0, pytest.approx(17.2))  # [4, 6, 20]


def test_mean_and_p90_per_category(figures):
    d = figures["durations"]
    lv_inst = _cell(d, "installation", "lv_plain")
    assert (lv_inst["n"], lv_inst["mean"], lv_inst["p90"]) == (2, 3.0, pytest.approx(3.8))
    lv_overall = _cell(d, "overall", "lv_plain")
    assert (lv_overall["n"], lv_overall["mean"], lv_overall["p90"]) == (2, 5.0, pytest.approx(5.8))
    assert _cell(d, "design", "lv_external")["mean"] == 10
    assert _cell(d, "plan_reply", "lv_external")["mean"] == 2
    assert _cell(d, "plan_reply", "hv_single")["mean"] == 13
    assert _cell(d, "overall", "hv_single")["mean"] == 20
    assert _cell(d, "accept", "hv_dual")["n"] == 1
    assert _cell(d, "installation", "hv_dual")["n"] == 0
    # F and G (LV, supply plan never answered) are in "all" only.
    assert _cell(d, "accept")["n"] == sum(
        _cell(d, "accept", c)["n"] for c in ("lv_plain", "lv_external", "hv_single", "hv_dual")
    )


def test_on_time_rate_per_responsible_organisation(figures):
    rows = {r["responsible_org__name"]: r for r in figures["orgs"]}
    psb = rows["市供电局"]
    assert (psb["n"], psb["on_time"], psb["late"], psb["open_overdue"]) == (13, 11, 2, 2)
    assert psb["rate"] == pytest.approx(1100 / 13)
    cgzf = rows["市城管执法局"]
    assert (cgzf["n"], cgzf["late"], cgzf["rate"], cgzf["open_overdue"]) == (1, 0, 100.0, 0)


def test_commitments(figures):
    c = figures["indicators"]["commitments"]
    assert (c["n"], c["mean"], c["broken"], c["average_limit"], c["average_met"]) == (3, 10.0, 1, 25, True)
    assert c["open_broken"] == 1  # C is past its 30 working days
    rows = {r["category"]: r for r in c["rows"]}
    assert (
        rows["lv_plain"]["limit"],
        rows["lv_plain"]["n"],
        rows["lv_plain"]["mean"],
        rows["lv_plain"]["broken"],
    ) == (
        5,
        2,
        5.0,
        1,
    )
    assert (rows["lv_external"]["limit"], rows["lv_external"]["n"]) == (30, 0)
    assert (rows["hv_single"]["limit"], rows["hv_single"]["n"], rows["hv_single"]["broken"]) == (None, 1, 0)


def test_monthly_trend(figures):
    trend = {f"{r['month']:%Y-%m}": r for r in figures["trend"]}
    assert list(trend) == ["2026-08", "2026-09", "2026-10"]
    assert (trend["2026-08"]["submitted"], trend["2026-08"]["connected"], trend["2026-08"]["mean"]) == (
        1,
        1,
        20.0,
    )
    assert (trend["2026-09"]["submitted"], trend["2026-09"]["connected"], trend["2026-09"]["mean"]) == (
        5,
        1,
        4.0,
    )
    assert (trend["2026-10"]["submitted"], trend["2026-10"]["connected"], trend["2026-10"]["broken"]) == (
        1,
        1,
        1,
    )


def test_getting_electricity_indicators(figures):
    rows = {r["category"]: r for r in figures["indicators"]["rows"]}
    every = rows["all"]
    assert (every["n"], every["procedures"], every["working_days"], every["zero"]) == (3, 2, 10.0, 2)
    # 6 d 6 h, 18 d 2 h, 28 d 7 h
    assert every["calendar_days"] == pytest.approx((6.25 + 18 + 2 / 24 + 28 + 7 / 24) / 3)
    assert float(every["cost"]) == pytest.approx(40000)
    assert every["zero_share"] == pytest.approx(200 / 3)
    lv = rows["lv_plain"]
    assert (lv["n"], lv["working_days"], float(lv["cost"]), lv["zero_share"]) == (2, 5.0, 0.0, 100.0)
    hv = rows["hv_single"]
    assert (hv["n"], hv["working_days"], hv["zero_share"]) == (1, 20.0, 0.0)


def test_satisfaction(dataset, gxj):
    from applications.models import SatisfactionRating
    from tests.supervision.conftest import sh

    SatisfactionRating.objects.create(
        application=dataset.A, customer=dataset.customer, score=5, rated_at=sh(2026, 9, 8, 9)
    )
    SatisfactionRating.objects.create(
        application=dataset.D, customer=dataset.customer, score=3, rated_at=sh(2026, 9, 1, 9)
    )
    figures_refresh()
    s = figs.satisfaction(scope_for(gxj), PERIOD)
    assert (s["n"], s["mean"], s["s5"], s["s4"], s["s3"]) == (2, 4.0, 1, 0, 1)


def test_filters_category_and_organisation(dataset, gxj):
    scope = scope_for(gxj)
    lv = Filters(date_from=PERIOD.date_from, date_to=PERIOD.date_to, category="lv_plain")
    assert figs.state_counts(scope, lv)["total"] == 2
    assert figs.commitments(scope, lv)["n"] == 2
    from accounts.models import Organisation

    cgzf = Organisation.objects.get(code="cgzf")
    by_org = Filters(date_from=PERIOD.date_from, date_to=PERIOD.date_to, org_id=cgzf.pk)
    assert figs.state_counts(scope, by_org)["total"] == 1  # C only
    stages = [r["stage"] for r in figs.stage_durations(scope, by_org)["rows"]]
    assert stages == ["road_permit"]  # C is not connected: no overall time yet
    september = Filters(date_from=date(2026, 9, 1), date_to=date(2026, 9, 30))
    assert figs.commitments(scope, september)["n"] == 1  # A only
    assert figs.state_counts(scope, september)["total"] == 5


def test_drill_down_gives_the_cases_behind_each_figure(dataset, gxj):
    scope = scope_for(gxj)
    d = dataset

    def numbers(**params):
        _title, qs = drilldown.drill_down(scope, PERIOD, params)
        return sorted(qs.values_list("number", flat=True))

    assert numbers(fig="state", state="connected") == sorted([d.A.number, d.B.number, d.D.number])
    assert numbers(fig="state") == sorted(a.number for a in (d.A, d.B, d.C, d.D, d.E, d.F, d.G))
    assert numbers(fig="open", stage="plan_reply", level="warning") == [d.E.number]
    assert numbers(fig="level", level="escalated") == [d.C.number]
    assert numbers(fig="stage_time", stage="installation") == sorted([d.A.number, d.B.number, d.D.number])
    assert numbers(fig="stage_time", stage="installation", cat="lv_plain") == sorted([d.A.number, d.B.number])
    from accounts.models import Organisation

    psb = Organisation.objects.get(code="psb").pk
    assert numbers(fig="org", org_id=str(psb), late="1") == sorted([d.B.number, d.D.number])
    assert numbers(fig="org", org_id=str(psb), open_overdue="1") == sorted([d.C.number, d.F.number])
    assert numbers(fig="commitment", broken="1") == [d.B.number]
    assert numbers(fig="open_broken") == [d.C.number]
    assert numbers(fig="month", month="2026-10") == [d.B.number]
    assert numbers(fig="submitted_month", month="2026-08") == [d.D.number]
    assert numbers(fig="connected", zero="1") == sorted([d.A.number, d.B.number])
    assert numbers(fig="nonsense") == []
