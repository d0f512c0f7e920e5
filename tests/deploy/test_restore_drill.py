"""The restore drill: scripts/backup.sh of a database with cases, then scripts/restore.sh into a new
database and a new media folder; the cases, clocks, audit entries and documents are all there, and the
audit chain verifies."""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from applications.models import Application, AuditEntry, Document
from applications.models import ApplicationState as S
from deadlines.models import StageClock
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def url(name: str) -> str:
    db = connection.settings_dict
    return (
        f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    )


def run(args, **env):
    out = subprocess.run(
        args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restored"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(drop)
    yield name
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(drop)


def test_backup_restores_into_a_new_database_with_every_row_and_file(tmp_path, restored_name):
    for state in (S.SUBMITTED, S.ACCEPTED, S.CONNECTED):
        case_in_state(state)
    counts = {
        "cases": Application.objects.count(),
        "clocks": StageClock.objects.count(),
        "audit": AuditEntry.objects.count(),
        "documents": Document.objects.count(),
    }
    assert counts["audit"] >= 3 and counts["documents"] >= 3
    files = {doc.file.name: doc.file.read() for doc in Document.objects.all()}

    backup = tmp_path / "backup"
    run(
        ["scripts/backup.sh", str(backup)],
        DATABASE_URL=url(connection.settings_dict["NAME"]),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    assert {p.name for p in backup.iterdir()} == {"db.dump", "media.tar.gz", "manifest.txt", "SHA256SUMS"}

    media = tmp_path / "restored-media"
    said = run(["scripts/restore.sh", str(backup), url(restored_name), str(media)])
    assert f"cases: {counts['cases']} rows" in said

    with psycopg.connect(url(restored_name)) as restored:
        for what, table in (
            ("cases", "applications_application"),
            ("clocks", "deadlines_stageclock"),
            ("audit", "applications_auditentry"),
            ("documents", "applications_document"),
        ):
            assert restored.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[what], what
        # The append-only trigger came back with the schema.
        with pytest.raises(psycopg.Error):
            restored.execute("DELETE FROM applications_auditentry")
    for name, content in files.items():
        assert (media / name).read_bytes() == content
    # Every audit row still links to the one before it (manage.py verify_audit on the restored copy).
    checked = run([".venv/bin/python", "manage.py", "verify_audit"], DATABASE_URL=url(restored_name))
    assert "applications.AuditEntry" in checked and "BROKEN" not in checked

    # A second restore into the same (now filled) database is refused.
    refused = subprocess.run(
        ["scripts/restore.sh", str(backup), url(restored_name)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0 and "not empty" in refused.stderr
