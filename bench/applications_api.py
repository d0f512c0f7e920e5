#!/usr/bin/env python
"""Benchmark of the applications API: requests per second of the list (page of 25), the detail and a
bare Django view returning a small JSON body, under the same gunicorn settings and in the same run; and,
for reference, a DRF view that only authenticates the token (the floor of any API endpoint) and the same
view reading three columns of one case through the ORM (the floor of any endpoint that reads a case).

    .venv/bin/python bench/applications_api.py [--cases 100000] [--duration 5] [--rounds 3]
                                               [--connections 16] [--workers N] [--reseed]

It uses its own PostgreSQL database (``--database``, default ``hhht_bench_applications`` on the local
server, created when missing), seeds ``--cases`` cases with bulk inserts (each open case with its open
stage clock and its overall clock; 1 000 000 works, in a few minutes), starts gunicorn with
``DJANGO_DEBUG=0``, persistent database connections and one sync worker per core, and drives it with
``wrk`` (installed with apt-get when missing). Targets: list ≥ 0.22 and detail ≥ 0.28 of the bare view.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_DB = "postgres://hhht:hhht@127.0.0.1:5432/hhht_bench_applications"
OPEN_STAGE = {  # the open stage clock of a case in each state
    "submitted": "accept",
    "accepted": "plan_reply",
    "designing": "design",
    "approving": "approval",
    "constructing": "construction",
    "installing": "installation",
}
TARGETS = {"list": 0.22, "detail": 0.28}  # ratio to the bare view's requests per second
STATES = [
    "submitted",
    "accepted",
    "designing",
    "installing",
    "constructing",
    "connected",
    "returned",
    "connected",
    "connected",
    "approving",
]


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per endpoint and round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds over every endpoint (the bare view between any two); the medians are printed",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(2, os.cpu_count() or 2),
        help="gunicorn sync workers (default: one per core; PostgreSQL and wrk share the cores here)",
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--reseed", action="store_true", help="drop the seeded cases and seed again")
    return parser.parse_args()


def bench_env(database_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "applications_bench_settings",
        "PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DATABASE_CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "TEST_DB_NAME": "",
    }


def ensure_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def ensure_wrk():
    return ensure_tool("wrk")


def ensure_tool(binary, package=None):
    """The path of ``binary``, installed from Debian's package (``package``, default the same name) with
    apt-get when missing."""
    if shutil.which(binary):
        return shutil.which(binary)
    package = package or binary
    print(f"{binary} is missing: installing {package} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=False, env=env)
    if not shutil.which(binary):
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    return shutil.which(binary)


# Seeding ------------------------------------------------------------------------------------------------
def seed(total, *, reseed):
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from stdnum.cn import uscc

    from accounts.models import Organisation, Role, User
    from applications import services
    from applications.models import Application, Document, NumberSequence, normalise_address
    from deadlines.models import StageClock
    from deadlines.policy import policy_in_force

    if reseed:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE applications_auditentry DISABLE TRIGGER USER")
            cursor.execute(
                "TRUNCATE applications_auditentry, applications_application_documents, "
                "applications_application, deadlines_stageclock CASCADE"
            )
            cursor.execute("ALTER TABLE applications_auditentry ENABLE TRIGGER USER")
    have = Application.objects.count()
    password = make_password("Bench-pass-2026")
    roles = {r.code: r for r in Role.objects.all()}
    psb = Organisation.objects.get(code="psb")

    def user(username, role_codes, org=None):
        found, _ = User.objects.get_or_create(
            username=username, defaults={"password": password, "organisation": org, "phone": "13847199999"}
        )
        found.roles.set([roles[c] for c in role_codes])
        return found

    customer = user("bench_customer", ["customer"])
    staff = user("bench_staff", ["psb_staff", "account_manager"], psb)
    # Forty account managers share the worked cases (the bench's one of them 1/40, of every state).
    managers = [staff.pk] + [
        user(f"bench_manager{n:02d}", ["psb_staff", "account_manager"], psb).pk for n in range(1, 40)
    ]
    tokens = {u.username: Token.objects.get_or_create(user=u)[0].key for u in (customer, staff)}

    detail = Application.objects.filter(customer=customer, applicant_name="基准测试详情").first()
    if have >= total and detail is not None:
        print(f"{have} cases already seeded")
        return tokens, detail.pk

    started = time.monotonic()
    customers = max(100, total // 100)
    existing = set(User.objects.filter(username__startswith="bench_c").values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=f"bench_c{i:07d}", password=password, phone="13847100000")
            for i in range(customers)
            if f"bench_c{i:07d}" not in existing
        ],
        batch_size=5000,
    )
    customer_ids = [
        customer.pk,
        *User.objects.filter(username__startswith="bench_c")
        .order_by("id")
        .values_list("id", flat=True)[:customers],
    ]
    ct = ContentType.objects.get_for_model(Application)
    now = timezone.now()
    policy = policy_in_force(timezone.localdate())
    base = "91150100MA0B"
    batch = 10_000
    for start in range(have, total, batch):
        rows = []
        for i in range(start, min(total, start + batch)):
            state = STATES[i % len(STATES)]
            code = f"{base}{i % 100000:05d}"
            submitted = now - timedelta(hours=(total - i) % 2000 + 1)
            # The bench customer owns every 2 500th case (40 per 100 000).
            owner = customer.pk if i % 2500 == 0 else customer_ids[1 + i % (len(customer_ids) - 1)]
            address = f"呼和浩特市赛罕区基准路{i}号"
            rows.append(
                Application(
                    number=f"HHHT-2025-{i + 1:07d}"[:20],
                    state=state,
                    business="new",
                    voltage="low",
                    applicant_type="small_micro",
                    applicant_name=f"基准商户{i}",
                    id_number=code + uscc.calc_check_digit(code),
                    contact_phone="13847100000",
                    address=address,
                    address_key=normalise_address(address),
                    capacity_kva=50,
                    customer_id=owner,
                    account_manager_id=None if state == "submitted" else managers[(i // 10) % 40],
                    zero_investment=True,
                    customer_cost=0,
                    policy_date=submitted.date(),
                    created_at=submitted,
                    submitted_at=submitted,
                    connected_at=now if state == "connected" else None,
                )
            )
        with transaction.atomic():
            made = Application.objects.bulk_create(rows, batch_size=batch)
            clocks = []
            for app in made:
                if app.state == "connected":
                    continue
                stage = OPEN_STAGE.get(app.state)
                for code_ in ("overall", stage):
                    if code_ is None:
                        continue
                    clocks.append(
                        StageClock(
                            subject_type=ct,
                            subject_id=app.pk,
                            stage=code_,
                            policy=policy,
                            started_at=app.submitted_at,
                            limit_working_days=5,
                            due_at=app.submitted_at + timedelta(days=7),
                            level=("overdue" if app.pk % 7 == 0 else "on_time"),
                            responsible_org_id=psb.pk,
                            coordinating_org_id=psb.pk,
                        )
                    )
            StageClock.objects.bulk_create(clocks, batch_size=batch)
        print(
            f"  seeded {min(total, start + batch):>9} cases ({time.monotonic() - started:.0f} s)", flush=True
        )
    NumberSequence.objects.update_or_create(year=2025, defaults={"last": total})

    # The detail case: a real one, moved through the services, with its documents, clocks and timeline.
    doc_ids = []
    for kind in ("identity", "property"):
        doc = Document(
            owner=customer, kind=kind, original_name="x.png", content_type="image/png", size=1, sha256="bench"
        )
        doc.file.name = "documents/bench.png"
        doc.save()
        doc_ids.append(doc.pk)
    code = f"{base}99999"
    data = {
        "business": "new",
        "voltage": "low",
        "applicant_type": "small_micro",
        "applicant_name": "基准测试详情",
        "id_number": code + uscc.calc_check_digit(code),
        "contact_phone": "13847100001",
        "address": "呼和浩特市新城区基准详情路1号",
        "capacity_kva": "60",
        "documents": doc_ids,
    }
    at = now - timedelta(days=10)
    detail = services.application_create(customer=customer, data=data, at=at)
    for name, step in (
        ("submit", {}),
        ("accept", {}),
        ("reply_plan", {"external_works": True, "road_excavation": False, "green_space": False}),
        ("finish_design", {}),
        ("finish_construction", {}),
    ):
        at += timedelta(days=1)
        services.application_transition(
            application_id=detail.pk,
            name=name,
            actor=customer if name == "submit" else staff,
            data=step,
            at=at,
        )
    with connection.cursor() as cursor:
        # What autovacuum does to a table in use: without the visibility map a bulk-loaded table's
        # index-only scans read the heap too.
        cursor.execute(
            "VACUUM (ANALYZE) applications_application, applications_application_documents, "
            "applications_auditentry, deadlines_stageclock, accounts_user, accounts_user_roles, "
            "authtoken_token"
        )
        cursor.execute("ANALYZE")
    print(f"seeded {total} cases in {time.monotonic() - started:.0f} s")
    return tokens, detail.pk


# Load ---------------------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url}")


def check(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        assert response.status == 200, (url, response.status)
        return json.loads(body)


def wrk(binary, url, token, *, duration, connections, threads):
    args = [binary, f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    if token:
        args += ["-H", f"Authorization: Token {token}"]
    subprocess.run([*args[:3], "-d2s", *args[4:], url], capture_output=True, check=True)  # warm-up
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    latency = re.search(r"Latency\s+(\S+)", out).group(1)
    return rps, latency


def main():
    args = parse_args()
    env = bench_env(args.database)
    ensure_database(args.database)
    os.environ.update(env)
    sys.path[:0] = [str(BENCH), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tokens, detail_id = seed(args.cases, reseed=args.reseed)
    from django.db import connections

    connections.close_all()

    binary = ensure_wrk()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "hhht_power.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--pythonpath",
            f"{BENCH},{ROOT}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        wait_ready(f"{base}/bench/bare/")
        targets = [
            ("bare", f"{base}/bench/bare/", None),
            ("DRF, token only (no work)", f"{base}/bench/authenticated/", tokens["bench_customer"]),
            (
                "DRF, token and one ORM query",
                f"{base}/bench/one-query/{detail_id}/",
                tokens["bench_customer"],
            ),
            (
                "list (staff queue, page of 25)",
                f"{base}/api/v1/applications/?page_size=25",
                tokens["bench_staff"],
            ),
            (
                "list (customer, page of 25)",
                f"{base}/api/v1/applications/?page_size=25",
                tokens["bench_customer"],
            ),
            ("detail", f"{base}/api/v1/applications/{detail_id}/", tokens["bench_customer"]),
        ]
        queue = check(targets[3][1], targets[3][2])
        assert len(queue["results"]) == 25, queue
        assert check(targets[5][1], targets[5][2])["timeline"]

        # The bare view runs before every other endpoint and once more at the end of a round, and each
        # endpoint's ratio is to the mean of the bare runs on either side of it: the speed of a shared
        # machine drifts within a minute, by more than the differences measured here.
        def run(name, url, token):
            return wrk(
                binary,
                url,
                token,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
            )

        rounds = []
        for number in range(1, args.rounds + 1):
            bares = [run(*targets[0])]
            results, ratios = {}, {}
            for name, url, token in targets[1:]:
                results[name] = run(name, url, token)
                bares.append(run(*targets[0]))
                ratios[name] = results[name][0] / statistics.mean(b[0] for b in bares[-2:])
            results = {targets[0][0]: (statistics.mean(b[0] for b in bares), bares[0][1]), **results}
            ratios[targets[0][0]] = 1.0
            rounds.append((results, ratios))
            print(
                f"  round {number}: "
                + ", ".join(
                    f"{name.split(' (')[0]} {rps:.0f} ({ratios[name]:.2f})"
                    for name, (rps, _latency) in results.items()
                ),
                flush=True,
            )
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)

    print()
    print(
        f"cases: {args.cases}   gunicorn workers: {args.workers}   wrk: {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s per endpoint × {args.rounds} rounds   "
        f"cpus: {os.cpu_count()}"
    )
    print(
        f"{'endpoint (medians of the rounds)':34} {'req/s':>10} {'latency':>10} {'ratio to bare':>14}"
        f"  target (lowest round)"
    )
    for name in rounds[0][0]:
        rps = statistics.median(results[name][0] for results, _ in rounds)
        latency = statistics.median_low(results[name][1] for results, _ in rounds)
        ratio = statistics.median(ratios[name] for _, ratios in rounds)
        goal = TARGETS.get(name.split(" (")[0])
        verdict = ""
        if goal is not None:
            lowest = min(ratios[name] for _, ratios in rounds)
            verdict = f"  >= {goal:.2f} {'met' if ratio >= goal else 'NOT MET'} ({lowest:.2f})"
        print(f"{name:34} {rps:10.1f} {latency:>10} {ratio:14.2f}{verdict}")


if __name__ == "__main__":
    main()
