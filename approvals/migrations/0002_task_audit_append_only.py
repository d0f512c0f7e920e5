"""The task audit trail is append-only in the database too: on PostgreSQL a trigger refuses UPDATE and
DELETE of its rows, whatever code (or person at a SQL prompt) tries."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION approvals_taskauditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'approvals_taskauditentry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS approvals_taskauditentry_append_only ON approvals_taskauditentry;
CREATE TRIGGER approvals_taskauditentry_append_only
    BEFORE UPDATE OR DELETE ON approvals_taskauditentry
    FOR EACH ROW EXECUTE FUNCTION approvals_taskauditentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS approvals_taskauditentry_append_only ON approvals_taskauditentry;
DROP FUNCTION IF EXISTS approvals_taskauditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
