"""The task audit trail is append-only in the database too: on PostgreSQL a trigger refuses UPDATE and
DELETE of its rows, whatever code (or person at a SQL prompt) tries."""

from django.db import migrations

from accounts.audit import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [append_only_trigger("approvals_taskauditentry")]
