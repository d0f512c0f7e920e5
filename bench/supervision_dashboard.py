# ruff: noqa: E501  (long SQL fragments read better unbroken)
"""Benchmark of the supervision dashboard (issue 7): every query of the dashboard at N cases on PostgreSQL.

    DATABASE_URL=postgres://hhht:hhht@127.0.0.1:5432/hhht \\
        .venv/bin/python bench/supervision_dashboard.py --n 1000000

It works in its own database (``bench_hhht_supervision`` unless ``--db``), created with the migrations
(so the official calendar, the organisations and the 2020 policy are there) and kept for the next run
with ``--keep`` (``--reuse`` then skips the seeding). N synthetic cases over 2022-01 .. 2026-10 are
inserted set-based (INSERT ... SELECT over generate_series): 60 % LV without external works, 20 % LV
with external works and permits, 15 % HV single source, 5 % HV dual source; ~96 % connected, the last
weeks still open at various levels, 2 % terminated; each case with its stage clocks and its overall
clock (about 5.2 clocks per case). Then it rebuilds the summary tables in full (the command, timed), changes
``--changes`` cases (acceptances, connections, ratings; the triggers log them), times the refresh of the
changed cases (what the beat does), with ``--verify`` rebuilds in full again and compares the tables, and
times, warm, the median of ``--repeat`` runs of each figure
of ``supervision.figures.dashboard`` and of the whole page as the lead supervisor (市工信局) and as
市发展改革委, for the default period (the last twelve months) and for one category, and prints them.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")

TODAY = date(2026, 10, 31)

# cat, seq, stage, limit, responsible, coordinating (the 2020 rules, as seeded)
TEMPLATE = [
    (0, 1, "accept", 1, "psb", "gxj"),
    (0, 2, "plan_reply", 2, "psb", "gxj"),
    (0, 3, "installation", 2, "psb", "gxj"),
    (1, 1, "accept", 1, "psb", "gxj"),
    (1, 2, "plan_reply", 2, "psb", "gxj"),
    (1, 3, "design", 12, "psb", "zrzy"),
    (1, 4, "approval", None, None, "gxj"),
    (1, 4, "window_intake", 1, "xzsp", "gxj"),
    (1, 5, "planning_permit", 5, "zrzy", "gxj"),
    (1, 5, "road_permit", 8, "cgzf", "gxj"),
    (1, 6, "construction", 10, "psb", "fgw"),
    (1, 7, "installation", 2, "psb", "gxj"),
    (2, 1, "accept", 1, "psb", "gxj"),
    (2, 2, "plan_reply", 15, "psb", "gxj"),
    (2, 3, "installation", 5, "psb", "gxj"),
    (3, 1, "accept", 1, "psb", "gxj"),
    (3, 2, "plan_reply", 30, "psb", "gxj"),
    (3, 3, "installation", 5, "psb", "gxj"),
]
OVERALL_LIMIT = {0: 5, 1: 30, 2: None, 3: None}


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases (default 100000)")
    parser.add_argument("--db", default="bench_hhht_supervision")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database (no seeding)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-refresh", action="store_true", help="with --reuse: keep the summary tables")
    parser.add_argument("--changes", type=int, default=1000, help="cases changed before the beat's refresh")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="rebuild in full after the refresh of changes and compare the tables",
    )
    return parser.parse_args()


def setup_database(name, *, reuse):
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    db.setdefault("TEST", {})["NAME"] = name
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=not reuse, keepdb=reuse, serialize=False)
    print(f"database {name} ready in {time.perf_counter() - started:.1f} s")
    return connection


def _fill_missing(cursor, table, given):
    """Expressions for the NOT NULL columns without a default that the seed does not set (other apps may
    add columns): the type's zero value."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    zero = {
        "boolean": "false",
        "jsonb": "'[]'::jsonb",
        "integer": "0",
        "smallint": "0",
        "bigint": "0",
        "numeric": "0",
        "date": "DATE '2026-01-01'",
        "timestamp with time zone": "now()",
    }
    return {col: zero.get(kind, "''") for col, kind in cursor.fetchall() if col not in given and col != "id"}


def _insert(cursor, table, columns: dict, source_sql: str, params=()):
    columns = {**columns, **_fill_missing(cursor, table, columns)}
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns.values())} {source_sql}"
    cursor.execute(sql, params)
    return cursor.rowcount


def seed(connection, n):
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Organisation, Role, User
    from applications.models import Application
    from deadlines.models import PolicyDocument

    customer = User.objects.create(username="bench_customer", real_name="基准客户", password="!")
    customer.roles.set(Role.objects.filter(code="customer"))
    for code in ("gxj", "fgw"):
        user = User.objects.create(
            username=f"bench_{code}", organisation=Organisation.objects.get(code=code), password="!"
        )
        user.roles.set(Role.objects.filter(code="supervisor"))
    ct = ContentType.objects.get_for_model(Application).pk
    policy = PolicyDocument.objects.get(code="hohhot-2020").pk
    orgs = dict(Organisation.objects.values_list("code", "pk"))
    started = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SELECT setseed(0.20261130)")
        c.execute(
            """CREATE TEMP TABLE bench_case AS
            SELECT g AS i,
                   CASE WHEN r1 < 0.60 THEN 0 WHEN r1 < 0.80 THEN 1 WHEN r1 < 0.95 THEN 2 ELSE 3 END AS cat,
                   TIMESTAMPTZ '2022-01-01 09:00+08' + (g::float8 / %s * 1764) * INTERVAL '1 day' AS submitted_at,
                   random() AS r2, random() AS r3
            FROM (SELECT g, random() AS r1 FROM generate_series(1, %s) g) s""",
            [n, n],
        )
        c.execute(
            """ALTER TABLE bench_case ADD COLUMN overall int, ADD COLUMN state text;
            UPDATE bench_case SET overall = CASE cat WHEN 0 THEN 2 + floor(r2 * 5) WHEN 1 THEN 14 + floor(r2 * 24)
                                                     ELSE 15 + floor(r2 * 35) END,
                                  state = CASE WHEN r3 < 0.02 THEN 'terminated'
                                               WHEN submitted_at > TIMESTAMPTZ '2026-10-10 00:00+08' THEN
                                                 (ARRAY['submitted','accepted','designing','constructing','installing'])[1 + floor(r2 * 5)::int]
                                               ELSE 'connected' END"""
        )
        cols = {
            "number": "'B-' || i",
            "state": "state",
            "business": "'new'",
            "voltage": "CASE WHEN cat < 2 THEN 'low' ELSE 'high' END",
            "power_sources": "CASE cat WHEN 2 THEN 1 WHEN 3 THEN 2 END",
            "applicant_type": "CASE WHEN cat < 2 THEN 'small_micro' ELSE 'enterprise' END",
            "applicant_name": "'基准客户' || i",
            "id_number": "lpad(i::text, 18, '0')",
            "contact_phone": "'13900000000'",
            "address": "'呼和浩特市基准路' || i || '号'",
            "address_key": "'呼和浩特市基准路' || i || '号'",
            "capacity_kva": "CASE WHEN cat < 2 THEN 50 ELSE 800 END",
            "external_works": "cat = 1",
            "road_excavation": "cat = 1",
            "green_space": "false",
            "plan_summary": "''",
            "meter_number": "''",
            "customer_id": str(customer.pk),
            "notice": "'[]'::jsonb",
            "zero_investment": "cat < 2",
            "customer_cost": "CASE WHEN cat < 2 THEN 0 ELSE 50000 + floor(r2 * 450000) END",
            "policy_date": "submitted_at::date",
            "created_at": "submitted_at",
            "submitted_at": "submitted_at",
            "connected_at": "CASE WHEN state = 'connected' THEN submitted_at + overall * INTERVAL '33 hours' END",
            "closed_at": "CASE WHEN state IN ('connected', 'terminated') THEN submitted_at + overall * INTERVAL '33 hours' END",
        }
        apps_n = _insert(c, "applications_application", cols, "FROM bench_case ORDER BY i")
        c.execute(
            "CREATE TEMP TABLE bench_map AS SELECT a.id AS app_id, b.* FROM applications_application a "
            "JOIN bench_case b ON a.number = 'B-' || b.i"
        )
        values = ", ".join(
            c.mogrify("(%s, %s, %s, %s, %s, %s)", [cat, seq, stage, limit, orgs.get(resp), orgs[coord]])
            for cat, seq, stage, limit, resp, coord in TEMPLATE
        )
        c.execute(
            f"CREATE TEMP TABLE bench_stage (cat int, seq int, stage text, lim int, resp bigint, coord bigint) ; "
            f"INSERT INTO bench_stage VALUES {values}"
        )
        clock_cols = {
            "subject_type_id": str(ct),
            "subject_id": "m.app_id",
            "stage": "t.stage",
            "policy_id": str(policy),
            "limit_working_days": "t.lim",
            "warning_working_days": "1",
            "escalation_working_days": "3",
            "responsible_org_id": "t.resp",
            "coordinating_org_id": "t.coord",
            "started_at": "m.submitted_at + (t.seq - 1) * INTERVAL '2 days'",
            "due_at": "CASE WHEN t.lim IS NOT NULL THEN m.submitted_at + (t.seq - 1 + t.lim * 1.4) * INTERVAL '1 day' END",
            "finished_at": "CASE WHEN m.state = 'connected' THEN m.submitted_at + (t.seq - 1) * INTERVAL '2 days' + x.e * INTERVAL '33 hours' END",
            "cancelled_at": "CASE WHEN m.state = 'terminated' THEN m.submitted_at + INTERVAL '3 days' END",
            "cancel_reason": "''",
            "paused_working_days": "0",
            "level": "CASE WHEN m.state IN ('connected', 'terminated') THEN (CASE WHEN x.e > t.lim THEN 'overdue' ELSE 'on_time' END) "
            "ELSE (ARRAY['on_time','on_time','warning','overdue','escalated'])[1 + floor(random() * 5)::int] END",
            "provisional": "false",
            "finished_late": "m.state = 'connected' AND x.e > coalesce(t.lim, 1000)",
            "elapsed_working_days": "CASE WHEN m.state = 'connected' THEN x.e END",
        }
        clocks_n = _insert(
            c,
            "deadlines_stageclock",
            clock_cols,
            "FROM bench_map m JOIN bench_stage t ON t.cat = m.cat "
            "CROSS JOIN LATERAL (SELECT greatest(0, round(coalesce(t.lim, 8) * (0.2 + random() * 0.95)))::int + (m.i - m.i) AS e) x "
            "WHERE m.state IN ('connected', 'terminated') OR t.seq = 1",
        )
        overall_cols = {
            **clock_cols,
            "stage": "'overall'",
            "limit_working_days": "o.lim",
            "responsible_org_id": str(orgs["psb"]),
            "coordinating_org_id": str(orgs["gxj"]),
            "started_at": "m.submitted_at",
            "due_at": "CASE WHEN o.lim IS NOT NULL THEN m.submitted_at + o.lim * INTERVAL '33 hours' END",
            "finished_at": "CASE WHEN m.state = 'connected' THEN m.submitted_at + m.overall * INTERVAL '33 hours' END",
            "level": "CASE WHEN o.lim IS NOT NULL AND m.overall > o.lim THEN 'overdue' ELSE 'on_time' END",
            "finished_late": "m.state = 'connected' AND m.overall > coalesce(o.lim, 1000)",
            "elapsed_working_days": "CASE WHEN m.state = 'connected' THEN m.overall END",
        }
        limits = ", ".join(f"({cat}, {'NULL' if lim is None else lim})" for cat, lim in OVERALL_LIMIT.items())
        clocks_n += _insert(
            c,
            "deadlines_stageclock",
            overall_cols,
            f"FROM bench_map m JOIN (VALUES {limits}) AS o(cat, lim) ON o.cat = m.cat",
        )
        c.execute("ANALYZE")
    print(f"seeded {apps_n} cases and {clocks_n} clocks in {time.perf_counter() - started:.1f} s")


OPEN_STATES = "('submitted', 'accepted', 'designing', 'constructing', 'installing')"


def change_cases(connection, k):
    """What a busy day does to k cases, set-based: 40 % of them open cases whose acceptance finishes,
    30 % open cases connected (every open clock finished), 30 % connected cases across the whole
    history rated by their customer. Returns the number of cases the triggers logged."""
    from django.contrib.contenttypes.models import ContentType

    from applications.models import Application
    from supervision.models import SummaryChange

    ct = ContentType.objects.get_for_model(Application).pk
    accepted, connected = k * 4 // 10, k * 3 // 10
    with connection.cursor() as c:
        c.execute(
            f"CREATE TEMP TABLE bench_changed AS SELECT id, row_number() OVER () AS k FROM ("
            f"SELECT id FROM applications_application WHERE state IN {OPEN_STATES} ORDER BY random() "
            f"LIMIT %s) s",
            [accepted + connected],
        )
        c.execute(
            "UPDATE deadlines_stageclock c SET finished_at = a.submitted_at + INTERVAL '20 hours', "
            "elapsed_working_days = 1, finished_late = false, level = 'on_time' "
            "FROM applications_application a JOIN bench_changed b ON b.id = a.id "
            "WHERE c.subject_type_id = %s AND c.subject_id = a.id AND c.stage = 'accept' AND b.k <= %s "
            "AND c.finished_at IS NULL AND c.cancelled_at IS NULL",
            [ct, accepted],
        )
        c.execute(
            "UPDATE applications_application SET state = 'accepted' "
            "WHERE id IN (SELECT id FROM bench_changed WHERE k <= %s)",
            [accepted],
        )
        c.execute(
            "UPDATE deadlines_stageclock c SET finished_at = a.submitted_at + INTERVAL '6 days', "
            "elapsed_working_days = 4, finished_late = false, level = 'on_time' "
            "FROM applications_application a JOIN bench_changed b ON b.id = a.id "
            "WHERE c.subject_type_id = %s AND c.subject_id = a.id AND b.k > %s "
            "AND c.finished_at IS NULL AND c.cancelled_at IS NULL",
            [ct, accepted],
        )
        c.execute(
            "UPDATE applications_application SET state = 'connected', "
            "connected_at = submitted_at + INTERVAL '6 days', closed_at = submitted_at + INTERVAL '6 days' "
            "WHERE id IN (SELECT id FROM bench_changed WHERE k > %s)",
            [accepted],
        )
        rated = _insert(
            c,
            "applications_satisfactionrating",
            {
                "application_id": "a.id",
                "customer_id": "a.customer_id",
                "score": "1 + floor(random() * 5)::int",
                "comment": "''",
                "rated_at": "a.connected_at + INTERVAL '1 day'",
            },
            "FROM applications_application a WHERE a.state = 'connected' AND NOT EXISTS "
            "(SELECT 1 FROM applications_satisfactionrating r WHERE r.application_id = a.id) "
            "ORDER BY random() LIMIT %s",
            [k - accepted - connected],
        )
        c.execute("DROP TABLE bench_changed")
    logged = SummaryChange.objects.values("application_id").distinct().count()
    print(f"changed {accepted} acceptances, {connected} connections, {rated} ratings: {logged} cases logged")
    return logged


def table_digest(connection):
    """A digest of both summary tables (sorted rows; seconds rounded to a millisecond)."""
    with connection.cursor() as c:
        c.execute(
            "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT month, stage, category, "
            "district, responsible_org_id, coordinating_org_id, case_coords, case_resps, elapsed, late, n "
            "FROM supervision_stagemonth) t"
        )
        stages = c.fetchone()[0]
        c.execute(
            "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT axis, month, category, "
            "district, case_coords, case_resps, state, score, n, zero_n, cost_sum, cost_n, "
            "round(calendar_seconds::numeric, 3) FROM supervision_casemonth) t"
        )
        return stages, c.fetchone()[0]


def timed(fn, repeat):
    """(median, fastest) of ``repeat`` warm runs in ms. On a shared machine the fastest run is the
    better estimate of the work itself; the median says what a user waits meanwhile."""
    fn()  # warm
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), min(runs)


def run_figures(label, user, f, repeat):
    from supervision import figures
    from supervision.scope import scope_for

    scope = scope_for(user)
    parts = [
        ("counts by state", lambda: figures.state_counts(scope, f)),
        ("open stages", lambda: figures.open_stage_counts(scope, f)),
        ("level counts", lambda: figures.level_counts(scope, f)),
        ("warning/overdue/escalated lists", lambda: figures.level_lists(scope, f, today=TODAY)),
        ("mean + p90 per stage and category", lambda: figures.stage_durations(scope, f)),
        ("on-time rate per unit", lambda: figures.on_time_by_org(scope, f)),
        ("indicators + commitments", lambda: figures.indicators(scope, f)),
        ("monthly trend", lambda: figures.monthly_trend(scope, f)),
        ("satisfaction", lambda: figures.satisfaction(scope, f)),
        ("督办 orders", lambda: figures.orders_summary(scope, f, today=TODAY)),
    ]
    print(
        f"\n{label}  (period {f.date_from} .. {f.date_to}{', category ' + f.category if f.category else ''})"
    )
    print(f"  {'':<36} {'median':>8}    {'fastest':>8}")
    total = [0.0, 0.0]
    for name, fn in parts:
        median, fastest = timed(fn, repeat)
        total[0] += median
        total[1] += fastest
        print(f"  {name:<36} {median:8.1f} ms {fastest:8.1f} ms")
    whole = timed(lambda: figures.dashboard(scope, f, today=TODAY), repeat)
    print(f"  {'sum of the parts':<36} {total[0]:8.1f} ms {total[1]:8.1f} ms")
    print(f"  {'whole dashboard (selectors)':<36} {whole[0]:8.1f} ms {whole[1]:8.1f} ms")
    return whole


def run_page(user, params, repeat):
    from django.test import Client

    client = Client()
    client.force_login(user)

    def get():
        response = client.get("/supervision/", params, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code

    return timed(get, repeat)


def main():
    args = parse()
    connection = setup_database(args.db, reuse=args.reuse)
    try:
        if not args.reuse:
            seed(connection, args.n)
        from supervision.summary import figures_refresh, figures_refresh_changed

        if not args.skip_refresh:
            record = figures_refresh()
            full = record.seconds
            print(
                f"summary tables rebuilt in full (the command) in {full:.1f} s: "
                f"{record.stage_rows} stage rows, {record.case_rows} case rows"
            )
            change_cases(connection, args.changes)
            record = figures_refresh_changed()
            print(
                f"refresh of the {record.cases} changed cases (the beat's job) in {record.seconds * 1000:.0f} ms: "
                f"1/{full / record.seconds:.0f} of the full rebuild (targets: 2 s and 1/50)"
            )
            if args.verify:
                digest = table_digest(connection)
                record = figures_refresh()
                same = "the same tables" if table_digest(connection) == digest else "DIFFERENT TABLES"
                print(f"full rebuild again in {record.seconds:.1f} s: {same} as the refresh of changes")
        from accounts.models import User
        from applications.models import Application
        from deadlines.models import StageClock
        from supervision.filters import Filters, default_filters

        print(f"{Application.objects.count()} cases, {StageClock.objects.count()} clocks")
        load = os.getloadavg()
        print(
            f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other work on the machine)"
        )
        f = default_filters(TODAY)
        gxj = User.objects.get(username="bench_gxj")
        fgw = User.objects.get(username="bench_fgw")
        results = {
            "lead": run_figures("市工信局 (lead, every stage)", gxj, f, args.repeat),
            "lead_lv": run_figures(
                "市工信局, LV without external works",
                gxj,
                Filters(f.date_from, f.date_to, "lv_plain"),
                args.repeat,
            ),
            "fgw": run_figures("市发展改革委 (construction only)", fgw, f, args.repeat),
        }
        from django.test.utils import override_settings

        with override_settings(ALLOWED_HOSTS=["localhost"], SECURE_SSL_REDIRECT=False):
            page = run_page(gxj, {"from": f.date_from.isoformat(), "to": f.date_to.isoformat()}, args.repeat)
        print(
            f"\nwhole page GET /supervision/ as 市工信局 (render included): median {page[0]:.1f} ms, fastest {page[1]:.1f} ms"
        )
        print(
            f"target 300 ms for the whole dashboard (median / fastest): lead {results['lead'][0]:.0f} / "
            f"{results['lead'][1]:.0f} ms, 市发展改革委 {results['fgw'][0]:.0f} / {results['fgw'][1]:.0f} ms, "
            f"page {page[0]:.0f} / {page[1]:.0f} ms"
        )
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(args.db, verbosity=0)


if __name__ == "__main__":
    main()
