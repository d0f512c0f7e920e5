#!/usr/bin/env python
"""Instructions per request of the applications API, counted by valgrind (callgrind) in one process: the
steady measure beside ``applications_api.py``'s requests per second, which on a shared machine drift by a
quarter within a minute. The same code, data and requests give the same count within a fraction of a
percent, whatever else the machine is doing, so a change of a few per cent shows.

    .venv/bin/python bench/api_instructions.py [--requests 200] [--targets bare,detail,...]

It uses the database of ``applications_api.py`` (seeded by it when missing: ``--cases``), calls Django's
WSGI handler directly (no HTTP server, no client: what the web worker itself runs; PostgreSQL's share is
not counted), and counts each target twice, after 50 and after 50 + ``--requests`` requests: the
difference divided by ``--requests`` is one request (start-up and warm-up cancel out). About a minute per
count; two counts run side by side.
"""

import argparse
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WARM_UP = 50
TARGETS = {
    "bare": ("/bench/bare/", None, ""),
    "token-only": ("/bench/authenticated/", "bench_customer", ""),
    "one-query": ("/bench/one-query/{detail}/", "bench_customer", ""),
    "list-manager": ("/api/v1/applications/", "bench_staff", "page_size=25"),
    "list-customer": ("/api/v1/applications/", "bench_customer", "page_size=25"),
    "detail": ("/api/v1/applications/{detail}/", "bench_customer", ""),
}


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help="comma-separated, of: " + ", ".join(TARGETS)
    )
    parser.add_argument("--cases", type=int, default=100_000, help="cases to seed when the database is empty")
    parser.add_argument("--database", default=None, help="as applications_api.py's --database")
    parser.add_argument("--child", nargs=2, metavar=("TARGET", "REQUESTS"), help=argparse.SUPPRESS)
    return parser.parse_args()


def child(target, requests):
    """Run in the counted process: set up Django, warm up, then ``requests`` requests of ``target``."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from rest_framework.authtoken.models import Token

    path, user, query = TARGETS[target]
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path.format(detail=os.environ["BENCH_DETAIL_ID"]),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.url_scheme": "http",
    }
    if user:
        environ["HTTP_AUTHORIZATION"] = f"Token {Token.objects.get(user__username=user).key}"
    handler = WSGIHandler()
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    for _ in range(WARM_UP + requests):
        b"".join(handler({**environ, "wsgi.input": io.BytesIO(b"")}, start_response))
    bad = [s for s in statuses if not s.startswith("200")]
    if bad:
        raise SystemExit(f"{target}: {bad[0]}")


def count(valgrind, env, target, requests) -> int:
    out = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            target,
            str(requests),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"{target}: {out.stderr[-2000:]}")
    line = next(line for line in out.stderr.splitlines() if "Collected" in line)
    return int(line.split()[-1])


def main():
    args = parse_args()
    sys.path[:0] = [str(BENCH), str(ROOT)]
    import applications_api

    database = args.database or os.environ.get("BENCH_DATABASE_URL", applications_api.DEFAULT_DB)
    # The counted processes are started without arguments of this kind: they find the database here.
    env = {**applications_api.bench_env(database), "BENCH_DATABASE_URL": database}
    if args.child:
        os.environ.update(env)
        return child(args.child[0], int(args.child[1]))

    applications_api.ensure_database(database)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    _tokens, detail_id = applications_api.seed(args.cases, reseed=False)
    connections.close_all()
    env = {**env, "BENCH_DETAIL_ID": str(detail_id), "DATABASE_CONN_MAX_AGE": "600"}
    valgrind = applications_api.ensure_tool("valgrind")

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}")
    per_request = {}
    with ThreadPoolExecutor(2) as pool:
        for target in targets:
            short, long = pool.map(lambda n, t=target: count(valgrind, env, t, n), (0, args.requests))
            per_request[target] = (long - short) / args.requests
            print(f"  {target}: {per_request[target] / 1e6:.3f} M instructions per request", flush=True)

    print(
        f"\nrequests counted: {args.requests} per target (after {WARM_UP} to warm up), one process, no HTTP"
    )
    print(f"{'endpoint':28} {'instructions per request':>26} {'bare / endpoint':>16}")
    bare = per_request.get("bare")
    for target, n in per_request.items():
        ratio = f"{bare / n:.2f}" if bare else "-"
        print(f"{target:28} {n / 1e6:24.3f} M {ratio:>16}")


if __name__ == "__main__":
    main()
