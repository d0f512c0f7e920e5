"""Database helpers shared by the apps' hand-written hot reads."""

from contextlib import contextmanager
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.base import ModelState
from django_fsm import ConcurrentTransitionMixin


def planned_cursor():
    """A cursor whose statements PostgreSQL parses and plans once per connection.

    Django's PostgreSQL cursors bind parameters on the client (the SQL text changes with every value),
    so nothing can be prepared. This one binds them on the server: psycopg prepares a statement after it
    has run ``prepare_threshold`` times on the connection (``DATABASE_PREPARE_THRESHOLD``; off behind a
    transaction-mode pooler). It is wrapped like Django's own cursors, so query logging and
    ``django_assert_num_queries`` see its statements. Elsewhere (SQLite) it is Django's usual cursor.
    """
    db = connections[DEFAULT_DB_ALIAS]  # once: every attribute of ``connection`` is a lookup by alias
    if db.vendor != "postgresql":
        return db.cursor()
    import psycopg

    db.ensure_connection()
    db.validate_thread_sharing()
    cursor = psycopg.Cursor(db.connection)
    # Django loads timestamps with a Python subclass of psycopg's loader (to set its time zone), which
    # parses every value in Python; psycopg's own C loader gives the same instants (in UTC, the
    # connection's time zone) several times faster, and a page of cases holds dozens.
    cursor.adapters.register_loader("timestamptz", _timestamptz_loader())
    if db.queries_logged:
        return db.make_debug_cursor(cursor)
    return db.make_cursor(cursor)


@contextmanager
def page_planner():
    """A transaction in which PostgreSQL plans a page's few queries for one core and no compilation.

    Its JIT compiles any query whose estimated cost is high, which costs more (hundreds of ms) than the
    pages' queries take; and parallel workers each rebuild the same hash of the open clocks (three
    times the work for the staff queue on two cores). Both are switched off for the transaction only.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('jit', 'off', true), "
                    "set_config('max_parallel_workers_per_gather', '0', true)"
                )
        yield


@cache
def _timestamptz_loader():
    import psycopg

    return psycopg.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT)


def loaded_instance(model, attnames, values, alias=DEFAULT_DB_ALIAS):
    """What ``model.from_db(alias, attnames, values)`` returns, for the hand-written reads, without
    ``Model.__init__``: it sets the fields one by one through their descriptors and sends ``pre_init``
    and ``post_init`` for every instance, three times the time of this. The same attributes (those not
    given are deferred, as with ``from_db``), the same state, and the state fields remembered for
    ``ConcurrentTransitionMixin``; no receiver of those two signals is connected to the models read
    this way (``tests/test_db_helpers.py`` checks)."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(attnames, values, strict=True))
    state = obj._state = ModelState()
    state.adding, state.db = False, alias
    if isinstance(obj, ConcurrentTransitionMixin):
        obj._update_initial_state()
    return obj
