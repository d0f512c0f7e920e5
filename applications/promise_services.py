"""The writers of 一证受理 with 告知承诺 (``promises``).

- ``commitment_sign``: inside the submission, the customer signs the generated 承诺书 for the missing
  materials (the identity proof itself is never promised); they are due ``materials_promise_working_days``
  (policy data) working days after submission.
- ``promises_gate``: the promised materials must be in before the supply-plan reply for HV and before
  installation for LV.
- ``promised_materials_supply``: the customer supplies them; a case paused for a missed promise resumes
  once every promise is kept.
- ``promises_check`` (the beat): a promise past its due instant pauses the case with the one-time notice
  and writes a credit record (承诺不兑现) against the applicant.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from deadlines import clocks
from deadlines.calendar import add_working_days_lenient, end_of_day, local_date
from deadlines.models import CreditRecord
from deadlines.notifications import notify
from hhht_power.text import enumeration

from . import validation as v
from .casework import case_url, locked, notify_customer
from .models import Application, ApplicationState, AuditEntry, DocumentKind, Voltage
from .pause_services import case_resume, pause_open_automatic
from .pauses import Pause, PauseState
from .promises import Commitment, PromisedMaterial

S = ApplicationState
IDENTITY_REQUIRED = "identity_required"
NOTHING_PROMISED = "nothing_promised"
PROMISES_PENDING = "promises_pending"

COMMITMENT_TEXT = _(
    "告知承诺书\n"
    "申请人%(name)s就%(address)s的%(business)s用电申请（%(capacity)s kVA），"
    "以用电人有效身份证明申请一证受理，郑重承诺：于%(due)s前补交以下资料：%(kinds)s。\n"
    "如未按期补交，申请将按一次性告知暂停办理（暂停计时），并记入申请人信用记录（承诺不兑现）。"
)
# The promised day in the 承诺书, in the reader's language (a strftime format).
DUE_FORMAT = _("%Y年%m月%d日24时")
MISSED_EVIDENCE = _("告知承诺于 %(due)s 前补交的资料未补交：%(kinds)s。")
MISSED_MESSAGE = _("您的用电申请 %(number)s 承诺补交的资料逾期未交，申请已暂停办理，请尽快补交。")
SUPPLIED_NOTE = _("承诺资料已补交")


def promise_due(at: datetime) -> datetime:
    """The instant promised materials are due for a case submitted at ``at`` (policy data)."""
    days = int(v.policy_parameter("materials_promise_working_days", on=local_date(at)))
    return end_of_day(add_working_days_lenient(local_date(at), days).day)


def last_day(due: datetime):
    """The day a due instant (24:00 of a working day) closes."""
    return local_date(due - timedelta(microseconds=1))


def commitment_text(application, kinds, due: datetime) -> str:
    """The 承诺书 as shown to the customer and stored when signed."""
    return str(COMMITMENT_TEXT) % {
        "name": application.applicant_name,
        "address": application.address,
        "business": application.get_business_display(),
        "capacity": f"{Decimal(application.capacity_kva).normalize():f}",
        "due": last_day(due).strftime(str(DUE_FORMAT)),
        "kinds": enumeration(DocumentKind(k).label for k in kinds),
    }


def commitment_sign(application, *, actor, at, request_address=None) -> Commitment:
    """Sign the 告知承诺 for the kinds still missing and not yet promised (the caller, the submission,
    holds the case's row lock). Raises ValidationError when the identity proof is missing, or nothing is
    left to promise."""
    missing = application.unpromised_missing(timezone.localdate(at))
    if DocumentKind.IDENTITY in missing:
        raise ValidationError(
            {"documents": [ValidationError(_("一证受理须提供用电人有效身份证明。"), code=IDENTITY_REQUIRED)]}
        )
    if not missing:
        raise ValidationError(
            {"commitment": [ValidationError(_("资料齐全，无需告知承诺。"), code=NOTHING_PROMISED)]}
        )
    due = promise_due(at)
    commitment = Commitment.objects.create(
        application=application,
        customer=actor,
        text=commitment_text(application, missing, due),
        signed_at=at,
        request_address=request_address or None,
        due_at=due,
    )
    PromisedMaterial.objects.bulk_create(
        [
            PromisedMaterial(commitment=commitment, application=application, kind=k, due_at=due)
            for k in missing
        ]
    )
    return commitment


def _open(application):
    return PromisedMaterial.objects.filter(application=application, supplied_at__isnull=True)


def promises_gate(application, name: str, data: dict) -> None:
    """Refuse the step the promised materials must precede while any is still missing: the supply-plan
    reply for HV; for LV every step into installation. Raises TransitionNotAllowed."""
    if application.voltage == Voltage.HIGH:
        gated = name == "reply_plan"
    else:
        gated = name == "finish_construction" or (
            name == "reply_plan" and data.get("external_works") is False
        )
    if gated and _open(application).exists():
        raise TransitionNotAllowed(_("告知承诺补交的资料尚未补齐，不能进入下一环节。"))


def promised_materials_supply(
    *, application_id: int, actor, documents: list, at: datetime | None = None
) -> list[PromisedMaterial]:
    """The customer supplies promised materials (document ids from its wallet). A case paused for a
    missed promise resumes when none is left. Raises PermissionDenied (not the case's customer) and
    ValidationError (documents invalid, or none of a promised kind)."""
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.supply_promised_materials", application):
            raise PermissionDenied
        try:
            docs = v.clean_documents(
                customer=application.customer, ids=documents, today=timezone.localdate(at)
            )
        except ValidationError as exc:
            raise ValidationError({"documents": exc.error_list})
        promised = {p.kind: p for p in _open(application).select_for_update()}
        kept = []
        for doc in docs:
            promise = promised.pop(doc.kind, None)
            if promise is not None:
                promise.supplied_at, promise.document = at, doc
                promise.save(update_fields=["supplied_at", "document"])
                application.documents.add(doc)
                kept.append(promise)
        if not kept:
            raise ValidationError(
                {"documents": [ValidationError(_("请上传承诺补交的资料。"), code=PROMISES_PENDING)]}
            )
        AuditEntry.record(
            application,
            actor=actor,
            name="supply_promised",
            from_state=application.state,
            at=at,
            data={"kinds": [p.kind for p in kept], "documents": [p.document_id for p in kept]},
        )
        if not promised and _paused_for_promise(application):
            application.notice = []
            application.save(update_fields=["notice"])
            case_resume(application, actor=actor, at=at)
            entry = AuditEntry.record(
                application,
                actor=actor,
                name="resume",
                from_state=application.state,
                at=at,
                reason=str(SUPPLIED_NOTE),
            )
            notify_customer(application, entry)
    return kept


def _paused_for_promise(application) -> bool:
    return Pause.objects.filter(
        application=application, state=PauseState.ACTIVE, reason__code="promise_missed"
    ).exists()


def promises_check(*, at: datetime | None = None) -> int:
    """Promises past their due instant (the beat; idempotent): each case is paused with the one-time
    notice listing them, and a credit record 承诺不兑现 is written against the applicant. Returns the count
    of cases."""
    at = at or timezone.now()
    ids = (
        PromisedMaterial.objects.filter(supplied_at__isnull=True, missed_at__isnull=True, due_at__lte=at)
        .values_list("application_id", flat=True)
        .distinct()
    )
    done = 0
    for application_id in list(ids):
        with transaction.atomic():
            done += _miss(application_id, at=at)
    return done


def _miss(application_id, *, at) -> int:
    application = locked(application_id)
    missed = list(
        PromisedMaterial.objects.select_for_update().filter(
            application=application, supplied_at__isnull=True, missed_at__isnull=True, due_at__lte=at
        )
    )
    if not missed:
        return 0
    PromisedMaterial.objects.filter(pk__in=[p.pk for p in missed]).update(missed_at=at)
    kinds = [p.kind for p in missed]
    labels = enumeration(DocumentKind(k).label for k in kinds)
    due = last_day(min(p.due_at for p in missed))
    if application.is_open:
        application.notice = [{"kind": k, "reason": str(_("告知承诺未兑现"))} for k in kinds]
        application.save(update_fields=["notice"])
        if application.paused_at is None and application.state != S.DRAFT:
            try:
                clocks.clock_pause(subject=application, reason=str(_("告知承诺未兑现")), actor=None, at=at)
            except (clocks.ClockNotRunning, clocks.ClockAlreadyPaused):
                pass
            application.paused_at = at
            application.save(update_fields=["paused_at"])
            pause_open_automatic(application, reason_code="promise_missed", actor=None, at=at, note=labels)
    CreditRecord.objects.create(
        kind=CreditRecord.Kind.BROKEN_PROMISE,
        applicant=application.customer,
        applicant_name=application.applicant_name,
        subject_type=ContentType.objects.get_for_model(Application),
        subject_id=application.pk,
        evidence=str(MISSED_EVIDENCE % {"due": f"{due:%Y-%m-%d} 24:00", "kinds": labels}),
        recorded_at=at,
    )
    AuditEntry.record(
        application,
        actor=None,
        name="promise_missed",
        from_state=application.state,
        at=at,
        data={"kinds": kinds},
    )
    notify(
        recipients=[application.customer],
        kind="application",
        title=str(MISSED_MESSAGE % {"number": application.number}),
        body=labels,
        url=case_url(application),
        subject=application,
        dedupe_key=f"application:{application.pk}:promise_missed:{at.isoformat()}",
        at=at,
    )
    return 1
