"""The summary tables the beat keeps: the same figures as percentile_cont over the clocks themselves,
idempotent rebuilds, the task and the command, the age shown on the dashboard, and the refresh of the
changed cases giving the same tables and figures as a full rebuild."""

import io
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Avg, Count

from applications.models import Application, SatisfactionRating
from deadlines import clocks
from deadlines.models import StageClock
from supervision import figures
from supervision.aggregates import PercentileCont
from supervision.filters import Filters
from supervision.models import CASE_KEY, STAGE_KEY, CaseMonth, FigureRefresh, StageMonth, SummaryChange
from supervision.scope import scope_for
from supervision.summary import figures_refresh, figures_refresh_changed
from supervision.tasks import refresh_figures
from tests.supervision.conftest import NOW, PERIOD, _case, _run, sh

pytestmark = pytest.mark.django_db

F = Filters(date_from=date(2026, 8, 1), date_to=date(2026, 10, 31))


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
    assert result["cases"] == 0
    out = io.StringIO()
    call_command("refresh_supervision_figures", stdout=out)
    assert FigureRefresh.objects.get().cases is None and "every case" in out.getvalue()
    call_command("refresh_supervision_figures", "--changed", stdout=out)
    assert FigureRefresh.objects.get().cases == 0 and "0 changed cases" in out.getvalue()


def test_new_cases_appear_after_the_next_refresh(client, dataset, gxj):
    app = _case(40, dataset.customer, state="submitted", submitted=sh(2026, 10, 12, 9))
    _run(app, [("overall", None, sh(2026, 10, 12, 9)), ("start", "accept", sh(2026, 10, 12, 9))])
    client.force_login(gxj)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/supervision/", PERIOD)
        assert page.context["figures"]["states"]["total"] == 7  # until the beat runs
        assert page.context["refreshed"] is not None and "统计数据更新于" in page.content.decode()
        figures_refresh()
        assert client.get("/supervision/", PERIOD).context["figures"]["states"]["total"] == 8


def _tables():
    stages = sorted(StageMonth.objects.values_list(*STAGE_KEY, "n"), key=str)
    cases = {
        row[: len(CASE_KEY)]: row[len(CASE_KEY) :]
        for row in CaseMonth.objects.values_list(
            *CASE_KEY, "n", "zero_n", "cost_sum", "cost_n", "calendar_seconds"
        )
    }
    return stages, cases


def _change_every_kind_of_fact(dataset):
    """Changes of each fact the summary reads, made the way the services make them."""
    with time_machine.travel(NOW, tick=False):
        clocks.clock_finish(subject=dataset.C, stage="construction", at=sh(2026, 10, 22, 9))
        clocks.clock_finish(subject=dataset.E, stage="plan_reply", at=sh(2026, 10, 21, 9))
        Application.objects.filter(pk=dataset.E.pk).update(state="installing")
        clocks.clock_cancel(subject=dataset.F, at=sh(2026, 10, 21, 9), reason="终止")
        Application.objects.filter(pk=dataset.F.pk).update(state="terminated")
        Application.objects.filter(pk=dataset.D.pk).update(customer_cost=150_000)
        rating = SatisfactionRating.objects.create(
            application=dataset.A, customer=dataset.customer, score=4, rated_at=sh(2026, 9, 8, 9)
        )
        SatisfactionRating.objects.filter(pk=rating.pk).update(score=2)
        SatisfactionRating.objects.create(
            application=dataset.B, customer=dataset.customer, score=5, rated_at=sh(2026, 10, 10, 9)
        )
        # Another unit answering for one of B's finished stages changes the sets of B's overall row.
        StageClock.objects.filter(subject_id=dataset.B.pk, stage="plan_reply").update(
            responsible_org_id=dataset.clock(dataset.C, "road_permit").responsible_org_id
        )
        H = _case(41, dataset.customer, state="accepted", submitted=sh(2026, 10, 12, 9))
        _run(
            H,
            [
                ("overall", None, sh(2026, 10, 12, 9)),
                ("start", "accept", sh(2026, 10, 12, 9)),
                ("finish", "accept", sh(2026, 10, 13, 9)),
            ],
        )
    return {dataset.A.pk, dataset.B.pk, dataset.C.pk, dataset.D.pk, dataset.E.pk, dataset.F.pk, H.pk}


def test_refresh_of_changes_equals_a_full_rebuild(dataset, gxj, fgw):
    before = _tables()
    changed = _change_every_kind_of_fact(dataset)
    assert set(SummaryChange.objects.values_list("application_id", flat=True)) == changed

    record = figures_refresh_changed()
    assert record.cases == len(changed) and not SummaryChange.objects.exists()
    incremental = _tables()
    assert incremental != before
    scopes = [scope_for(gxj), scope_for(fgw)]
    periods = [
        F,
        Filters(date_from=date(2026, 8, 1), date_to=date(2026, 10, 31), category="lv_plain"),
    ]
    shown = [figures.dashboard(s, f, today=NOW.date()) for s in scopes for f in periods]

    full = figures_refresh()
    assert full.cases is None
    rebuilt = _tables()
    assert incremental[0] == rebuilt[0]
    assert incremental[1].keys() == rebuilt[1].keys()
    for key, (n, zero_n, cost_sum, cost_n, seconds) in rebuilt[1].items():
        assert incremental[1][key][:4] == (n, zero_n, cost_sum, cost_n), key
        assert incremental[1][key][4] == pytest.approx(seconds), key
    assert [figures.dashboard(s, f, today=NOW.date()) for s in scopes for f in periods] == shown


def test_second_refresh_of_changes_counts_nothing_and_changes_nothing(dataset):
    _change_every_kind_of_fact(dataset)
    figures_refresh_changed()
    after = _tables()
    assert figures_refresh_changed().cases == 0
    assert _tables() == after


def test_change_log_is_written_with_the_change_and_only_for_what_the_summary_reads(dataset):
    SummaryChange.objects.all().delete()
    # Facts the summary does not read: no row.
    Application.objects.filter(pk=dataset.C.pk).update(address="呼和浩特市新城区另一路1号")
    StageClock.objects.filter(subject_id=dataset.C.pk).update(level="overdue")
    assert not SummaryChange.objects.exists()
    # A change rolled back leaves no row; a committed one leaves one per case.
    with pytest.raises(RuntimeError), transaction.atomic():
        Application.objects.filter(pk=dataset.C.pk).update(state="installing")
        raise RuntimeError
    assert not SummaryChange.objects.exists()
    Application.objects.filter(pk__in=[dataset.C.pk, dataset.E.pk]).update(state="installing")
    assert sorted(SummaryChange.objects.values_list("application_id", flat=True)) == sorted(
        [dataset.C.pk, dataset.E.pk]
    )


def test_beat_task_refreshes_the_changed_cases(client, dataset, gxj):
    _case(42, dataset.customer, state="submitted", submitted=sh(2026, 10, 12, 9))
    result = refresh_figures()
    assert result["cases"] == 1
    client.force_login(gxj)
    with time_machine.travel(NOW, tick=False):
        assert client.get("/supervision/", PERIOD).context["figures"]["states"]["total"] == 8
