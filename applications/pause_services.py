"""The writers of the pause ledger 暂停计时台账 (``pauses.Pause``).

A pause is the customer's time, so the customer (or, for a cause outside the customer, the coordinating
supervisor) decides it; the unit whose clock it stops never does:
- the customer asks for a delay: paused at once (``pause_ask``);
- staff who work the case *request* one: the clocks keep running until the customer confirms
  (``pause_answer``); declined, or unanswered for ``LAPSE_WORKING_DAYS``, the request lapses
  (``pause_requests_lapse``, by the beat); an external cause is answered by the coordinating supervisor;
- the one-time notice (and a missed 告知承诺) starts one by itself (``pause_open_automatic``).
Every pause ends when the clocks resume (``case_resume``, which ends it with ``pause_end``). Each step is an
audit entry of the case; the requester or the customer is told.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.models import Organisation, RoleCode, User
from accounts.permissions import can
from deadlines import clocks
from deadlines.calendar import add_working_days_lenient, end_of_day, local_date, working_days_between_lenient
from deadlines.models import PauseReason
from deadlines.notifications import notify

from . import validation as v
from .casework import case_url, locked, notify_customer
from .models import Application, ApplicationState, AuditEntry
from .pauses import Pause, PauseState
from .permit_stage import permit_stage

S = ApplicationState
# A staff request nobody answered lapses at the end of this many working days after it was made.
LAPSE_WORKING_DAYS = 2
NOTE_MAX = 2000
PAUSABLE_STATES = (S.SUBMITTED, S.ACCEPTED, S.DESIGNING, S.APPROVING, S.CONSTRUCTING, S.INSTALLING)

# Error codes (clients and tests reuse them).
REASON_INVALID = "pause_reason_invalid"

REQUESTED_MESSAGE = _("您的用电申请 %(number)s：工作人员申请暂停计时（%(reason)s），请在平台确认或拒绝。")
EXTERNAL_MESSAGE = _("用电申请 %(number)s 申请因外部原因暂停计时（%(reason)s），请审核。")
ANSWERED_MESSAGES = {
    PauseState.ACTIVE: _("用电申请 %(number)s 的暂停计时申请已确认，计时已暂停。"),
    PauseState.DECLINED: _("用电申请 %(number)s 的暂停计时申请未获同意，计时继续。"),
}


def _reason(code, kinds):
    reason = PauseReason.objects.filter(code=str(code or ""), active=True, kind__in=kinds).first()
    if reason is None:
        raise ValidationError(
            {"reason_code": [ValidationError(_("请选择有效的暂停原因。"), code=REASON_INVALID)]}
        )
    return reason


def reasons_for(kinds) -> list:
    """The reasons of these kinds a person may choose from, in order."""
    return list(PauseReason.objects.filter(active=True, kind__in=kinds))


def running_stage(application):
    """The open stage the pause stops (the most urgent one), or the overall clock: (stage, clock)."""
    running = [c for c in clocks.clocks_for(application) if c.is_open]
    stages = sorted(
        (c for c in running if c.stage != "overall"),
        key=lambda c: (c.due_at is None, c.due_at or c.started_at),
    )
    overall = next((c for c in running if c.stage == "overall"), None)
    return stages[0] if stages else overall


def _require_pausable(application):
    if application.state not in PAUSABLE_STATES:
        raise TransitionNotAllowed(_("当前状态下不能暂停计时。"))
    if application.paused_at is not None:
        raise TransitionNotAllowed(_("计时已暂停。"))
    if Pause.objects.filter(application=application, state=PauseState.REQUESTED).exists():
        raise TransitionNotAllowed(_("已有待确认的暂停计时申请。"))


def _clean_note(note) -> str:
    note = str(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": [ValidationError(_("最多 %(max)s 个字符。"), code=v.TOO_LONG, params={"max": NOTE_MAX})]}
        )
    return note


def _clean_evidence(evidence) -> str | None:
    """The evidence's content type (PDF, JPEG, PNG, at most the upload limit), None without one."""
    if not evidence:
        return None
    if evidence.size > settings.UPLOAD_MAX_BYTES:
        message = _("文件不能超过 %(mb)s MB。")
        params = {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
        raise ValidationError({"evidence": [ValidationError(message, code=v.FILE_TOO_LARGE, params=params)]})
    evidence.seek(0)
    content_type = v.sniff_content_type(evidence.read(16))
    evidence.seek(0)
    if content_type is None:
        raise ValidationError(
            {"evidence": [ValidationError(_("只接受 PDF、JPEG 或 PNG 文件。"), code=v.FILE_TYPE)]}
        )
    return content_type


def _new_pause(application, *, reason, note, actor, at) -> Pause:
    clock = running_stage(application)
    return Pause(
        application=application,
        reason=reason,
        note=note,
        requested_by=actor if getattr(actor, "pk", None) else None,
        requested_at=at,
        responsible_org_id=clock.responsible_org_id if clock else None,
        coordinating_org_id=clock.coordinating_org_id if clock else None,
        stage=clock.stage if clock else "",
        stage_due_at=clock.due_at if clock else None,
    )


def _stop_clocks(application, pause, *, actor, at):
    try:
        clocks.clock_pause(subject=application, reason=str(pause.reason.label), actor=actor, at=at)
    except clocks.ClockAlreadyPaused:
        pass  # every clock already waits (a permit returned for correction)
    application.paused_at = at
    application.save(update_fields=["paused_at"])
    pause.state = PauseState.ACTIVE
    pause.started_at = at


def _save(pause):
    try:
        with transaction.atomic():
            pause.save()
    except IntegrityError:
        raise TransitionNotAllowed(_("已有待确认或进行中的暂停计时。"))


def pause_ask(
    *, application_id: int, actor, reason_code: str, note: str = "", evidence=None, at: datetime | None = None
) -> Pause:
    """Ask for a pause. The case's customer (a customer reason): paused at once, state ``active``. Staff
    who work the case (a customer reason or an external cause): a request, state ``requested``, and no
    clock moves until it is confirmed.

    Raises PermissionDenied (anyone else), ValidationError (reason, note, evidence) and
    TransitionNotAllowed (closed or returned case, already paused, a request already waiting).
    """
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        customer = can(actor, "applications.pause_clock", application)
        if not customer and not can(actor, "applications.request_pause", application):
            raise PermissionDenied
        kinds = (
            [PauseReason.Kind.CUSTOMER]
            if customer
            else [PauseReason.Kind.CUSTOMER, PauseReason.Kind.EXTERNAL]
        )
        reason = _reason(reason_code, kinds)
        note = _clean_note(note)
        evidence_type = _clean_evidence(evidence)
        _require_pausable(application)
        pause = _new_pause(application, reason=reason, note=note, actor=actor, at=at)
        if customer:
            pause.answered_by, pause.answered_at = actor, at
            _stop_clocks(application, pause, actor=actor, at=at)
            name = "pause"
        else:
            pause.state = PauseState.REQUESTED
            due = add_working_days_lenient(local_date(at), LAPSE_WORKING_DAYS)
            pause.expires_at = end_of_day(due.day)
            name = "pause_request"
        if evidence_type:
            pause.evidence_type = evidence_type
            pause.evidence.save("evidence", evidence, save=False)
        _save(pause)
        entry = AuditEntry.record(
            application,
            actor=actor,
            name=name,
            from_state=application.state,
            at=at,
            reason=note,
            data={"pause": pause.pk, "reason_code": reason.code},
        )
        if customer:
            notify_customer(application, entry)
        else:
            _tell_who_answers(application, pause, at=at)
    return pause


def _tell_who_answers(application, pause, *, at):
    values = {"number": application.number, "reason": pause.reason.label}
    if pause.reason.kind == PauseReason.Kind.EXTERNAL:
        if pause.coordinating_org_id is None:
            return
        family = Organisation.objects.get(pk=pause.coordinating_org_id).family_ids()
        recipients = User.objects.filter(
            is_active=True, organisation_id__in=family, roles__code=RoleCode.SUPERVISOR
        ).distinct()
        title = EXTERNAL_MESSAGE % values
    else:
        recipients, title = [application.customer], REQUESTED_MESSAGE % values
    notify(
        recipients=list(recipients),
        kind="pause",
        title=str(title),
        body=pause.note,
        url=case_url(application),
        subject=application,
        dedupe_key=f"pause:{pause.pk}:requested",
        at=at,
    )


def pause_answer(
    *, application_id: int, pause_id: int, actor, confirm: bool, at: datetime | None = None
) -> Pause:
    """Confirm (the clocks stop now) or decline a pause request. A customer reason is answered by the
    case's customer, an external cause by a supervisor of the coordinating unit.

    Raises Pause.DoesNotExist (no such request on this case), PermissionDenied (not the one to answer)
    and TransitionNotAllowed (already answered or lapsed, or the case cannot be paused now).
    """
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        pause = (
            Pause.objects.select_for_update()
            .select_related("reason")
            .get(pk=pause_id, application=application)
        )
        if not can(actor, "applications.answer_pause_request", pause):
            raise PermissionDenied
        if pause.state != PauseState.REQUESTED or (pause.expires_at and at >= pause.expires_at):
            raise TransitionNotAllowed(_("该暂停计时申请已处理或已失效。"))
        pause.answered_by, pause.answered_at = actor, at
        if confirm:
            _require_pausable_now(application)
            _stop_clocks(application, pause, actor=actor, at=at)
            name = "pause_confirm"
        else:
            pause.state = PauseState.DECLINED
            name = "pause_decline"
        pause.save()
        AuditEntry.record(
            application,
            actor=actor,
            name=name,
            from_state=application.state,
            at=at,
            data={"pause": pause.pk, "reason_code": pause.reason.code},
        )
        _tell_requester(application, pause, at=at)
    return pause


def _require_pausable_now(application):
    if application.state not in PAUSABLE_STATES:
        raise TransitionNotAllowed(_("当前状态下不能暂停计时。"))
    if application.paused_at is not None:
        raise TransitionNotAllowed(_("计时已暂停。"))


def _tell_requester(application, pause, *, at):
    if pause.requested_by_id is None:
        return
    notify(
        recipients=[pause.requested_by],
        kind="pause",
        title=str(ANSWERED_MESSAGES[pause.state] % {"number": application.number}),
        url=case_url(application),
        subject=application,
        dedupe_key=f"pause:{pause.pk}:answered",
        at=at,
    )


def pause_open_automatic(application, *, reason_code: str, actor, at, note: str = "") -> Pause:
    """Write the ledger row of a pause the case's own step started (the one-time notice, a missed
    promise); the caller holds the case's row lock and has stopped the clocks. A request still waiting
    lapses: the case waits on the customer anyway."""
    Pause.objects.filter(application=application, state=PauseState.REQUESTED).update(
        state=PauseState.LAPSED, answered_at=at
    )
    pause = _new_pause(
        application,
        reason=PauseReason.objects.get(code=reason_code),
        note=note,
        actor=actor,
        at=at,
    )
    pause.state, pause.started_at = PauseState.ACTIVE, at
    _save(pause)
    return pause


def pause_end(application, *, actor, at) -> Pause | None:
    """Close the case's running pause when its clocks resume (or the case closes): its end, who ended it
    and the working days paused (the start day not counted, as the clocks count). The caller holds the
    case's row lock. A request still waiting when the case closes lapses."""
    if not application.is_open:
        Pause.objects.filter(application=application, state=PauseState.REQUESTED).update(
            state=PauseState.LAPSED, answered_at=at
        )
    pause = Pause.objects.filter(application=application, state=PauseState.ACTIVE).select_for_update().first()
    if pause is None:
        return None
    pause.state = PauseState.ENDED
    pause.ended_at = at
    pause.ended_by = actor if getattr(actor, "pk", None) else None
    pause.working_days = working_days_between_lenient(local_date(pause.started_at), local_date(at)).days
    pause.save(update_fields=["state", "ended_at", "ended_by", "working_days"])
    return pause


def case_resume(application, *, actor, at) -> None:
    """Restart the case's clocks and end its running pause (``pause_end``); the caller holds the case's
    row lock. The clocks of permits returned to the applicant for correction stay paused until
    resubmitted."""
    keep = permit_stage().in_correction(application)
    try:
        clocks.clock_resume(subject=application, actor=actor, at=at, keep_paused=keep)
    except clocks.ClockNotPaused:
        if not keep:
            raise
    application.paused_at = None
    application.save(update_fields=["paused_at"])
    pause_end(application, actor=actor, at=at)


def pause_requests_lapse(*, at: datetime | None = None) -> int:
    """Requests unanswered past their deadline lapse (the beat; idempotent). Returns how many lapsed."""
    at = at or timezone.now()
    lapsed = 0
    due = Pause.objects.filter(state=PauseState.REQUESTED, expires_at__lte=at).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            pause = Pause.objects.select_for_update().filter(pk=pk, state=PauseState.REQUESTED).first()
            if pause is None:
                continue
            application = Application.objects.get(pk=pause.application_id)
            pause.state, pause.answered_at = PauseState.LAPSED, pause.expires_at
            pause.save(update_fields=["state", "answered_at"])
            AuditEntry.record(
                application,
                actor=None,
                name="pause_lapse",
                from_state=application.state,
                at=at,
                data={"pause": pause.pk},
            )
            lapsed += 1
    return lapsed
