"""The database triggers that write ``SummaryChange`` rows (PostgreSQL): the id of every case whose
summary figures may have changed, in the same transaction as the change, whatever code (or person at a
SQL prompt) made it. Statement-level triggers with transition tables, so a bulk write logs its cases in
one INSERT ... SELECT."""

# table -> (the case id column, the columns the summary reads, a condition on a row ``r``)
WATCHED = {
    "applications_application": (
        "id",
        "state, voltage, external_works, power_sources, submitted_at, connected_at, zero_investment, "
        "customer_cost, district",
        "r.id IS NOT NULL",
    ),
    "deadlines_stageclock": (
        "subject_id",
        "subject_type_id, subject_id, stage, finished_at, elapsed_working_days, finished_late, "
        "responsible_org_id, coordinating_org_id",
        "r.subject_type_id = (SELECT id FROM django_content_type "
        "WHERE app_label = 'applications' AND model = 'application')",
    ),
    "applications_satisfactionrating": (
        "application_id",
        "application_id, score, rated_at",
        "r.id IS NOT NULL",
    ),
}


def _function(table: str) -> str:
    case_id, columns, condition = WATCHED[table]
    old = ", ".join(f"o.{c.strip()}" for c in columns.split(","))
    new = ", ".join(f"n.{c.strip()}" for c in columns.split(","))
    return f"""
CREATE OR REPLACE FUNCTION {table}_summary_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO supervision_summarychange (application_id)
        SELECT DISTINCT r.{case_id} FROM new_rows r WHERE {condition};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO supervision_summarychange (application_id)
        SELECT DISTINCT r.{case_id} FROM old_rows r WHERE {condition};
    ELSE
        -- An updated row counts for the case it belonged to and the case it belongs to now.
        INSERT INTO supervision_summarychange (application_id)
        SELECT DISTINCT r.{case_id} FROM old_rows o JOIN new_rows n ON n.id = o.id,
            LATERAL (SELECT o.* UNION ALL SELECT n.*) r
        WHERE ({old}) IS DISTINCT FROM ({new}) AND {condition};
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_summary_ins AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_summary_change();
CREATE TRIGGER {table}_summary_upd AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_summary_change();
CREATE TRIGGER {table}_summary_del AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_summary_change();
"""


def _drop(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS {table}_summary_{op} ON {table};\n" for op in ("ins", "upd", "del")
    ) + (f"DROP FUNCTION IF EXISTS {table}_summary_change();\n")


def summary_change_triggers():
    """A migration operation creating the triggers on PostgreSQL (nothing elsewhere: the beat then
    rebuilds the summary in full)."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in WATCHED:
                schema_editor.execute(_drop(table) + _function(table), params=None)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in WATCHED:
                schema_editor.execute(_drop(table), params=None)

    return migrations.RunPython(forwards, backwards)
