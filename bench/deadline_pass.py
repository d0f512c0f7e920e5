"""Benchmark of the deadline pass (issue 3): seed N open stages, time one pass in which K of them newly
cross a level, and in the same run a bare indexed COUNT(*) of those K due stages. Prints both and the ratio.

    DATABASE_URL=postgres://hhht:hhht@127.0.0.1:5432/hhht \\
        .venv/bin/python bench/deadline_pass.py --n 1000000 --k 1000

It works in its own database (``bench_hhht_deadlines`` unless ``--db``), created with the migrations and
dropped afterwards (``--keep`` keeps it). Rows are loaded with COPY. Each crossing clock has an account
manager (assignee) and the coordinating supervisors, so the pass also writes the notifications, as in
production; ``--no-recipients`` times the pass with nobody to notify. Delivery tasks are enqueued after
commit to ``CELERY_BROKER_URL`` (default here: Redis database 14, purged at the end).
"""

import argparse
import functools
import io
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 30, 10, 0, tzinfo=SH)
COLUMNS = (
    "subject_type_id",
    "subject_id",
    "stage",
    "policy_id",
    "rule_id",
    "limit_working_days",
    "warning_working_days",
    "escalation_working_days",
    "responsible_org_id",
    "coordinating_org_id",
    "assignee_id",
    "started_at",
    "warning_at",
    "due_at",
    "escalate_at",
    "next_check_at",
    "cancel_reason",
    "paused_working_days",
    "level",
    "provisional",
    "finished_late",
)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="open stages (default 100000)")
    parser.add_argument("--k", type=int, default=1_000, help="stages newly crossing a level (default 1000)")
    parser.add_argument("--db", default="bench_hhht_deadlines")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--no-recipients", action="store_true", help="nobody to notify")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--profile", action="store_true", help="print where the pass spends its time")
    return parser.parse_args()


def setup_database(name):
    import django
    from django.conf import settings

    settings_db = None
    django.setup()
    from django.db import connection

    settings_db = settings.DATABASES["default"]
    if settings_db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    settings_db.setdefault("TEST", {})["NAME"] = name
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    print(f"database {name} created and migrated in {time.perf_counter() - started:.1f} s")
    return connection


def seed_people(n_managers):
    from accounts.models import Organisation, Role, User

    orgs = {o.code: o for o in Organisation.objects.all()}
    users = [
        User(
            username=f"am{i}",
            real_name=f"客户经理{i}",
            organisation=orgs["psb"],
            email=f"am{i}@bench.local",
            phone=f"1390000{i:04d}",
            password="!",
        )
        for i in range(n_managers)
    ] + [
        User(
            username=f"sup{i}",
            real_name=f"督办{i}",
            organisation=orgs["gxj"],
            email=f"sup{i}@bench.local",
            password="!",
        )
        for i in range(2)
    ]
    User.objects.bulk_create(users)
    users = (
        list(User.objects.filter(username__startswith="am").values_list("pk", flat=True)),
        list(User.objects.filter(username__startswith="sup").values_list("pk", flat=True)),
    )
    through = User.roles.through
    role = {r.code: r for r in Role.objects.all()}
    through.objects.bulk_create(
        [through(user_id=pk, role_id=role["account_manager"].pk) for pk in users[0]]
        + [through(user_id=pk, role_id=role["supervisor"].pk) for pk in users[1]]
    )
    return users[0]


def seed_clocks(connection, *, n, k, managers, rng):
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Organisation
    from deadlines.models import PolicyRule

    ct = ContentType.objects.get(app_label="accounts", model="user").pk
    rules = list(PolicyRule.objects.exclude(limit_working_days=None).exclude(stage="overall"))
    orgs = dict(Organisation.objects.values_list("code", "pk"))
    fmt = "%Y-%m-%d %H:%M:%S%z"
    started = time.perf_counter()
    buf = io.StringIO()
    with connection.cursor() as cursor:
        # Bulk-load practice: drop the secondary indexes, COPY, then build them once.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'deadlines_stageclock' "
            "AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cursor.fetchall()
        # ... and the foreign keys: re-adding one checks every row in one join instead of a trigger per row.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'deadlines_stageclock'::regclass AND contype = 'f'"
        )
        foreign_keys = cursor.fetchall()
        for name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE deadlines_stageclock DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            if name == "one_open_clock_per_stage":
                cursor.execute("DROP INDEX one_open_clock_per_stage")
            else:
                cursor.execute(f'DROP INDEX "{name}"')
        raw = cursor.cursor  # psycopg 3 cursor
        with raw.copy(f"COPY deadlines_stageclock ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            stamp = functools.lru_cache(maxsize=None)(
                lambda seconds: (AT + timedelta(seconds=seconds)).strftime(fmt)
            )
            for i in range(n):
                rule = rules[i % len(rules)]
                if i < k:
                    warning = -rng.randint(1, 300)  # crossed its warning instant within the last five minutes
                else:
                    warning = 60 * rng.randint(10, 60 * 24 * 30)
                start = -3600 * rng.randint(24, 480)
                due = warning + 86400
                escalate = due + 3 * 86400
                assignee = str(managers[i % len(managers)]) if managers else r"\N"
                w = stamp(warning)
                buf.write(
                    f"{ct}\t{i + 1}\t{rule.stage}\t{rule.policy_id}\t{rule.pk}\t"
                    f"{rule.limit_working_days}\t1\t3\t"
                    f"{rule.responsible_org_id or orgs['psb']}\t{rule.coordinating_org_id or orgs['gxj']}\t"
                    f"{assignee}\t{stamp(start)}\t{w}\t{stamp(due)}\t{stamp(escalate)}\t{w}\t\t0\ton_time\tf\tf\n"
                )
                if i % 50_000 == 49_999:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE deadlines_stageclock ADD CONSTRAINT "{name}" {definition}')
    loaded = time.perf_counter() - started
    old_autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE deadlines_stageclock")
    connection.set_autocommit(old_autocommit)
    print(
        f"seeded {n:,} open stages with COPY (indexes and foreign keys built after) in {loaded:.1f} s "
        f"({loaded / max(n, 1) * 100_000:.1f} s per 100 000), "
        f"vacuum+analyze {time.perf_counter() - started - loaded:.1f} s"
    )


def bare_count(connection):
    with connection.cursor() as cursor:
        best = None
        for _ in range(5):
            t = time.perf_counter()
            cursor.execute("SELECT COUNT(*) FROM deadlines_stageclock WHERE next_check_at <= %s", [AT])
            (count,) = cursor.fetchone()
            best = min(best or 1e9, time.perf_counter() - t)
        cursor.execute("EXPLAIN SELECT COUNT(*) FROM deadlines_stageclock WHERE next_check_at <= %s", [AT])
        plan = " / ".join(r[0].strip() for r in cursor.fetchall()[:3])
    return count, best, plan


def warm_broker():
    """A running worker or beat has its broker connection open; open it before timing the pass."""
    from deadlines.tasks import deliver_notifications

    try:
        deliver_notifications.apply_async(args=[[]], retry=False)
    except Exception as exc:
        print(f"broker unavailable ({type(exc).__name__}): the pass will log and leave delivery to the sweep")


def main():
    args = parse()
    rng = random.Random(args.seed)
    connection = setup_database(args.db)
    try:
        from deadlines.models import Notification, Warning
        from deadlines.passes import run_pass

        managers = [] if args.no_recipients else seed_people(200)
        if args.no_recipients:
            from accounts.models import User

            User.objects.filter(organisation__code="gxj").update(is_active=False)
        seed_clocks(connection, n=args.n, k=args.k, managers=managers, rng=rng)
        count, count_s, plan = bare_count(connection)
        warm_broker()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t = time.perf_counter()
        counts = run_pass(at=AT)
        pass_s = time.perf_counter() - t
        if profiler:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        t = time.perf_counter()
        again = run_pass(at=AT)
        again_s = time.perf_counter() - t
        print(f"N={args.n:,} open stages, K={args.k:,} newly due")
        print(f"bare indexed COUNT(*) of the due stages: {count} rows in {count_s * 1000:.2f} ms  [{plan}]")
        print(
            f"deadline pass: {dict(counts)} in {pass_s * 1000:.1f} ms "
            f"({Warning.objects.count()} warnings, {Notification.objects.count()} notifications written)"
        )
        print(f"ratio pass / count: {pass_s / count_s:.1f}")
        print(f"second pass at the same instant (idempotent): {dict(again)} in {again_s * 1000:.1f} ms")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(args.db, verbosity=0)
        try:
            from hhht_power.celery import app

            if app.conf.broker_url.startswith("redis://127.0.0.1:6379/14"):
                with app.connection_for_write() as conn:
                    conn.default_channel.client.flushdb()
        except Exception:  # the broker is optional for the figures
            pass


if __name__ == "__main__":
    main()
