"""The deadline pass: raise the level of every clock whose next instant has come, record one warning
per clock and level, and notify after commit.

Set-based: the clocks to touch are read from the partial index on ``next_check_at`` (NULL for closed,
paused and escalated clocks), so a pass costs in proportion to the clocks that crossed a level, not to the
open ones. Idempotent and safe to run twice at once: the rows are locked with SKIP LOCKED, the level and
next instant are moved in one UPDATE, and Warning (clock, level) and Notification (recipient, key) are
unique, inserted with ON CONFLICT DO NOTHING.
"""

import uuid
from collections import defaultdict
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organisation, RoleCode, User

from .calendar import local_date
from .models import (
    DeliveryState,
    Level,
    Notification,
    PolicyDocument,
    PolicyRule,
    StageClock,
    StageCode,
    Warning,
)
from .notifications import enqueue_after_commit

BATCH = 5000
REPORTED_LEVELS = (Level.WARNING, Level.OVERDUE, Level.ESCALATED)
# Who hears of a level, by role; escalations also reach the leaders (督办领导).
RESPONSIBLE_ROLES = {RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER, RoleCode.REVIEWER, RoleCode.WINDOW}
SUPERVISOR_ROLES = {RoleCode.SUPERVISOR}
LEADER_ROLES = {RoleCode.LEADER}
CHANNELS_BY_LEVEL = {
    Level.WARNING: ("inapp", "email"),
    Level.OVERDUE: ("inapp", "email", "sms"),
    Level.ESCALATED: ("inapp", "email", "sms"),
}
TITLES = {
    Level.WARNING: gettext_noop("【预警】{subject} {stage}将于 {due} 到期"),
    Level.OVERDUE: gettext_noop("【超期】{subject} {stage}已超过办理时限"),
    Level.ESCALATED: gettext_noop("【督办】{subject} {stage}超期 {days} 个工作日以上"),
}


def due_clocks(at):
    """The clocks whose next level instant has come (the indexed range the pass works on)."""
    return StageClock.objects.filter(next_check_at__lte=at)


def run_pass(*, at) -> dict[str, int]:
    """One deadline pass as of ``at``. Returns the warnings raised now per level and the notifications."""
    counts = {str(level): 0 for level in REPORTED_LEVELS}
    counts["notifications"] = 0
    while True:
        done = _one_batch(at=at, counts=counts)
        if done < BATCH:
            return counts


_FRESH_FIELDS = (
    "id",
    "level",
    "due_at",
    "provisional",
    "subject_type_id",
    "subject_id",
    "stage",
    "responsible_org_id",
    "coordinating_org_id",
    "assignee_id",
    "policy_id",
    "limit_working_days",
    "escalation_working_days",
)


def _postgresql() -> bool:
    """Single-statement SQL on PostgreSQL; the portable ORM path elsewhere (SQLite for ``make run``)."""
    return connection.vendor == "postgresql"


def _one_batch(*, at, counts) -> int:
    token = uuid.uuid4()
    with transaction.atomic():
        if _postgresql():
            touched, fresh = _advance_postgresql(at=at, token=token)
        else:
            touched, fresh = _advance_portable(at=at, token=token)
        for c in fresh:
            counts[c["level"]] += 1
        counts["notifications"] += _notify_warnings(fresh, at=at)
    return touched


def _advance_postgresql(*, at, token) -> tuple[int, list[dict]]:
    """One statement: lock the due clocks (SKIP LOCKED), move their level and next instant, insert their
    warnings (ON CONFLICT DO NOTHING), and return the number touched and the clocks warned now."""
    clock_table = StageClock._meta.db_table
    warning_table = Warning._meta.db_table
    fields = ", ".join(f"upd.{f}" for f in _FRESH_FIELDS)
    sql = f"""
        WITH due AS (
            SELECT id FROM {clock_table}
            WHERE next_check_at <= %(at)s
              AND finished_at IS NULL AND cancelled_at IS NULL AND paused_at IS NULL
            ORDER BY next_check_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
        ), upd AS (
            UPDATE {clock_table} c SET
                level = CASE WHEN c.escalate_at <= %(at)s THEN 'escalated'
                             WHEN c.due_at <= %(at)s THEN 'overdue'
                             WHEN c.warning_at <= %(at)s THEN 'warning' ELSE c.level END,
                next_check_at = CASE WHEN c.escalate_at <= %(at)s THEN NULL
                                     WHEN c.due_at <= %(at)s THEN c.escalate_at
                                     WHEN c.warning_at <= %(at)s THEN c.due_at ELSE c.warning_at END
            FROM due WHERE c.id = due.id
            RETURNING c.*
        ), ins AS (
            INSERT INTO {warning_table} ({", ".join(_WARNING_COLUMNS)})
            SELECT id, level, %(at)s, due_at, provisional, subject_type_id, subject_id, stage,
                   responsible_org_id, coordinating_org_id, %(token)s
            FROM upd WHERE level <> 'on_time'
            ON CONFLICT (clock_id, level) DO NOTHING
            RETURNING clock_id
        )
        SELECT ins.clock_id IS NOT NULL, {fields} FROM upd LEFT JOIN ins ON ins.clock_id = upd.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"at": at, "batch": BATCH, "token": token})
        rows = cursor.fetchall()
    fresh = [dict(zip(_FRESH_FIELDS, row[1:], strict=True)) for row in rows if row[0]]
    return len(rows), fresh


def _advance_portable(*, at, token) -> tuple[int, list[dict]]:
    """The same in three statements, for SQLite (``make run``): select the due ids, UPDATE, INSERT."""
    ids = list(
        due_clocks(at)
        .filter(finished_at__isnull=True, cancelled_at__isnull=True, paused_at__isnull=True)
        .order_by("next_check_at")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:BATCH]
    )
    if not ids:
        return 0, []
    crossed = [
        (Q(escalate_at__lte=at), Level.ESCALATED, Value(None)),
        (Q(due_at__lte=at), Level.OVERDUE, F("escalate_at")),
        (Q(warning_at__lte=at), Level.WARNING, F("due_at")),
    ]
    StageClock.objects.filter(pk__in=ids).update(
        level=Case(*[When(cond, then=Value(level)) for cond, level, _n in crossed], default=F("level")),
        next_check_at=Case(*[When(cond, then=nxt) for cond, _l, nxt in crossed], default=F("warning_at")),
    )
    new_ids = _insert_warnings(ids, at=at, token=token)
    fresh = list(StageClock.objects.filter(pk__in=new_ids).values(*_FRESH_FIELDS)) if new_ids else []
    return len(ids), fresh


_WARNING_COLUMNS = (
    "clock_id",
    "level",
    "raised_at",
    "due_at",
    "provisional",
    "subject_type_id",
    "subject_id",
    "stage",
    "responsible_org_id",
    "coordinating_org_id",
    "pass_token",
)


def _insert_warnings(clock_ids, *, at, token) -> list[int]:
    """INSERT ... SELECT from the clocks, ON CONFLICT (clock, level) DO NOTHING: one statement, and only
    the warnings raised now come back."""
    warning_table = Warning._meta.db_table
    clock_table = StageClock._meta.db_table
    placeholders = ", ".join(["%s"] * len(clock_ids))
    sql = (
        f"INSERT INTO {warning_table} ({', '.join(_WARNING_COLUMNS)}) "
        f"SELECT id, level, %s, due_at, provisional, subject_type_id, subject_id, stage, responsible_org_id, "
        f"coordinating_org_id, %s FROM {clock_table} WHERE id IN ({placeholders}) AND level <> %s "
        f"ON CONFLICT (clock_id, level) DO NOTHING RETURNING clock_id"
    )
    token_db = Warning._meta.get_field("pass_token").get_db_prep_value(token, connection)
    at_db = StageClock._meta.get_field("started_at").get_db_prep_value(at, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [at_db, token_db, *clock_ids, Level.ON_TIME])
        return [row[0] for row in cursor.fetchall()]


def _notify_warnings(clocks, *, at) -> int:
    """One notification per recipient of each new warning; returns how many were created now."""
    if not clocks:
        return 0
    lead_orgs = dict(
        PolicyDocument.objects.filter(pk__in={c["policy_id"] for c in clocks}).values_list(
            "pk", "lead_org_id"
        )
    )
    orgs = set()
    for c in clocks:
        orgs.update(
            o for o in (c["responsible_org_id"], c["coordinating_org_id"], lead_orgs.get(c["policy_id"])) if o
        )
    members = _members_by_org_and_role(orgs)
    subjects = _subject_labels(clocks)
    # Rules whose coordinating unit's own staff hear of the warnings too (policy data: the route design
    # is 市自然资源局's business as well as its supervisors').
    staffed = set(
        PolicyRule.objects.filter(
            policy_id__in={c["policy_id"] for c in clocks}, notify_coordinating_staff=True
        ).values_list("policy_id", "stage")
    )
    plan = []
    for c in clocks:
        recipients = (
            {c["assignee_id"]} if c["assignee_id"] else set(members[(c["responsible_org_id"], "responsible")])
        )
        recipients |= members[(c["coordinating_org_id"], "supervisor")]
        if (c["policy_id"], c["stage"]) in staffed:
            recipients |= members[(c["coordinating_org_id"], "responsible")]
        if c["level"] == Level.ESCALATED:
            recipients |= members[(c["coordinating_org_id"], "leader")]
            recipients |= members[(lead_orgs.get(c["policy_id"]), "leader")]
        plan.append((c, recipients))
    # The customer hears when a stage of its case becomes overdue (and may press, 催办).
    customers = {
        c["id"]: subjects[(c["subject_type_id"], c["subject_id"])][2]
        for c in clocks
        if c["level"] == Level.OVERDUE and (c["subject_type_id"], c["subject_id"]) in subjects
    }
    customers = {k: v for k, v in customers.items() if v}
    everyone = set().union(*(r for _c, r in plan), customers.values())
    if not everyone:
        return 0
    contacts = {
        pk: (bool(email), bool(phone))
        for pk, email, phone in User.objects.filter(pk__in=everyone, is_active=True).values_list(
            "pk", "email", "phone"
        )
    }
    texts = _Texts()
    rows = []
    for c, recipients in plan:
        level = c["level"]
        label, url, _customer = subjects.get(
            (c["subject_type_id"], c["subject_id"]), (f"#{c['subject_id']}", "", None)
        )
        title, body = texts.message(c, label)
        channels = CHANNELS_BY_LEVEL[level]
        key = f"deadline:{c['id']}:{level}"
        customer = customers.get(c["id"])
        if customer in contacts:
            has_email, has_phone = contacts[customer]
            rows.append(
                (
                    customer,
                    "deadline.customer_overdue",
                    texts.customer_title(c, label)[:200],
                    body,
                    url[:300],
                    c["subject_type_id"],
                    c["subject_id"],
                    f"{key}:customer",
                    "email" in channels and has_email,
                    "sms" in channels and has_phone,
                )
            )
        for user_id in sorted(recipients & contacts.keys()):
            has_email, has_phone = contacts[user_id]
            rows.append(
                (
                    user_id,
                    f"deadline.{level}",
                    title[:200],
                    body,
                    url[:300],
                    c["subject_type_id"],
                    c["subject_id"],
                    key,
                    "email" in channels and has_email,
                    "sms" in channels and has_phone,
                )
            )
    created = _insert_notifications(rows, at=at)
    enqueue_after_commit(created)
    return len(created)


_NOTIFICATION_COLUMNS = (
    "recipient_id",
    "kind",
    "title",
    "body",
    "url",
    "subject_type_id",
    "subject_id",
    "dedupe_key",
    "want_email",
    "want_sms",
)
_UNNEST_TYPES = (
    "bigint",
    "varchar",
    "varchar",
    "text",
    "varchar",
    "integer",
    "bigint",
    "varchar",
    "boolean",
    "boolean",
)


def _insert_notifications(rows, *, at) -> list[int]:
    """Insert the rows, skipping (recipient, key) pairs that exist; return the ids created now.

    On PostgreSQL one INSERT ... SELECT FROM unnest(arrays) per 5000 rows; elsewhere (SQLite for
    ``make run``) bulk_create and a read back.
    """
    if not rows:
        return []
    if not _postgresql():
        objs = [
            Notification(
                **dict(zip(_NOTIFICATION_COLUMNS, row, strict=True)), created_at=at, next_attempt_at=at
            )
            for row in rows
        ]
        Notification.objects.bulk_create(objs, ignore_conflicts=True, batch_size=500)
        keys = {row[7] for row in rows}
        return list(
            Notification.objects.filter(
                dedupe_key__in=keys, created_at=at, delivery_state=DeliveryState.PENDING
            ).values_list("pk", flat=True)
        )
    table = Notification._meta.db_table
    arrays = ", ".join(f"%s::{t}[]" for t in _UNNEST_TYPES)
    sql = (
        f"INSERT INTO {table} ({', '.join(_NOTIFICATION_COLUMNS)}, "
        f"created_at, next_attempt_at, delivery_state, attempts, last_error) "
        f"SELECT u.*, %s, %s, %s, 0, '' FROM unnest({arrays}) AS u "
        f"ON CONFLICT (recipient_id, dedupe_key) DO NOTHING RETURNING id"
    )
    created = []
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            chunk = rows[i : i + 5000]
            columns = [list(col) for col in zip(*chunk, strict=True)]
            cursor.execute(sql, [at, at, DeliveryState.PENDING, *columns])
            created += [row[0] for row in cursor.fetchall()]
    return created


CUSTOMER_OVERDUE_TITLE = gettext_noop(
    "您的{subject}“{stage}”环节已超过承诺时限，我们已督促办理；您也可以在办理进度页面催办。"
)


class _Texts:
    """Titles and bodies, with the translations and labels looked up once per pass."""

    def __init__(self):
        self.titles = {level: _(template) for level, template in TITLES.items()}
        self.body = _("环节：{stage}；办理时限：{limit} 个工作日；到期时间：{due}。")
        self.provisional = _("（临时推算）")
        self.stages = {code: str(label) for code, label in StageCode.choices}
        self.customer = _(CUSTOMER_OVERDUE_TITLE)

    def customer_title(self, c, label) -> str:
        return self.customer.format(subject=label, stage=self.stages[c["stage"]])

    def message(self, c, label) -> tuple[str, str]:
        stage = self.stages[c["stage"]]
        due = ""
        if c["due_at"] is not None:
            last_day = local_date(c["due_at"]) - timedelta(days=1)
            due = f"{last_day:%Y-%m-%d} 24:00" + (self.provisional if c["provisional"] else "")
        title = self.titles[c["level"]].format(
            subject=label, stage=stage, due=due, days=c["escalation_working_days"] or ""
        )
        return title, self.body.format(stage=stage, limit=c["limit_working_days"], due=due)


def _members_by_org_and_role(org_ids) -> defaultdict:
    """{(org id, "responsible"|"supervisor"|"leader"): user ids} over each organisation and its sub-units,
    one query for the family, one for the users and their roles."""
    members = defaultdict(set)
    if not org_ids:
        return members
    family = defaultdict(set)
    for pk, parent in Organisation.objects.filter(Q(pk__in=org_ids) | Q(parent_id__in=org_ids)).values_list(
        "pk", "parent_id"
    ):
        if pk in org_ids:
            family[pk].add(pk)
        if parent in org_ids:
            family[pk].add(parent)
    rows = User.objects.filter(is_active=True, organisation_id__in=list(family)).values_list(
        "pk", "organisation_id", "roles__code"
    )
    for pk, org_id, role in rows:
        for top in family[org_id]:
            if role in RESPONSIBLE_ROLES:
                members[(top, "responsible")].add(pk)
            if role in SUPERVISOR_ROLES:
                members[(top, "supervisor")].add(pk)
            if role in LEADER_ROLES:
                members[(top, "leader")].add(pk)
    return members


def _subject_labels(clocks) -> dict:
    """{(content type id, id): (label, url, customer id)}: one query per subject model. A subject with a
    ``customer_id`` (a case) names the customer told of its overdue stages."""
    by_type = defaultdict(set)
    for c in clocks:
        by_type[c["subject_type_id"]].add(c["subject_id"])
    found = {}
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for pk, obj in model._base_manager.in_bulk(list(ids)).items():
            url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
            found[(ct_id, pk)] = (str(obj), url, getattr(obj, "customer_id", None))
    return found


def level_counts() -> dict[str, int]:
    """Open clocks per level now (for the command's summary)."""
    rows = (
        StageClock.objects.filter(finished_at__isnull=True, cancelled_at__isnull=True)
        .values_list("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {level: n for level, n in rows}
