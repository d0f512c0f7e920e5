#!/usr/bin/env python
"""Benchmark of the portal's list pages and case page: server time (median and 90th percentile, ms) and
queries per request, rendered in-process by Django's test client against a seeded database.

    .venv/bin/python bench/portal_pages.py [--database URL] [--repeat 15]

Default database: the one bench/applications_api.py seeds (``hhht_bench_applications``, 100 000 cases);
run that benchmark once first. Only reads, plus one session row per user signed in.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://hhht:hhht@127.0.0.1:5432/hhht_bench_applications"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database,
        DJANGO_SETTINGS_MODULE="hhht_power.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_HSTS_SECONDS="0",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from applications.models import Application

    staff = User.objects.filter(roles__code="psb_staff", is_active=True).first()
    if staff is None:
        sys.exit("no power-bureau staff user in that database: run bench/applications_api.py first")
    case = Application.objects.exclude(state="draft").order_by("-id").first()
    customer = case.customer
    print(f"database: {connection.settings_dict['NAME']}, cases: {Application.objects.count():,}")

    def run(client, label, url):
        times, queries = [], 0
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url, secure=True)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(ctx.captured_queries)
        times = times[1:] or times  # the first request warms caches
        p90 = sorted(times)[max(0, int(len(times) * 0.9) - 1)]
        median = statistics.median(times)
        print(f"{label:<42} median {median:8.1f} ms   p90 {p90:8.1f} ms   {queries:3d} queries")

    client = Client()
    client.force_login(staff)
    run(client, "queue (open cases, most urgent first)", "/applications/queue/")
    run(client, "queue page 50", "/applications/queue/?page=50")
    run(client, "queue filtered (HV, accepted)", "/applications/queue/?voltage=high&state=accepted")
    run(client, "queue search by number", f"/applications/queue/?q={case.number}")
    run(client, "queue my cases", "/applications/queue/?mine=1")
    run(client, "case page (staff)", f"/applications/{case.pk}/")
    client = Client()
    client.force_login(customer)
    run(client, "my applications (customer)", "/applications/mine/")
    run(client, "case page (customer)", f"/applications/{case.pk}/")


if __name__ == "__main__":
    main()
