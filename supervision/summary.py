"""The dashboard's summary tables, rebuilt in the database by one set-based pass (INSERT ... SELECT ...
GROUP BY over the clocks and the cases), run by the beat every ``SUPERVISION_REFRESH_SECONDS``.

Elapsed working days come from the clocks (computed at finish from the calendar ordinals, customer
time excluded). The rebuild runs in one transaction: readers see the previous figures until it commits.
"""

import time

from django.db import connection, transaction
from django.utils import timezone

from .models import CaseMonth, FigureRefresh, StageMonth


def _sql(vendor: str) -> dict:
    if vendor == "postgresql":
        return {
            "month": lambda col: f"(date_trunc('month', {col} AT TIME ZONE 'Asia/Shanghai'))::date",
            "agg": lambda expr: f"string_agg(DISTINCT ({expr})::text, ',')",
            "seconds": "EXTRACT(EPOCH FROM (a.connected_at - a.submitted_at))",
        }
    return {
        "month": lambda col: f"date({col}, '+8 hours', 'start of month')",
        "agg": lambda expr: f"group_concat(DISTINCT ({expr}))",
        "seconds": "(julianday(a.connected_at) - julianday(a.submitted_at)) * 86400.0",
    }


CATEGORY = """CASE WHEN a.voltage = 'low' AND a.external_works IS TRUE THEN 'lv_external'
     WHEN a.voltage = 'low' AND a.external_works IS FALSE THEN 'lv_plain'
     WHEN a.voltage = 'high' AND a.power_sources = 1 THEN 'hv_single'
     WHEN a.voltage = 'high' AND a.power_sources = 2 THEN 'hv_dual' ELSE '' END"""


REFRESH_LOCK = 7_202_611  # advisory lock key of the rebuild
RESPONSIBLE = "CASE WHEN stage <> 'overall' THEN responsible_org_id END"


def _sets_cte(q) -> str:
    return f"""sets AS (
        SELECT subject_id AS app_id,
               COALESCE(',' || {q["agg"]("coordinating_org_id")} || ',', '') AS coords,
               COALESCE(',' || {q["agg"](RESPONSIBLE)} || ',', '') AS resps
        FROM deadlines_stageclock WHERE subject_type_id = %(ct)s GROUP BY subject_id)"""


def figures_refresh() -> FigureRefresh | None:
    """Rebuild StageMonth and CaseMonth from the clocks and the cases; record when and how long.

    Returns the new record, or (on PostgreSQL) the previous one when another rebuild holds the lock."""
    from applications.selectors import application_content_type

    q = _sql(connection.vendor)
    params = {"ct": application_content_type().pk}
    started = time.perf_counter()
    at = timezone.now()
    stage_sql = f"""
        WITH {_sets_cte(q)}
        INSERT INTO supervision_stagemonth (month, stage, category, responsible_org_id, coordinating_org_id,
                                            case_coords, case_resps, elapsed, late, n)
        SELECT month, stage, category, resp, coord, coords, resps, elapsed, late, COUNT(*) FROM (
            SELECT {q["month"]("c.finished_at")} AS month, c.stage AS stage, {CATEGORY} AS category,
                   CASE WHEN c.stage = 'overall' THEN NULL ELSE c.responsible_org_id END AS resp,
                   CASE WHEN c.stage = 'overall' THEN NULL ELSE c.coordinating_org_id END AS coord,
                   CASE WHEN c.stage = 'overall' THEN COALESCE(s.coords, '') ELSE '' END AS coords,
                   CASE WHEN c.stage = 'overall' THEN COALESCE(s.resps, '') ELSE '' END AS resps,
                   c.elapsed_working_days AS elapsed, c.finished_late AS late
            FROM deadlines_stageclock c
            JOIN applications_application a ON a.id = c.subject_id
            LEFT JOIN sets s ON s.app_id = c.subject_id AND c.stage = 'overall'
            WHERE c.subject_type_id = %(ct)s AND c.finished_at IS NOT NULL
              AND c.elapsed_working_days IS NOT NULL
        ) t GROUP BY month, stage, category, resp, coord, coords, resps, elapsed, late"""
    case_sql = f"""
        WITH {_sets_cte(q)}
        INSERT INTO supervision_casemonth (axis, month, category, case_coords, case_resps, state, score, n,
                                           zero_n, cost_sum, cost_n, calendar_seconds)
        SELECT 'submitted', {q["month"]("a.submitted_at")}, {CATEGORY}, COALESCE(s.coords, ''),
               COALESCE(s.resps, ''), a.state, CAST(NULL AS integer), COUNT(*), 0, 0, 0, 0
        FROM applications_application a LEFT JOIN sets s ON s.app_id = a.id
        WHERE a.submitted_at IS NOT NULL AND a.state <> 'draft'
        GROUP BY 2, 3, 4, 5, 6
        UNION ALL
        SELECT 'connected', {q["month"]("a.connected_at")}, {CATEGORY}, COALESCE(s.coords, ''),
               COALESCE(s.resps, ''), '', CAST(NULL AS integer), COUNT(*),
               SUM(CASE WHEN a.zero_investment THEN 1 ELSE 0 END), COALESCE(SUM(a.customer_cost), 0),
               COUNT(a.customer_cost), SUM({q["seconds"]})
        FROM applications_application a LEFT JOIN sets s ON s.app_id = a.id
        WHERE a.connected_at IS NOT NULL AND a.submitted_at IS NOT NULL AND a.state <> 'draft'
        GROUP BY 2, 3, 4, 5
        UNION ALL
        SELECT 'rated', {q["month"]("r.rated_at")}, {CATEGORY}, COALESCE(s.coords, ''),
               COALESCE(s.resps, ''), '', CAST(r.score AS integer), COUNT(*), 0, 0, 0, 0
        FROM applications_satisfactionrating r JOIN applications_application a ON a.id = r.application_id
        LEFT JOIN sets s ON s.app_id = a.id
        GROUP BY 2, 3, 4, 5, 7"""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # One rebuild at a time: a beat firing while the previous rebuild still runs skips.
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
                if not cursor.fetchone()[0]:
                    return last_refresh()
        StageMonth.objects.all().delete()
        CaseMonth.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(stage_sql, params)
            cursor.execute(case_sql, params)
        record = FigureRefresh.objects.create(
            refreshed_at=at,
            seconds=time.perf_counter() - started,
            stage_rows=StageMonth.objects.count(),
            case_rows=CaseMonth.objects.count(),
        )
        FigureRefresh.objects.exclude(pk=record.pk).delete()
    return record


def last_refresh() -> FigureRefresh | None:
    return FigureRefresh.objects.order_by("-refreshed_at").first()
