"""The only writers of cases, documents and audit entries.

Each service locks the case row, runs one transition of the state machine, moves the clocks of
``deadlines.clocks``, writes one append-only audit entry and notifies the customer (notification rows in
the same transaction, delivered after commit). Of two requests racing for one transition, the second
waits for the lock, finds the state moved and gets ``TransitionNotAllowed`` (HTTP 409).
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.permissions import can
from deadlines import clocks
from deadlines.notifications import notify
from hhht_power.fsm import require_state
from hhht_power.media import save_with_file
from hhht_power.text import enumeration

from . import gates
from . import validation as v
from .casework import case_url, decide_zero_investment, locked, notify_customer
from .models import (
    GENERATED_KINDS,
    Application,
    ApplicationState,
    AuditEntry,
    Document,
    DocumentKind,
    NumberSequence,
    required_materials,
)
from .pause_services import case_resume, pause_end, pause_open_automatic
from .permit_stage import permit_stage
from .promise_services import commitment_sign
from .transitions import USER_TRANSITIONS

logger = logging.getLogger(__name__)
S = ApplicationState

__all__ = [
    "TransitionNotAllowed",
    "UnknownTransition",
    "application_create",
    "application_expire_draft",
    "application_permit_refused",
    "application_permits_granted",
    "application_resume",
    "application_transition",
    "application_update",
    "document_delete",
    "document_upload",
    "drafts_expire",
]

NOT_EDITABLE = "not_editable"
NOT_PAUSABLE = "not_pausable"
NOT_PAUSED = "not_paused"
ALREADY_PAUSED = "already_paused"


class UnknownTransition(Exception):
    """No transition of that name can be asked for."""


# Documents -------------------------------------------------------------------------------------------
def document_upload(*, owner, kind: str, file, valid_until=None) -> Document:
    """Store one checked document in ``owner``'s wallet under a server-generated name.

    Raises ValidationError (``upload_quota_exceeded``) when the wallet would pass the customer's quota
    (the policy's ``upload_quota_files`` and ``upload_quota_bytes``)."""
    if not can(owner, "applications.upload_document"):
        raise PermissionDenied
    cleaned = v.clean_upload(kind=kind, file=file, valid_until=valid_until)
    original = (getattr(file, "name", "") or "")[-200:]
    doc = Document(owner=owner, original_name=original, **cleaned)
    with transaction.atomic():
        # The owner's row lock makes two uploads at once count each other against the quota.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True).first()
        v.check_upload_quota(owner=owner, size=doc.size)
        save_with_file(doc, file)
    return doc


def document_delete(*, owner, document_id: int) -> None:
    """Remove a document of ``owner``'s wallet, and its file, that no application uses.

    Raises Document.DoesNotExist (not the owner's) and ValidationError (``document_in_use``)."""
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=document_id, owner=owner)
        if doc.applications.exists():
            raise ValidationError(
                {"document": [ValidationError(_("该资料已用于申请，不能删除。"), code=v.DOCUMENT_IN_USE)]}
            )
        doc.delete()
        transaction.on_commit(partial(doc.file.delete, save=False))


def _wallet_fill(application: Application, *, given: list[Document], today) -> list[Document]:
    """Given documents plus, for every other kind the case needs, the newest still-valid one on file."""
    have = {d.kind for d in given}
    wanted = [
        k for k in required_materials(application.voltage) if k not in GENERATED_KINDS and k not in have
    ]
    extra = []
    if wanted:
        for doc in Document.objects.filter(owner=application.customer, kind__in=wanted, rejected_at=None):
            if doc.kind not in have and doc.is_valid_on(today):
                have.add(doc.kind)
                extra.append(doc)
    return [*given, *extra]


# Creating and editing --------------------------------------------------------------------------------
def application_create(*, customer, data: dict, at: datetime | None = None) -> Application:
    """A draft application; documents still valid in the wallet are reused for the kinds not given."""
    if not can(customer, "applications.create_application"):
        raise PermissionDenied
    at = at or timezone.now()
    cleaned = v.clean_application(customer=customer, data=data)
    documents = cleaned.pop("documents", [])
    try:
        with transaction.atomic():
            application = Application(customer=customer, created_at=at, **cleaned)
            application.save()
            application.documents.set(
                _wallet_fill(application, given=documents, today=timezone.localdate(at))
            )
            AuditEntry.record(
                application,
                actor=customer,
                name="create",
                from_state="",
                at=at,
                data={"documents": [d.pk for d in application.documents.all()]},
            )
    except IntegrityError:
        # Lost a race against the same draft created at the same moment (a double-click).
        found = v.find_duplicate(
            customer=customer, id_number=cleaned["id_number"], address=cleaned["address"]
        )
        if found is None:
            raise
        raise ValidationError({"address": [v.duplicate_error(found, customer)]})
    return application


def application_update(*, application_id: int, actor, data: dict, at: datetime | None = None) -> Application:
    """The customer edits its draft or returned application (documents replaced when given)."""
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.edit_application", application):
            raise PermissionDenied
        if application.state not in (S.DRAFT, S.RETURNED):
            raise TransitionNotAllowed(_("只有草稿或退回补正的申请可以修改。"))
        cleaned = v.clean_application(customer=application.customer, data=data, instance=application)
        documents = cleaned.pop("documents", None)
        changed = sorted(k for k, val in cleaned.items() if getattr(application, k) != val)
        for key, value in cleaned.items():
            setattr(application, key, value)
        application.save()
        if documents is not None:
            application.documents.set(documents)
            changed.append("documents")
        AuditEntry.record(
            application,
            actor=actor,
            name="update",
            from_state=application.state,
            at=at,
            data={"fields": changed},
        )
    return application


# Transitions -----------------------------------------------------------------------------------------
def application_transition(
    *, application_id: int, name: str, actor, data: dict | None = None, at: datetime | None = None
) -> Application:
    """Run the transition ``name`` on the case for ``actor``.

    Raises UnknownTransition (no such name), PermissionDenied (not the actor's role or case),
    TransitionNotAllowed (not from the current state, or lost a race) and ValidationError (bad data,
    materials missing). ``at`` defaults to now; only back-fills and demo data pass another instant.
    """
    if name not in USER_TRANSITIONS:
        raise UnknownTransition(name)
    data = data or {}
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, f"applications.{name}", application):
            raise PermissionDenied
        require_state(application, name)
        gates.check(application, name, data=data, at=at)
        handler = _HANDLERS[name]
        handler(application, actor=actor, data=data, at=at)
    return application


def application_permits_granted(*, application_id: int, actor, at: datetime | None = None) -> Application:
    """Every required permit granted: ``approving`` → ``constructing``, exactly once.

    Raises TransitionNotAllowed when the case is not (or no longer) waiting on its permits.
    """
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        require_state(application, "permits_granted")
        _run(application, "permits_granted", actor=actor, at=at)
        _finish(application, "approval", at=at, actor=actor)
        if not clocks.clock_running(application, "construction"):
            # Already running when the road-excavation permit was granted (在取得占、掘路许可后).
            _start(application, "construction", at=at, actor=actor)
    return application


def application_permit_refused(
    *, application_id: int, actor, reason: str, at: datetime | None = None
) -> Application:
    """A permit refused: the case goes back to ``designing`` with the reason."""
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        require_state(application, "permit_refused")
        _run(application, "permit_refused", actor=actor, at=at, reason=reason)
        clocks.clock_cancel(subject=application, at=at, actor=actor, reason=reason, stage="approval")
        _start(application, "design", at=at, actor=actor)
    return application


def application_resume(*, application_id: int, actor, at: datetime | None = None) -> Application:
    """Restart the clocks when the customer has acted."""
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.resume_clock", application):
            raise PermissionDenied
        if application.paused_at is None or application.state == S.RETURNED:
            # A returned case resumes by being resubmitted.
            raise TransitionNotAllowed(_("计时未暂停。"))
        case_resume(application, actor=actor, at=at)
        entry = AuditEntry.record(
            application, actor=actor, name="resume", from_state=application.state, at=at
        )
        notify_customer(application, entry)
    return application


# The handlers: one per user transition -----------------------------------------------------------------
def _submit(application, *, actor, data, at):
    if data.get("documents") is not None:
        try:
            docs = v.clean_documents(
                customer=application.customer, ids=data["documents"], today=timezone.localdate(at)
            )
        except ValidationError as exc:
            raise ValidationError({"documents": exc.error_list})
        kinds = {d.kind for d in docs}
        keep = [d for d in application.documents.all() if d.kind not in kinds]
        application.documents.set([*keep, *docs])
    if data.get("commitment") is True:
        # 一证受理: the identity proof alone, the rest promised under a signed 告知承诺.
        commitment_sign(application, actor=actor, at=at, request_address=data.get("request_address"))
    missing = application.unpromised_missing(timezone.localdate(at))
    if missing:
        labels = enumeration(DocumentKind(k).label for k in missing)
        raise ValidationError(
            {
                "documents": [
                    ValidationError(
                        _("申请资料不全，还缺：%(kinds)s。"),
                        code=v.MATERIALS_MISSING,
                        params={"kinds": labels, "missing": missing},
                    )
                ]
            }
        )
    resubmission = application.state == S.RETURNED
    if not resubmission:
        v.refuse_duplicate_submission(application)
        application.number = application.number or _next_number(at)
        application.submitted_at = at
        application.policy_date = timezone.localdate(at)
        decide_zero_investment(application)
    application.notice = []
    try:
        with transaction.atomic():
            _run(
                application,
                "submit",
                actor=actor,
                at=at,
                data={"documents": [d.pk for d in application.documents.all()]},
            )
    except IntegrityError:
        # Lost a race against the same applicant and address submitted at the same moment.
        v.refuse_duplicate_submission(application)
        raise
    if resubmission:
        case_resume(application, actor=actor, at=at)
    else:
        clocks.overall_start(
            subject=application, facts=application.case_facts(), policy_date=application.policy_date, at=at
        )
    _start(application, "accept", at=at, actor=actor)


def _return_for_materials(application, *, actor, data, at):
    items = _clean_notice(data)
    note = str(data.get("note") or "").strip()
    kinds = {i["kind"] for i in items}
    returned = [d for d in application.documents.all() if d.kind in kinds]
    for doc in returned:
        reason = next(i["reason"] for i in items if i["kind"] == doc.kind) or note
        Document.objects.filter(pk=doc.pk).update(rejected_at=at, rejected_reason=reason[:500])
    application.documents.remove(*returned)
    application.notice = items
    _run(
        application,
        "return_for_materials",
        actor=actor,
        at=at,
        reason=note,
        data={"missing": items, "note": note},
    )
    _finish(application, "accept", at=at, actor=actor)
    clocks.clock_pause(subject=application, reason=str(_("退回补正：等待客户补齐资料")), actor=actor, at=at)
    application.paused_at = at
    application.save(update_fields=["paused_at"])
    pause_open_automatic(application, reason_code="one_time_notice", actor=actor, at=at, note=note)


def _clean_notice(data) -> list[dict]:
    """The one-time notice: every missing or invalid kind at once, each with an optional reason."""
    raw = data.get("missing")
    if not isinstance(raw, list) or not raw:
        raise ValidationError(
            {"missing": [ValidationError(_("请一次性列出全部缺少或不合格的资料。"), code=v.REQUIRED)]}
        )
    items, errors = [], []
    for entry in raw:
        kind, reason = (
            (entry.get("kind"), str(entry.get("reason") or "")) if isinstance(entry, dict) else (entry, "")
        )
        if kind not in DocumentKind.values or kind in GENERATED_KINDS:
            errors.append(
                ValidationError(
                    _("无效的资料类别：%(kind)s。"), code=v.INVALID_CHOICE, params={"kind": str(kind)}
                )
            )
        elif any(i["kind"] == kind for i in items):
            errors.append(
                ValidationError(
                    _("资料类别重复：%(kind)s。"), code=v.DOCUMENT_KIND_REPEATED, params={"kind": kind}
                )
            )
        else:
            items.append({"kind": kind, "reason": reason.strip()[:500]})
    if errors:
        raise ValidationError({"missing": errors})
    return items


def _accept(application, *, actor, data, at):
    missing = application.unpromised_missing(timezone.localdate(at))
    if missing:
        raise ValidationError(
            {
                "documents": [
                    ValidationError(
                        _("申请资料不全，不能受理，请退回补正。"),
                        code=v.MATERIALS_MISSING,
                        params={"missing": missing},
                    )
                ]
            }
        )
    if application.account_manager_id is None and actor.has_role("account_manager"):
        application.account_manager = actor
    _run(application, "accept", actor=actor, at=at, data={"account_manager": application.account_manager_id})
    _finish(application, "accept", at=at, actor=actor)
    _start(application, "plan_reply", at=at, actor=actor)


def _bool(data, field, errors, *, required=True):
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, bool):
        errors[field] = [ValidationError(_("请回答“是”或“否”。"), code=v.NOT_BOOLEAN)]
        return None
    return value


def _reply_plan(application, *, actor, data, at):
    errors = {}
    external = _bool(data, "external_works", errors)
    road = _bool(data, "road_excavation", errors, required=bool(external))
    green = _bool(data, "green_space", errors, required=bool(external))
    summary = str(data.get("plan_summary") or "").strip()
    cost = data.get("customer_cost")
    if cost is not None and not application.zero_investment:
        try:
            cost = Decimal(str(cost))
            if cost < 0 or not cost.is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            errors["customer_cost"] = [ValidationError(_("请输入不小于0的金额。"), code=v.CAPACITY_INVALID)]
    if errors:
        raise ValidationError(errors)
    application.external_works = external
    application.road_excavation = bool(road) if external else False
    application.green_space = bool(green) if external else False
    application.plan_summary = summary
    if cost is not None and not application.zero_investment:
        application.customer_cost = cost
    _run(
        application,
        "reply_plan",
        actor=actor,
        at=at,
        data={
            "external_works": application.external_works,
            "road_excavation": application.road_excavation,
            "green_space": application.green_space,
            "plan_summary": summary,
            "customer_cost": None if application.customer_cost is None else str(application.customer_cost),
        },
    )
    _finish(application, "plan_reply", at=at, actor=actor)
    clocks.overall_update(subject=application, facts=application.case_facts())
    _start(application, "design" if external else "installation", at=at, actor=actor)


def _finish_design(application, *, actor, data, at):
    _run(
        application,
        "finish_design",
        actor=actor,
        at=at,
        data={"design_summary": str(data.get("design_summary") or "").strip()},
    )
    _finish(application, "design", at=at, actor=actor)
    if application.state == S.APPROVING:
        _start(application, "approval", at=at, actor=actor)
        permit_stage().file(application=application, actor=actor)
    else:
        _start(application, "construction", at=at, actor=actor)


def _finish_construction(application, *, actor, data, at):
    _run(application, "finish_construction", actor=actor, at=at)
    _finish(application, "construction", at=at, actor=actor)
    _start(application, "installation", at=at, actor=actor)


def _connect(application, *, actor, data, at):
    meter = str(data.get("meter_number") or "").strip()
    if not meter:
        raise ValidationError({"meter_number": [ValidationError(_("请填写电能表编号。"), code=v.REQUIRED)]})
    if len(meter) > 40:
        raise ValidationError(
            {
                "meter_number": [
                    ValidationError(_("最多 %(max)s 个字符。"), code=v.TOO_LONG, params={"max": 40})
                ]
            }
        )
    application.meter_number = meter
    application.connected_at = at
    application.closed_at = at
    _run(application, "connect", actor=actor, at=at, data={"meter_number": meter})
    _finish(application, "installation", at=at, actor=actor)
    clocks.overall_finish(subject=application, at=at)


def _close(name):
    def handler(application, *, actor, data, at):
        reason = str(data.get("reason") or "").strip()
        if name == "terminate" and not reason:
            raise ValidationError({"reason": [ValidationError(_("请填写终止的原因。"), code=v.REQUIRED)]})
        submitted = application.submitted_at is not None
        application.closed_at = at
        application.paused_at = None
        _run(application, name, actor=actor, at=at, reason=reason)
        pause_end(application, actor=actor, at=at)
        if submitted:
            permit_stage().withdraw(application=application, actor=actor, at=at, reason=reason or name)
            clocks.clock_cancel(subject=application, at=at, actor=actor, reason=reason or name)

    return handler


_HANDLERS = {
    "submit": _submit,
    "return_for_materials": _return_for_materials,
    "accept": _accept,
    "reply_plan": _reply_plan,
    "finish_design": _finish_design,
    "finish_construction": _finish_construction,
    "connect": _connect,
    "withdraw": _close("withdraw"),
    "terminate": _close("terminate"),
}


# Helpers -----------------------------------------------------------------------------------------------
def _run(application, name, *, actor, at, reason="", data=None):
    """Run the declared transition, save, audit and notify: the one place a state changes."""
    if (
        name not in ("withdraw", "terminate")
        and application.paused_at is not None
        and application.state != S.RETURNED
    ):
        # Staff moving a case on means the wait on the customer is over.
        case_resume(application, actor=actor, at=at)
    from_state = application.state
    getattr(application, name)()
    try:
        application.save()
    except ConcurrentTransition:
        raise TransitionNotAllowed(_("该申请已被他人处理，请刷新后重试。"))
    entry = AuditEntry.record(
        application, actor=actor, name=name, from_state=from_state, at=at, reason=reason, data=data or {}
    )
    notify_customer(application, entry)
    return entry


def _start(application, stage, *, at, actor):
    clocks.clock_start(
        subject=application,
        stage=stage,
        facts=application.case_facts(),
        policy_date=application.policy_date,
        at=at,
        actor=actor,
    )


def _finish(application, stage, *, at, actor):
    clocks.clock_finish(subject=application, stage=stage, at=at, actor=actor)


def _next_number(at) -> str:
    """The next number of the year, e.g. HHHT-2026-000123: the row update serialises concurrent callers."""
    year = timezone.localtime(at).year
    NumberSequence.objects.get_or_create(year=year)
    NumberSequence.objects.filter(year=year).update(last=F("last") + 1)
    last = NumberSequence.objects.filter(year=year).values_list("last", flat=True).get()
    return f"HHHT-{year}-{last:06d}"


# Drafts nobody touches --------------------------------------------------------------------------------
DRAFT_EXPIRY_WARNING = _(
    "您的用电申请草稿 %(ref)s 已 %(idle)s 天未修改，将于 %(date)s 自动失效；如需继续办理，请修改或提交。"
)


def _drafts_with_last_change():
    """Drafts with ``changed_at``: the instant of their last audit entry (created or edited)."""
    return Application.objects.filter(state=S.DRAFT).annotate(
        changed_at=Coalesce(Max("audit_entries__at"), F("created_at"))
    )


def drafts_expire(*, at: datetime | None = None) -> dict:
    """The daily pass over drafts (``applications.tasks.drafts_expire``): a draft unchanged for the policy's
    ``draft_expiry_days`` is withdrawn (it then blocks nothing and no one), and its customer is warned
    ``draft_warning_days`` before. Idempotent: a second run changes nothing and sends nothing again."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    expiry_days = int(v.policy_parameter("draft_expiry_days", on=today))
    warning_days = int(v.policy_parameter("draft_warning_days", on=today))
    expire_before = at - timedelta(days=expiry_days)
    expired = 0
    for pk in _drafts_with_last_change().filter(changed_at__lte=expire_before).values_list("pk", flat=True):
        expired += application_expire_draft(application_id=pk, at=at) is not None
    warned = 0
    due = _drafts_with_last_change().filter(
        changed_at__gt=expire_before, changed_at__lte=at - timedelta(days=expiry_days - warning_days)
    )
    for application in due.select_related("customer"):
        ends = timezone.localtime(application.changed_at + timedelta(days=expiry_days))
        with transaction.atomic():
            notify(
                recipients=[application.customer],
                kind="application",
                title=str(
                    DRAFT_EXPIRY_WARNING
                    % {
                        "ref": str(application),
                        "idle": (at - application.changed_at).days,
                        "date": f"{ends:%Y-%m-%d %H:%M}",
                    }
                ),
                url=case_url(application),
                subject=application,
                # One warning per quiet spell: an edit starts a new one.
                dedupe_key=f"application:{application.pk}:draft-expiry:{application.changed_at.isoformat()}",
                at=at,
            )
        warned += 1
    return {"expired": expired, "warned": warned}


def application_expire_draft(*, application_id: int, at: datetime | None = None) -> Application | None:
    """Withdraw one draft left unchanged for ``draft_expiry_days`` (no actor: the portal does it).
    Returns None when it is no longer a draft or was changed meanwhile."""
    at = at or timezone.now()
    expiry_days = int(v.policy_parameter("draft_expiry_days", on=timezone.localdate(at)))
    with transaction.atomic():
        application = locked(application_id)
        changed_at = (
            _drafts_with_last_change().filter(pk=application_id).values_list("changed_at", flat=True).first()
        )
        if changed_at is None or changed_at > at - timedelta(days=expiry_days):
            return None
        application.closed_at = at
        reason = _("草稿超过 %(days)s 天未修改，已自动失效。") % {"days": expiry_days}
        _run(application, "withdraw", actor=None, at=at, reason=str(reason), data={"expired": True})
    return application
