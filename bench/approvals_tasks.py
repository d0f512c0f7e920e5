"""Benchmark of the permit stage (issue 5) on PostgreSQL: the task list of a department, of the window and
of the supervisor at N cases in the permit stage, and the latency of the last grant (with the join).

    DATABASE_URL=postgres://hhht:hhht@127.0.0.1:5432/hhht \\
        .venv/bin/python bench/approvals_tasks.py --n 20000

It works in its own database (``bench_hhht_approvals`` unless ``--db``), created with the migrations (the
calendar, the organisations and the 2020 policy are there). N cases in ``approving`` with road excavation
and green space are inserted in bulk, each with its four tasks (intake granted, planning, road and green
permits in review, the road survey done) and their open clocks. It then times, warm, the median of
``--repeat`` runs of the first page of ``GET /api/v1/approval-tasks/`` (serializer included) as 市城管执法局,
the window (市行政审批局) and 市工信局, and the median latency of ``--grants`` last grants that each join
their case (``approvals.services.task_transition`` → ``application_permits_granted``).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hhht_power.settings")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="cases in the permit stage (default 20000)")
    parser.add_argument("--db", default="bench_hhht_approvals")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--grants", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return parser.parse_args()


def setup_database(name):
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    db.setdefault("TEST", {})["NAME"] = name
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    print(f"database {name} ready in {time.perf_counter() - started:.1f} s")
    return connection


def seed(n):
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Organisation
    from applications.models import Application
    from approvals.models import ApprovalTask, TaskPart
    from deadlines.models import PolicyDocument, StageClock
    from deadlines.policy import rule_for_stage
    from tests.factories import UserFactory

    started = time.perf_counter()
    customer = UserFactory(username="bench_customer", roles=["customer"])
    orgs = {o.code: o for o in Organisation.objects.all()}
    policy = PolicyDocument.objects.order_by("-effective_from").first()
    ct = ContentType.objects.get_for_model(Application)
    now = timezone.now()
    with transaction.atomic():
        apps_ = Application.objects.bulk_create(
            [
                Application(
                    number=f"HHHT-2026-{i:06d}",
                    state="approving",
                    business="new",
                    voltage="low",
                    applicant_type="small_micro",
                    applicant_name=f"基准测试商户{i}",
                    id_number=f"B{i:017d}",
                    contact_phone="13900000000",
                    address=f"呼和浩特市基准路{i}号",
                    address_key=f"bench{i}",
                    capacity_kva=Decimal("50"),
                    external_works=True,
                    road_excavation=True,
                    green_space=True,
                    customer=customer,
                    policy_date=now.date(),
                    submitted_at=now - timedelta(days=10),
                )
                for i in range(1, n + 1)
            ],
            batch_size=5000,
        )
        facts = apps_[0].case_facts()
        kinds = ["window_intake", "planning_permit", "road_permit", "green_permit"]
        rules = {k: rule_for_stage(policy, facts, k) for k in kinds}
        departments = {"window_intake": "xzsp_window", "planning_permit": "zrzy", "road_permit": "cgzf"}
        departments["green_permit"] = "xzsp"
        clocks, tasks = [], []
        for a in apps_:
            for k in kinds:
                r = rules[k]
                started_at = now - timedelta(days=2)
                clocks.append(
                    StageClock(
                        subject_type=ct,
                        subject_id=a.pk,
                        stage=k,
                        policy=policy,
                        rule=r,
                        limit_working_days=r.limit_working_days,
                        responsible_org_id=r.responsible_org_id,
                        coordinating_org_id=r.coordinating_org_id,
                        started_at=started_at,
                        due_at=started_at + timedelta(days=10),
                        finished_at=started_at + timedelta(hours=3) if k == "window_intake" else None,
                    )
                )
                tasks.append(
                    ApprovalTask(
                        application=a,
                        kind=k,
                        department=orgs[departments[k]],
                        state="granted" if k == "window_intake" else "in_review",
                        created_at=started_at,
                    )
                )
        approval = rule_for_stage(policy, facts, "approval")
        stage_clocks = [
            StageClock(
                subject_type=ct,
                subject_id=a.pk,
                stage="approval",
                policy=policy,
                rule=approval,
                coordinating_org_id=approval.coordinating_org_id,
                started_at=now - timedelta(days=2),
            )
            for a in apps_
        ]
        StageClock.objects.bulk_create(clocks + stage_clocks, batch_size=5000)
        for task, clock in zip(tasks, clocks, strict=True):
            task.clock_id = clock.pk
        ApprovalTask.objects.bulk_create(tasks, batch_size=5000)
        parts = []
        for task in tasks:
            if task.kind == "road_permit":
                parts += [
                    TaskPart(task=task, kind="site_survey", organisation=orgs[c], done_at=now)
                    for c in ("cgzf_gxj", "zjj_szgc", "jgzd")
                ]
            elif task.kind == "green_permit":
                parts.append(
                    TaskPart(task=task, kind="owner_consent", organisation=orgs["cgzf_ldgc"], done_at=now)
                )
        TaskPart.objects.bulk_create(parts, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a bulk load: the planner needs the row counts
    elapsed = time.perf_counter() - started
    print(f"seeded {n} cases, {len(tasks)} tasks, {len(clocks) + n} clocks in {elapsed:.1f} s")
    return apps_


def median_ms(fn, repeat):
    fn()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    args = parse()
    connection = setup_database(args.db)
    try:
        from django.test.utils import CaptureQueriesContext
        from rest_framework.test import APIClient

        from applications.models import Application
        from approvals import services
        from approvals.models import ApprovalTask
        from tests.factories import UserFactory

        cases = seed(args.n)
        users = {
            "市城管执法局 (reviewer)": UserFactory(username="bench_cgzf", roles=["reviewer"], org="cgzf"),
            "市行政审批局 (window)": UserFactory(
                username="bench_window", roles=["window", "reviewer"], org="xzsp"
            ),
            "市工信局 (supervisor)": UserFactory(username="bench_gxj", roles=["supervisor"], org="gxj"),
        }
        for label, user in users.items():
            client = APIClient()
            client.force_authenticate(user)

            def page(client=client):
                response = client.get("/api/v1/approval-tasks/")
                assert response.status_code == 200
                return response

            count = page().json()["count"]
            took = median_ms(page, args.repeat)
            what = f"{took:.1f} ms (count {count})"
            print(f"GET /api/v1/approval-tasks/ as {label}: {what}")
        # The last grants: road and planning granted first, then the green permit joins the case.
        cgzf, zrzy = (
            users["市城管执法局 (reviewer)"],
            UserFactory(username="bench_zrzy", roles=["reviewer"], org="zrzy"),
        )
        window = users["市行政审批局 (window)"]
        latencies, query_counts = [], []
        for case in cases[: args.grants]:
            by_kind = {t.kind: t for t in ApprovalTask.objects.filter(application=case)}
            services.task_transition(task_id=by_kind["road_permit"].pk, name="grant", actor=cgzf)
            services.task_transition(task_id=by_kind["planning_permit"].pk, name="grant", actor=zrzy)
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                services.task_transition(task_id=by_kind["green_permit"].pk, name="grant", actor=window)
                latencies.append((time.perf_counter() - t) * 1000)
            query_counts.append(len(queries))
        joined = Application.objects.filter(pk__in=[c.pk for c in cases[: args.grants]], state="constructing")
        print(
            f"last grant with the join: median {statistics.median(latencies):.1f} ms, "
            f"max {max(latencies):.1f} ms over {len(latencies)} cases ({joined.count()} joined), "
            f"{statistics.median(query_counts):.0f} queries each"
        )
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(args.db, verbosity=0)


if __name__ == "__main__":
    main()
