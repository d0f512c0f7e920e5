"""``make run``'s portal: on its embedded SQLite database (no PostgreSQL, no Redis) the demo data is seeded,
every user's first pages answer and the beat's tasks run. The suite itself runs on PostgreSQL, so without
this test a PostgreSQL-only statement would break the first command a newcomer types."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGES = """
from django.conf import settings
from django.test import Client
from accounts.models import User
from applications.models import Application

settings.ALLOWED_HOSTS = ["testserver"]
own_case = Application.objects.exclude(state="draft").filter(customer__username="customer_demo").first()
PAGES = {
    "customer_demo": ["/", "/applications/mine/", "/applications/new/", "/applications/wallet/",
                      "/deadlines/inbox/", f"/applications/{own_case.pk}/"],
    "psb_demo": ["/applications/queue/", f"/applications/{own_case.pk}/"],
    "window_demo": ["/approvals/"],
    "gxj_demo": ["/supervision/", "/supervision/report/", "/supervision/cases/", "/supervision/orders/"],
    "admin_demo": ["/admin/"],
}
for username, paths in PAGES.items():
    client = Client()
    client.force_login(User.objects.get(username=username))
    for path in paths:
        print("PAGE", username, path, client.get(path, follow=True).status_code)
"""

# make run's worker runs the beat's tasks on the same database.
TASKS = """
from importlib import import_module
from django.conf import settings

for entry in settings.CELERY_BEAT_SCHEDULE.values():
    module, name = entry["task"].rsplit(".", 1)
    print("TASK", entry["task"], getattr(import_module(module), name).apply().state)
"""


def manage(*args, env, stdin=None):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_demo_seeds_every_users_pages_answer_and_the_beat_runs_on_sqlite(tmp_path):
    keep = ("PATH", "HOME", "LANG", "VIRTUAL_ENV")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_DEBUG": "1"}
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        done = manage(*step, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    done = manage("shell", env=env, stdin=PAGES)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("PAGE ")]
    assert len(answers) == 14, done.stdout
    assert [a for a in answers if a[2] != "200"] == []
    done = manage("shell", env=env, stdin=TASKS)
    assert done.returncode == 0, done.stderr[-3000:]
    states = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("TASK ")]
    assert len(states) >= 7 and [s for s in states if s[1] != "SUCCESS"] == [], done.stdout
