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
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils.translation import gettext as _

from accounts.models import Organisation, RoleCode, User

from .calendar import local_date
from .models import DeliveryState, Level, Notification, PolicyDocument, StageClock, StageCode, Warning
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
    Level.WARNING: "【预警】{subject} {stage}将于 {due} 到期",
    Level.OVERDUE: "【超期】{subject} {stage}已超过办理时限",
    Level.ESCALATED: "【督办】{subject} {stage}超期 {days} 个工作日以上",
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


def _one_batch(*, at, counts) -> int:
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            due_clocks(at)
            .filter(finished_at__isnull=True, cancelled_at__isnull=True, paused_at__isnull=True)
            .order_by("next_check_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return 0
        crossed = [
            (Q(escalate_at__lte=at), Level.ESCALATED, Value(None)),
            (Q(due_at__lte=at), Level.OVERDUE, F("escalate_at")),
            (Q(warning_at__lte=at), Level.WARNING, F("due_at")),
        ]
        StageClock.objects.filter(pk__in=ids).update(
            level=Case(*[When(cond, then=Value(level)) for cond, level, _n in crossed], default=F("level")),
            next_check_at=Case(*[When(cond, then=nxt) for cond, _l, nxt in crossed], default=F("warning_at")),
        )
        clocks = list(
            StageClock.objects.filter(pk__in=ids)
            .exclude(level=Level.ON_TIME)
            .values(
                "pk",
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
        )
        Warning.objects.bulk_create(
            [
                Warning(
                    clock_id=c["pk"],
                    level=c["level"],
                    raised_at=at,
                    due_at=c["due_at"],
                    provisional=c["provisional"],
                    subject_type_id=c["subject_type_id"],
                    subject_id=c["subject_id"],
                    stage=c["stage"],
                    responsible_org_id=c["responsible_org_id"],
                    coordinating_org_id=c["coordinating_org_id"],
                    pass_token=token,
                )
                for c in clocks
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        new_ids = set(Warning.objects.filter(pass_token=token).values_list("clock_id", flat=True))
        fresh = [c for c in clocks if c["pk"] in new_ids]
        for c in fresh:
            counts[c["level"]] += 1
        counts["notifications"] += _notify_warnings(fresh, at=at)
    return len(ids)


def _notify_warnings(clocks, *, at) -> int:
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
    plan = []
    for c in clocks:
        level = c["level"]
        recipients = set()
        if c["assignee_id"]:
            recipients.add(c["assignee_id"])
        else:
            recipients |= members[(c["responsible_org_id"], "responsible")]
        recipients |= members[(c["coordinating_org_id"], "supervisor")]
        if level == Level.ESCALATED:
            recipients |= members[(c["coordinating_org_id"], "leader")]
            recipients |= members[(lead_orgs.get(c["policy_id"]), "leader")]
        plan.append((c, recipients))
    everyone = set().union(*(r for _c, r in plan))
    contacts = (
        {
            pk: (email, phone)
            for pk, email, phone in User.objects.filter(pk__in=everyone, is_active=True).values_list(
                "pk", "email", "phone"
            )
        }
        if everyone
        else {}
    )
    rows = []
    for c, recipients in plan:
        level = c["level"]
        label, url = subjects.get((c["subject_type_id"], c["subject_id"]), (f"#{c['subject_id']}", ""))
        title, body = _message(c, label)
        channels = CHANNELS_BY_LEVEL[level]
        for user_id in sorted(recipients & contacts.keys()):
            email, phone = contacts[user_id]
            rows.append(
                Notification(
                    recipient_id=user_id,
                    kind=f"deadline.{level}",
                    title=title[:200],
                    body=body,
                    url=url,
                    subject_type_id=c["subject_type_id"],
                    subject_id=c["subject_id"],
                    dedupe_key=f"deadline:{c['pk']}:{level}",
                    created_at=at,
                    want_email="email" in channels and bool(email),
                    want_sms="sms" in channels and bool(phone),
                    next_attempt_at=at,
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    keys = list({n.dedupe_key for n in rows})
    pending = []
    for i in range(0, len(keys), 1000):
        pending += Notification.objects.filter(
            dedupe_key__in=keys[i : i + 1000], delivery_state=DeliveryState.PENDING, created_at=at
        ).values_list("pk", flat=True)
    enqueue_after_commit(pending)
    return len(pending)


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
    """{(content type id, id): (label, url)}: one query per subject model."""
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
            found[(ct_id, pk)] = (str(obj), url)
    return found


def _message(c, label) -> tuple[str, str]:
    stage = str(StageCode(c["stage"]).label)
    due = ""
    if c["due_at"] is not None:
        last_day = local_date(c["due_at"]) - timedelta(days=1)
        due = f"{last_day:%Y-%m-%d} 24:00" + (_("（临时推算）") if c["provisional"] else "")
    title = _(TITLES[c["level"]]).format(
        subject=label, stage=stage, due=due, days=c["escalation_working_days"] or ""
    )
    body = _("环节：{stage}；办理时限：{limit} 个工作日；到期时间：{due}。").format(
        stage=stage, limit=c["limit_working_days"], due=due
    )
    return title, body


def level_counts() -> dict[str, int]:
    """Open clocks per level now (for the command's summary)."""
    rows = (
        StageClock.objects.filter(finished_at__isnull=True, cancelled_at__isnull=True)
        .values_list("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {level: n for level, n in rows}
