"""The API's hot reads in hand-written SQL on PostgreSQL: a page of the queue and one case.

A page of the case list or one case is asked for on every screen of the portal's clients, so these two
reads are written once more in SQL, planned once per connection (``hhht_power.db.planned_cursor``):
the ORM spent more time composing the same statements than PostgreSQL spent running them. They return
the same objects the ORM path gives the serializers (``ApplicationListSerializer``,
``ApplicationDetailSerializer``), so both paths answer alike; tests compare them on every shape.

Who sees what is still decided by ``selectors.visibility``. Only its simple shapes are served here (a
customer's own cases, the power bureau's every submitted case, or both); a department's or a
supervisor's view, filters, other orderings and SQLite take the ORM path (``ready`` says which).
"""

from collections import namedtuple
from datetime import date, datetime
from functools import cache, partial

import orjson
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts.authentication import TokenGuard
from accounts.models import User
from hhht_power.db import loaded_instance, planned_cursor

from .models import Application, ApplicationState, Document
from .selectors import OVERALL, Visibility

# What the list serializer reads of a row, by the model's attribute names.
ListRow = namedtuple(
    "ListRow",
    "pk number state business voltage power_sources applicant_type applicant_name id_number "
    "contact_phone address capacity_kva customer_id account_manager_id submitted_at connected_at "
    "paused_at zero_investment customer_cost account_manager current_stage current_due_at current_level",
)
_LIST_COLUMNS = (
    "a.id, a.number, a.state, a.business, a.voltage, a.power_sources, a.applicant_type, "
    "a.applicant_name, a.id_number, a.contact_phone, a.address, a.capacity_kva::text, a.customer_id, "
    "a.account_manager_id, a.submitted_at, a.connected_at, a.paused_at, a.zero_investment, "
    "a.customer_cost::text, m.username, m.real_name, cs.stage, cs.due_at, cs.level"
)
# The amounts come as PostgreSQL writes them (``numeric(n, 2)``: two decimals, as the API shows them),
# not as fifty Decimals per page that psycopg builds and the serializer formats again.
# The running stage: the open stage clock due first (``selectors.attach_current_stage``'s rule). The
# codes 'overall' and 'draft' are written into the statements, not passed: a plan made for any value
# (a generic plan) cannot use the partial indexes that name them, so PostgreSQL judged it dearer and
# planned the statement again on every run (0.5 ms of each request).
_CURRENT_STAGE = (
    "LEFT JOIN LATERAL (SELECT c.stage, c.due_at, c.level FROM deadlines_stageclock c "
    "WHERE c.subject_type_id = %(ct)s AND c.subject_id = a.id AND c.finished_at IS NULL "
    f"AND c.cancelled_at IS NULL AND c.stage <> '{OVERALL}' "
    "ORDER BY c.due_at IS NULL, COALESCE(c.due_at, c.started_at), c.id LIMIT 1) cs ON TRUE"
)
StageRow = namedtuple(
    "StageRow",
    "stage started_at due_at finished_at cancelled_at paused_at level provisional limit_working_days "
    "finished_late",
)
TimelineRow = namedtuple("TimelineRow", "at actor_id actor transition from_state to_state reason data")


class Person(namedtuple("Person", "pk username real_name")):
    """A user as a list row shows it (``str(user)``: the real name, else the user name)."""

    def __str__(self):
        return self.real_name or self.username


def ready(seen: Visibility) -> bool:
    """True when this module serves ``seen``'s reads (PostgreSQL, a simple view)."""
    return (
        connection.vendor == "postgresql"
        and (seen.own or seen.submitted)
        and not (seen.pushed_to or seen.coordinated_by)
    )


def _visible(seen: Visibility) -> str:
    parts = []
    if seen.own:
        parts.append("a.customer_id = %(me)s")
    if seen.submitted:
        parts.append(f"a.state <> '{ApplicationState.DRAFT}'")
    return "(" + " OR ".join(parts) + ")"


@cache
def _queue_sql(own: bool, submitted: bool, own_first: bool, guarded: bool) -> str:
    visible = _visible(Visibility(own=own, submitted=submitted))
    if own_first:
        # The manager's own cases, then the others, each read newest first from its index. The
        # manager is written into the statement: a plan made for any manager (a generic plan) guesses
        # how many cases one has from the average, and for a manager with few it read the whole table
        # backwards where app_manager_id gives them at once.
        page = (
            f"(SELECT 0 AS mine, a.id FROM applications_application a WHERE {visible} "
            "AND a.account_manager_id = {me} ORDER BY a.id DESC LIMIT {depth}) "
            f"UNION ALL (SELECT 1, a.id FROM applications_application a WHERE {visible} "
            "AND a.account_manager_id IS DISTINCT FROM {me} ORDER BY a.id DESC LIMIT {depth}) "
            "ORDER BY mine, id DESC LIMIT {limit} OFFSET {offset}"
        )
    else:
        page = (
            f"SELECT 0 AS mine, a.id FROM applications_application a WHERE {visible} "
            "ORDER BY a.id DESC LIMIT {limit} OFFSET {offset}"
        )
    # One statement: the capped count, and the page's rows joined to it (one row of NULLs if empty).
    return (
        "SELECT total.n, p.* FROM (SELECT count(*) AS n FROM (SELECT 1 FROM applications_application a "
        f"WHERE {visible} LIMIT {{cap}}) capped) total LEFT JOIN LATERAL (SELECT page.mine, "
        f"{_LIST_COLUMNS} FROM ({page}) page JOIN applications_application a ON a.id = page.id "
        f"LEFT JOIN accounts_user m ON m.id = a.account_manager_id {_CURRENT_STAGE}) p ON TRUE "
        # With a remembered authentication: no row at all when it is out of date (else at least the count).
        f"{'WHERE ' + TokenGuard.sql() if guarded else ''} ORDER BY p.mine, p.id DESC"
    )


def _params(seen: Visibility, guard: TokenGuard | None, **more) -> dict:
    return {
        "me": seen.user_id,
        "ct": ContentType.objects.get_for_model(Application).pk,
        **(guard.params if guard else {}),
        **more,
    }


def _queue_statement(seen: Visibility, *, offset: int, limit: int, cap: int, guarded: bool = False) -> str:
    # The numbers are written into the statement: PostgreSQL keeps one plan per page size and page
    # (the first pages are nearly all that is asked), where with parameters for them it planned the
    # account manager's union again on every run.
    return _queue_sql(seen.own, seen.submitted, seen.own_first, guarded).format(
        offset=int(offset),
        limit=int(limit),
        depth=int(offset) + int(limit),
        cap=int(cap),
        me=int(seen.user_id),
    )


def queue_page(
    seen: Visibility, *, offset: int, limit: int, cap: int, guard: TokenGuard | None = None
) -> tuple[int, list[ListRow]] | None:
    """``(count up to cap, rows offset..offset+limit)`` of the cases ``seen`` sees, newest first (the
    account manager's own first when ``seen.own_first``). None when ``guard`` (a remembered
    authentication, ``accounts.authentication``) is out of date."""
    statement = _queue_statement(seen, offset=offset, limit=limit, cap=cap, guarded=guard is not None)
    with planned_cursor() as cursor:
        cursor.execute(statement, _params(seen, guard))
        found = cursor.fetchall()
    if not found and guard is not None:
        return None
    rows = []
    for r in found:
        if r[2] is None:  # the page is empty: only the count came back
            continue
        # r: count, mine, the case's 19 columns, the manager's two, the running stage's three
        manager = Person(r[15], r[21], r[22]) if r[15] is not None else None
        rows.append(ListRow(*r[2:21], manager, *r[23:26]))
    return (found[0][0] if found else 0), rows


# One case ------------------------------------------------------------------------------------------------
_CASE_FIELDS = [f for f in Application._meta.concrete_fields]
_DOCUMENT_FIELDS = [f for f in Document._meta.concrete_fields]
_STAGE_COLUMNS = (
    "c.stage, c.started_at, c.due_at, c.finished_at, c.cancelled_at, c.paused_at, c.level, c.provisional, "
    "c.limit_working_days, c.finished_late"
)


@cache
def _case_sql(own: bool, submitted: bool, guarded: bool) -> str:
    """The case, its account manager, and its documents, stage clocks and timeline each as one JSON array
    of rows: one statement (four cost PostgreSQL and psycopg twice the time, even in one round trip). The
    arrays come as text for orjson (psycopg's JSON loader is the standard library's)."""
    q = connection.ops.quote_name
    columns = ", ".join(f"a.{q(f.column)}" for f in _CASE_FIELDS)
    documents = ", ".join(f"d.{q(f.column)}" for f in _DOCUMENT_FIELDS)
    through = Application.documents.through._meta.db_table
    visible = _visible(Visibility(own=own, submitted=submitted))
    return (
        f"SELECT {columns}, m.username, m.real_name, "
        f"(SELECT json_agg(json_build_array({documents}) ORDER BY d.kind, d.id DESC)::text "
        f"FROM applications_document d JOIN {through} ad ON ad.document_id = d.id "
        "WHERE ad.application_id = a.id), "
        f"(SELECT json_agg(json_build_array({_STAGE_COLUMNS}) ORDER BY c.started_at, c.id)::text "
        "FROM deadlines_stageclock c WHERE c.subject_type_id = %(ct)s AND c.subject_id = a.id), "
        "(SELECT json_agg(json_build_array(e.at, e.actor_id, COALESCE(NULLIF(u.real_name, ''), u.username), "
        "e.transition, e.from_state, e.to_state, e.reason, e.data) ORDER BY e.at, e.id)::text "
        "FROM applications_auditentry e LEFT JOIN accounts_user u ON u.id = e.actor_id "
        "WHERE e.application_id = a.id) "
        "FROM applications_application a LEFT JOIN accounts_user m ON m.id = a.account_manager_id "
        f"WHERE a.id = %(pk)s AND {visible}{' AND ' + TokenGuard.sql() if guarded else ''}"
    )


def _instant(text):
    """A timestamp as PostgreSQL writes it in JSON (ISO 8601 with its offset)."""
    return None if text is None else datetime.fromisoformat(text)


def _day(text):
    return None if text is None else date.fromisoformat(text)


@cache
def _loading(model, from_json: bool) -> tuple[list[str], tuple]:
    """How ``model``'s concrete columns become an instance: the attribute names, and the ``(position,
    conversion)`` of the values that need one (the fields' database converters, such as JSON fields'; and
    for values read from a JSON array, dates and instants, which come as text)."""
    fields = model._meta.concrete_fields
    conversions = []
    for i, field in enumerate(fields):
        kind = field.get_internal_type()
        if from_json and kind in ("DateTimeField", "DateField"):
            conversions.append((i, _instant if kind == "DateTimeField" else _day))
        elif from_json and kind == "JSONField":
            continue  # already decoded with the array
        elif hasattr(field, "from_db_value"):
            conversions.append((i, partial(_database_value, field)))
    return [f.attname for f in fields], tuple(conversions)


def _database_value(field, value):
    return None if value is None else field.from_db_value(value, None, connection)


def _from_db(model, values, *, from_json=False):
    """An instance of ``model`` from its concrete columns' values, as the ORM would load it."""
    attnames, conversions = _loading(model, from_json)
    values = list(values)
    for i, convert in conversions:
        values[i] = convert(values[i])
    return loaded_instance(model, attnames, values)


def case(seen: Visibility, pk: int, guard: TokenGuard | None = None):
    """``(application, stages, timeline)`` of case ``pk`` if ``seen`` sees it (and ``guard``, a
    remembered authentication, is up to date), else None. The application carries its account manager
    and its documents (ordered by kind, newest first)."""
    with planned_cursor() as cursor:
        cursor.execute(_case_sql(seen.own, seen.submitted, guard is not None), _params(seen, guard, pk=pk))
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(_CASE_FIELDS)
    username, real_name, *arrays = row[n:]
    documents, stages, timeline = (orjson.loads(a) if a else () for a in arrays)
    application = _from_db(Application, row[:n])
    if application.account_manager_id is not None:
        manager = loaded_instance(
            User, ("id", "username", "real_name"), (application.account_manager_id, username, real_name)
        )
        Application.account_manager.field.set_cached_value(application, manager)
    # The documents as the case's own list (``Application.attached_documents``): a related manager and
    # its queryset for a prefetch cost more than building the documents themselves.
    application.loaded_documents = [_from_db(Document, r, from_json=True) for r in documents]
    stages = [StageRow(r[0], *map(_instant, r[1:6]), *r[6:]) for r in stages]
    timeline = [TimelineRow(_instant(r[0]), *r[1:]) for r in timeline]
    return application, stages, timeline
