"""The dashboard's summary tables, kept in the database by set-based SQL over the clocks and the cases.

Each case's contribution is kept row by row (``StageCase``: one per finished clock, ``CaseAxis``: one per
axis), and ``StageMonth`` / ``CaseMonth`` are their sums per key. Two ways to keep them:

- ``figures_refresh``: the full rebuild (the ``refresh_supervision_figures`` command): every contribution
  worked out again and summed.
- ``figures_refresh_changed``: what the beat runs every ``SUPERVISION_REFRESH_SECONDS``. Database triggers
  write the id of every case whose figures may have changed (its row, its clocks, its rating) into
  ``SummaryChange`` in the same transaction as the change; the refresh takes those ids, removes their
  previous contributions, works out the new ones and adds the difference to the sums. Its cost follows
  the number of changed cases, not the size of the history. Without triggers (SQLite: ``make run``) it
  is the full rebuild.

Elapsed working days come from the clocks (computed at finish from the calendar ordinals, customer time
excluded). Each refresh runs in one transaction: readers see the previous figures until it commits.
"""

import time

from django.db import connection, transaction
from django.utils import timezone

from applications.selectors import application_content_type

from .models import CASE_KEY, CASE_SUMS, STAGE_KEY, CaseAxis, CaseMonth, FigureRefresh, StageCase, StageMonth

REFRESH_LOCK = 7_202_611  # advisory lock key of the refresh (full or changed)
RESPONSIBLE = "CASE WHEN stage <> 'overall' THEN responsible_org_id END"
CATEGORY = """CASE WHEN a.voltage = 'low' AND a.external_works IS TRUE THEN 'lv_external'
     WHEN a.voltage = 'low' AND a.external_works IS FALSE THEN 'lv_plain'
     WHEN a.voltage = 'high' AND a.power_sources = 1 THEN 'hv_single'
     WHEN a.voltage = 'high' AND a.power_sources = 2 THEN 'hv_dual' ELSE '' END"""
# The cases a refresh of changes counts again (a temporary table of the transaction).
DIRTY = "summary_dirty"


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


def _only(column: str, changed: bool) -> str:
    return f" AND {column} IN (SELECT id FROM {DIRTY})" if changed else ""


def _sets_cte(q, *, changed: bool) -> str:
    """Per case, every organisation coordinating one of its stages and every unit responsible for one."""
    return f"""sets AS (
        SELECT subject_id AS app_id,
               COALESCE(',' || {q["agg"]("coordinating_org_id")} || ',', '') AS coords,
               COALESCE(',' || {q["agg"](RESPONSIBLE)} || ',', '') AS resps
        FROM deadlines_stageclock WHERE subject_type_id = %(ct)s{_only("subject_id", changed)}
        GROUP BY subject_id)"""


def _stage_rows(q, *, changed: bool) -> str:
    """The StageCase rows of the cases (all, or the changed ones), in STAGE_KEY order after the case id."""
    return f"""
        SELECT c.subject_id, {q["month"]("c.finished_at")}, c.stage, {CATEGORY}, a.district,
               CASE WHEN c.stage = 'overall' THEN NULL ELSE c.responsible_org_id END,
               CASE WHEN c.stage = 'overall' THEN NULL ELSE c.coordinating_org_id END,
               CASE WHEN c.stage = 'overall' THEN COALESCE(s.coords, '') ELSE '' END,
               CASE WHEN c.stage = 'overall' THEN COALESCE(s.resps, '') ELSE '' END,
               c.elapsed_working_days, c.finished_late
        FROM deadlines_stageclock c
        JOIN applications_application a ON a.id = c.subject_id
        LEFT JOIN sets s ON s.app_id = c.subject_id AND c.stage = 'overall'
        WHERE c.subject_type_id = %(ct)s AND c.finished_at IS NOT NULL
          AND c.elapsed_working_days IS NOT NULL{_only("c.subject_id", changed)}"""


def _case_rows(q, *, changed: bool) -> str:
    """The CaseAxis rows of the cases: (id, CASE_KEY..., zero_n, cost_sum, cost_n, calendar_seconds)."""
    only = _only("a.id", changed)
    sets = "COALESCE(s.coords, ''), COALESCE(s.resps, '')"
    return f"""
        SELECT a.id, 'submitted', {q["month"]("a.submitted_at")}, {CATEGORY}, a.district, {sets}, a.state,
               CAST(NULL AS integer), 0, 0, 0, 0
        FROM applications_application a LEFT JOIN sets s ON s.app_id = a.id
        WHERE a.submitted_at IS NOT NULL AND a.state <> 'draft'{only}
        UNION ALL
        SELECT a.id, 'connected', {q["month"]("a.connected_at")}, {CATEGORY}, a.district, {sets}, '',
               CAST(NULL AS integer), CASE WHEN a.zero_investment THEN 1 ELSE 0 END,
               COALESCE(a.customer_cost, 0), CASE WHEN a.customer_cost IS NULL THEN 0 ELSE 1 END,
               {q["seconds"]}
        FROM applications_application a LEFT JOIN sets s ON s.app_id = a.id
        WHERE a.connected_at IS NOT NULL AND a.submitted_at IS NOT NULL AND a.state <> 'draft'{only}
        UNION ALL
        SELECT a.id, 'rated', {q["month"]("r.rated_at")}, {CATEGORY}, a.district, {sets}, '',
               CAST(r.score AS integer),
               0, 0, 0, 0
        FROM applications_satisfactionrating r JOIN applications_application a ON a.id = r.application_id
        LEFT JOIN sets s ON s.app_id = a.id
        WHERE TRUE{only}"""


STAGE_COLUMNS = ", ".join(STAGE_KEY)
CASE_COLUMNS = ", ".join(CASE_KEY)
AXIS_SUMS = CASE_SUMS[1:]  # a CaseAxis row is one case: n is implicit
CASE_AXIS_COLUMNS = f"application_id, {CASE_COLUMNS}, {', '.join(AXIS_SUMS)}"


def _params():
    return {"ct": application_content_type().pk}


def _lock(cursor, *, wait: bool) -> bool:
    """One refresh at a time (PostgreSQL): the beat's skips when another runs, a rebuild waits."""
    if connection.vendor != "postgresql":
        return True
    if wait:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        return True
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
    return cursor.fetchone()[0]


def _record(at, started, cases) -> FigureRefresh:
    record = FigureRefresh.objects.create(
        refreshed_at=at,
        seconds=time.perf_counter() - started,
        stage_rows=StageMonth.objects.count(),
        case_rows=CaseMonth.objects.count(),
        cases=cases,
    )
    FigureRefresh.objects.exclude(pk=record.pk).delete()
    return record


def figures_refresh() -> FigureRefresh:
    """Rebuild every contribution and StageMonth / CaseMonth from the clocks and the cases; record when
    and how long. Waits for a refresh already running (PostgreSQL)."""
    q = _sql(connection.vendor)
    params = _params()
    started = time.perf_counter()
    at = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, wait=True)
        # The change log first: a change committed from here on is seen by the statements below or
        # leaves its row for the next refresh of changes (which recounts the case exactly either way).
        cursor.execute("DELETE FROM supervision_summarychange")
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE supervision_stagecase, supervision_caseaxis")
        else:
            StageCase.objects.all().delete()
            CaseAxis.objects.all().delete()
        StageMonth.objects.all().delete()
        CaseMonth.objects.all().delete()
        sets = _sets_cte(q, changed=False)
        cursor.execute(
            f"WITH {sets} INSERT INTO supervision_stagecase (application_id, {STAGE_COLUMNS})"
            f"{_stage_rows(q, changed=False)}",
            params,
        )
        cursor.execute(
            f"WITH {sets} INSERT INTO supervision_caseaxis ({CASE_AXIS_COLUMNS})"
            f"{_case_rows(q, changed=False)}",
            params,
        )
        cursor.execute(
            f"INSERT INTO supervision_stagemonth ({STAGE_COLUMNS}, n) "
            f"SELECT {STAGE_COLUMNS}, COUNT(*) FROM supervision_stagecase GROUP BY {STAGE_COLUMNS}"
        )
        cursor.execute(
            f"INSERT INTO supervision_casemonth ({CASE_COLUMNS}, {', '.join(CASE_SUMS)}) "
            f"SELECT {CASE_COLUMNS}, COUNT(*), {', '.join(f'SUM({col})' for col in AXIS_SUMS)} "
            f"FROM supervision_caseaxis GROUP BY {CASE_COLUMNS}"
        )
        if connection.vendor == "postgresql":
            # The refresh of changes finds a case's rows by their index only if the planner knows the
            # tables' sizes; autovacuum would tell it only later.
            cursor.execute("ANALYZE supervision_stagecase, supervision_caseaxis")
        return _record(at, started, None)


def figures_refresh_changed() -> FigureRefresh | None:
    """Count again the cases changed since the last refresh and add the difference to the sums.

    A full rebuild when nothing was ever refreshed (the contributions are not there yet) or without
    triggers (not PostgreSQL). Returns the new record, or the previous one when another refresh holds
    the lock."""
    if connection.vendor != "postgresql" or last_refresh() is None:
        return figures_refresh()
    q = _sql(connection.vendor)
    params = _params()
    started = time.perf_counter()
    at = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if not _lock(cursor, wait=False):
            return last_refresh()
        # Statements over a thousand rows: compiling them (JIT) would cost more than running them.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"CREATE TEMP TABLE {DIRTY} (id bigint PRIMARY KEY) ON COMMIT DROP")
        cursor.execute(
            f"WITH taken AS (DELETE FROM supervision_summarychange RETURNING application_id) "
            f"INSERT INTO {DIRTY} SELECT DISTINCT application_id FROM taken"
        )
        cases = cursor.rowcount
        if cases:
            cursor.execute(f"ANALYZE {DIRTY}")
            _apply_stage_changes(cursor, q, params)
            _apply_case_changes(cursor, q, params)
        # Dropped at commit anyway; dropped here too when this runs inside an outer transaction.
        cursor.execute(f"DROP TABLE {DIRTY}")
        return _record(at, started, cases)


def _upsert_and_prune(cursor, table: str, key: str, sums: list[str], delta_sql: str, params) -> None:
    """Add the differences to ``table``'s rows (one per key), then delete the rows left at zero cases."""
    updates = ", ".join(f"{col} = {table}.{col} + EXCLUDED.{col}" for col in sums)
    columns = f"{key}, {', '.join(sums)}"
    cursor.execute(
        f"{delta_sql} INSERT INTO {table} ({columns}) SELECT {columns} FROM delta "
        f"ON CONFLICT ON CONSTRAINT {table.removeprefix('supervision_')}_one_row_per_key "
        f"DO UPDATE SET {updates} RETURNING id, n",
        params,
    )
    emptied = [pk for pk, n in cursor.fetchall() if n == 0]
    if emptied:
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [emptied])


def _apply_stage_changes(cursor, q, params) -> None:
    keys = ", ".join(f"s.{col}" for col in STAGE_KEY)
    delta = f"""
        WITH {_sets_cte(q, changed=True)},
        old AS (DELETE FROM supervision_stagecase s USING {DIRTY} d WHERE s.application_id = d.id
                RETURNING {keys}),
        new AS (INSERT INTO supervision_stagecase (application_id, {STAGE_COLUMNS})
                {_stage_rows(q, changed=True)}
                RETURNING {STAGE_COLUMNS}),
        delta AS (SELECT {STAGE_COLUMNS}, SUM(n) AS n FROM (
                      SELECT {STAGE_COLUMNS}, -1 AS n FROM old UNION ALL SELECT {STAGE_COLUMNS}, 1 FROM new) t
                  GROUP BY {STAGE_COLUMNS} HAVING SUM(n) <> 0)"""
    _upsert_and_prune(cursor, "supervision_stagemonth", STAGE_COLUMNS, ["n"], delta, params)


def _apply_case_changes(cursor, q, params) -> None:
    sums = ", ".join(AXIS_SUMS)
    old_rows = ", ".join(f"s.{col}" for col in (*CASE_KEY, *AXIS_SUMS))
    negated = ", ".join(f"-{col} AS {col}" for col in AXIS_SUMS)
    delta = f"""
        WITH {_sets_cte(q, changed=True)},
        old AS (DELETE FROM supervision_caseaxis s USING {DIRTY} d WHERE s.application_id = d.id
                RETURNING {old_rows}),
        new AS (INSERT INTO supervision_caseaxis ({CASE_AXIS_COLUMNS}){_case_rows(q, changed=True)}
                RETURNING {CASE_COLUMNS}, {sums}),
        delta AS (SELECT {CASE_COLUMNS}, {", ".join(f"SUM({col}) AS {col}" for col in CASE_SUMS)} FROM (
                      SELECT {CASE_COLUMNS}, -1 AS n, {negated} FROM old
                      UNION ALL SELECT {CASE_COLUMNS}, 1, {sums} FROM new) t
                  GROUP BY {CASE_COLUMNS}
                  HAVING {" OR ".join(f"SUM({col}) <> 0" for col in CASE_SUMS)})"""
    _upsert_and_prune(cursor, "supervision_casemonth", CASE_COLUMNS, list(CASE_SUMS), delta, params)


def last_refresh() -> FigureRefresh | None:
    return FigureRefresh.objects.order_by("-refreshed_at").first()
