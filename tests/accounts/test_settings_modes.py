"""Both settings modes, and `check --deploy` clean in production mode."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup();"
    "from django.conf import settings; from django.db import connection;"
    "print(connection.vendor, settings.CELERY_BROKER_URL.split(':')[0], settings.LANGUAGE_CODE,"
    " settings.TIME_ZONE, settings.USE_TZ)"
)


def _env(**overrides):
    dropped = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DJANGO_SETTINGS_MODULE"] = "hhht_power.settings"
    env.update(overrides)
    return env


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_default_mode_is_sqlite_with_an_embedded_broker(tmp_path):
    out = _run(["-c", PROBE], _env(HHHT_VAR_DIR=str(tmp_path)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["sqlite", "filesystem", "zh-hans", "Asia/Shanghai", "True"]


API_ON_SQLITE = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from rest_framework.authtoken.models import Token
from accounts.models import Role, User
user = User.objects.create_user("sqlite_customer", password="Sqlite-pass-2026")
user.roles.set([Role.objects.get(code="customer")])
key = Token.objects.create(user=user).key
client = Client(HTTP_AUTHORIZATION=f"Token {key}")
print(*(client.get("/api/v1/applications/").status_code for _ in range(2)))
Token.objects.all().delete()
print(client.get("/api/v1/applications/").status_code)
"""


def test_the_api_takes_tokens_on_sqlite_too(tmp_path):
    """``make run``'s embedded database: token authentication answers there as well."""
    out = _run(["-c", API_ON_SQLITE], _env(HHHT_VAR_DIR=str(tmp_path), DJANGO_ALLOWED_HOSTS="testserver"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["200", "200", "401"]


def test_database_url_selects_postgresql_and_broker_url_redis():
    env = _env(DATABASE_URL=os.environ["DATABASE_URL"], CELERY_BROKER_URL="redis://127.0.0.1:6379/15")
    out = _run(["-c", PROBE + ";connection.ensure_connection(); print(connection.pg_version > 0)"], env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["postgresql", "redis", "zh-hans", "Asia/Shanghai", "True", "True"]


def test_production_settings_pass_check_deploy_with_no_warning(tmp_path):
    env = _env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x7$k!q2#-production-secret-for-the-check-only-" + "a9" * 20,
        DJANGO_ALLOWED_HOSTS="power.example.gov.cn",
        DATABASE_URL=os.environ["DATABASE_URL"],
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        HHHT_VAR_DIR=str(tmp_path),
    )
    out = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    out = _run(["-c", PROBE], _env(DJANGO_DEBUG="0", HHHT_VAR_DIR=str(tmp_path)))
    assert out.returncode != 0
    assert "DJANGO_SECRET_KEY" in out.stderr
