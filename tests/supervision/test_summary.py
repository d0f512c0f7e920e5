"""The summary tables the beat rebuilds: the same figures as percentile_cont over the clocks themselves,
idempotent rebuilds, the task and the command, and the age shown on the dashboard."""

from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Avg, Count

from deadlines.models import StageClock
from supervision import figures
from supervision.aggregates import PercentileCont
from supervision.models import FigureRefresh, StageMonth
from supervision.scope import scope_for
from supervision.summary import figures_refresh
from supervision.tasks import refresh_figures
from tests.supervision.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db

F = figures.Filters(date_from=date(2026, 8, 1), date_to=date(2026, 10, 31))


def test_histogram_percentiles_equal_percentile_cont_on_the_clocks(dataset, gxj):
    live = {
        r["stage"]: r
        for r in StageClock.objects.filter(finished_at__isnull=False, elapsed_working_days__isnull=False)
        .values("stage")
        .annotate(
            n=Count("pk"), mean=Avg("elapsed_working_days"), p90=PercentileCont("elapsed_working_days", 0.9)
        )
        .order_by()
    }
    summary = {r["stage"]: r["cells"][0] for r in figures.stage_durations(scope_for(gxj), F)["rows"]}
    assert set(summary) == set(live)
    for stage, row in live.items():
        assert summary[stage]["n"] == row["n"]
        assert summary[stage]["mean"] == pytest.approx(float(row["mean"]))
        assert summary[stage]["p90"] == pytest.approx(row["p90"])


def test_rebuild_is_idempotent_and_recorded(dataset):
    before = sorted(StageMonth.objects.values_list("month", "stage", "category", "elapsed", "late", "n"))
    result = refresh_figures()
    assert (
        sorted(StageMonth.objects.values_list("month", "stage", "category", "elapsed", "late", "n")) == before
    )
    assert FigureRefresh.objects.count() == 1 and result["stage_rows"] == len(before)
    call_command("refresh_supervision_figures", stdout=open("/dev/null", "w"))
    assert FigureRefresh.objects.count() == 1


def test_new_cases_appear_after_the_next_refresh(client, dataset, gxj):
    from tests.supervision.conftest import _case, _run, sh

    app = _case(40, dataset.customer, state="submitted", submitted=sh(2026, 10, 12, 9))
    _run(app, [("overall", None, sh(2026, 10, 12, 9)), ("start", "accept", sh(2026, 10, 12, 9))])
    client.force_login(gxj)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/supervision/", PERIOD)
        assert page.context["figures"]["states"]["total"] == 7  # until the beat runs
        assert page.context["refreshed"] is not None and "统计数据更新于" in page.content.decode()
        figures_refresh()
        assert client.get("/supervision/", PERIOD).context["figures"]["states"]["total"] == 8
