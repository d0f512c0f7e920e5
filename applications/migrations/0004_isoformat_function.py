"""hhht_isoformat(instant, time zone): an instant as the API writes it (Python's ``isoformat`` in that
time zone, ``Z`` for UTC, no fraction when the microseconds are zero), so PostgreSQL can render the case
list's rows itself (applications.sql_reads.queue_page_json). PostgreSQL only; tests compare it with the
serializers' output."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION hhht_isoformat(instant timestamptz, zone text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    local timestamp := instant AT TIME ZONE zone;
    seconds integer := extract(epoch FROM (local - (instant AT TIME ZONE 'UTC')))::integer;
    text_ text;
BEGIN
    IF instant IS NULL THEN
        RETURN NULL;
    END IF;
    text_ := to_char(local, 'YYYY-MM-DD"T"HH24:MI:SS');
    IF extract(microseconds FROM local)::bigint % 1000000 <> 0 THEN
        text_ := text_ || to_char(local, '.US');
    END IF;
    IF seconds = 0 THEN
        RETURN text_ || 'Z';
    END IF;
    RETURN text_ || CASE WHEN seconds < 0 THEN '-' ELSE '+' END
        || lpad((abs(seconds) / 3600)::text, 2, '0') || ':' || lpad((abs(seconds) % 3600 / 60)::text, 2, '0');
END;
$$;
"""
DROP = "DROP FUNCTION IF EXISTS hhht_isoformat(timestamptz, text);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("applications", "0003_satisfaction_rating")]
    operations = [migrations.RunPython(forwards, backwards)]
