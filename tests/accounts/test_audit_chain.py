"""The audit trail is a hash chain per case (and per permit task): ``verify_audit`` reports the first
entry changed, removed or slipped in below the model; and the application's database role can neither
truncate nor alter the audit tables, nor switch their triggers off."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from applications.models import AuditEntry
from approvals.models import TaskAuditEntry
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")


def _verify():
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def _below_the_model(sql, params):
    """What the tables' owner can do at a SQL prompt: the append-only trigger set aside for a moment."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows: their deferred checks first
        cursor.execute(
            "ALTER TABLE applications_auditentry DISABLE TRIGGER applications_auditentry_append_only"
        )
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE applications_auditentry ENABLE TRIGGER applications_auditentry_append_only"
        )


def test_every_entry_links_to_the_one_before_it_in_its_case():
    one, two = case_in_state("accepted"), case_in_state("submitted")
    for case in (one, two):
        entries = list(AuditEntry.objects.filter(application=case).order_by("id"))
        assert entries[0].prev_hash == ""
        assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
        assert all(len(e.hash) == 64 for e in entries)
    out, error = _verify()
    assert error is None and "applications.AuditEntry" in out and "every chain intact" in out


@postgres_only
@pytest.mark.parametrize(
    ("sql", "touched", "reported", "problem"),
    [
        ("UPDATE applications_auditentry SET reason = 'nothing happened' WHERE id = %s", 1, 1, "was changed"),
        ("DELETE FROM applications_auditentry WHERE id = %s", 0, 1, "does not follow"),
    ],
)
def test_verify_audit_reports_the_first_broken_link(sql, touched, reported, problem):
    case = case_in_state("accepted")
    entries = list(AuditEntry.objects.filter(application=case).order_by("id"))
    _below_the_model(sql, [entries[touched].pk])
    out, error = _verify()
    assert error is not None and f"#{case.pk}: entry {entries[reported].pk} {problem}" in error
    assert "BROKEN" in out


@postgres_only
def test_an_entry_slipped_in_breaks_the_chain():
    case = case_in_state("submitted")
    last = AuditEntry.objects.filter(application=case).order_by("id").last()
    _below_the_model(
        "INSERT INTO applications_auditentry (application_id, at, transition, from_state, to_state,"
        " reason, data, prev_hash, hash)"
        " VALUES (%s, now(), 'accept', 'submitted', 'accepted', '', '{}', %s, %s)",
        [case.pk, last.hash, "0" * 64],
    )
    assert "was changed" in _verify()[1]


def test_permit_task_histories_are_chained_too():
    case_in_state("approving", road_excavation=True)
    entries = list(TaskAuditEntry.objects.order_by("task_id", "id"))
    assert entries and all(e.hash for e in entries)
    assert "approvals.TaskAuditEntry" in _verify()[0]


@postgres_only
def test_the_application_role_cannot_truncate_alter_or_disable_triggers():
    """Web and worker run as a role that does not own the tables (docs/operations.md, Database roles)."""
    case_in_state("submitted")
    # Roles are created in the test's transaction: its rollback takes them away again.
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE hhht_app_test NOLOGIN")
        cursor.execute("GRANT hhht_app_test TO CURRENT_USER")
        cursor.execute("GRANT USAGE ON SCHEMA public TO hhht_app_test")
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hhht_app_test")
        cursor.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO hhht_app_test")
    refused = {
        "truncate": "TRUNCATE applications_auditentry",
        "truncate tasks": "TRUNCATE approvals_taskauditentry",
        "disable trigger": "ALTER TABLE applications_auditentry DISABLE TRIGGER "
        "applications_auditentry_append_only",
        "disable all triggers": "ALTER TABLE applications_auditentry DISABLE TRIGGER ALL",
        "alter": "ALTER TABLE applications_auditentry DROP COLUMN hash",
        "drop trigger": "DROP TRIGGER applications_auditentry_append_only ON applications_auditentry",
        "replication role": "SET session_replication_role = replica",
        "delete": "DELETE FROM applications_auditentry",
        "update": "UPDATE applications_auditentry SET reason = 'x'",
    }
    for sql in refused.values():
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL ROLE hhht_app_test")
            cursor.execute(sql)
    # What the portal does all day still works under that role.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE hhht_app_test")
        cursor.execute("SELECT count(*) FROM applications_auditentry")
        assert cursor.fetchone()[0] > 0
        cursor.execute("RESET ROLE")
    assert AuditEntry.objects.exists()
