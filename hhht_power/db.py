"""Database helpers shared by the apps' hand-written hot reads."""

from django.db import connection


def planned_cursor():
    """A cursor whose statements PostgreSQL parses and plans once per connection.

    Django's PostgreSQL cursors bind parameters on the client (the SQL text changes with every value),
    so nothing can be prepared. This one binds them on the server: psycopg prepares a statement after it
    has run ``prepare_threshold`` times on the connection (``DATABASE_PREPARE_THRESHOLD``; off behind a
    transaction-mode pooler). It is wrapped like Django's own cursors, so query logging and
    ``django_assert_num_queries`` see its statements. Elsewhere (SQLite) it is Django's usual cursor.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)
