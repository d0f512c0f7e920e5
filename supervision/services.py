"""The writers of supervision: 督办 orders and credit records. Keyword-only; rows locked; history appended;
notifications through ``deadlines.notifications.notify`` inside the transaction (delivered after commit)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, RoleCode, User
from accounts.permissions import can
from applications.models import Application
from applications.selectors import application_content_type
from deadlines.models import CreditRecord, StageClock
from deadlines.notifications import notify
from deadlines.services import CreditRecordAlreadyCorrected, credit_record_correct

from .models import CreditRecordEvent, OrderState, SupervisionOrder, SupervisionOrderEvent

# Error codes tests and views reuse.
REQUIRED = "required"
REPLY_DUE_PAST = "reply_due_past"
ORDER_EXISTS = "order_exists"
NOT_A_CASE_CLOCK = "not_a_case_clock"
NO_PARTY = "no_party"
KIND_NOT_MANUAL = "kind_not_manual"
ALREADY_CORRECTED = "already_corrected"

MANUAL_KINDS = (CreditRecord.Kind.FALSE_MATERIALS, CreditRecord.Kind.BROKEN_PROMISE)


def _required(field, value):
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [ValidationError(_("此项为必填项。"), code=REQUIRED)]})
    return value


def _org_members(org_id) -> list:
    """Staff of the organisation and its sub-units (every role but customer)."""
    family = Organisation.objects.get(pk=org_id).family_ids()
    return list(
        User.objects.filter(organisation_id__in=family, is_active=True)
        .exclude(roles__code=RoleCode.CUSTOMER)
        .distinct()
    )


def order_url(order) -> str:
    return reverse("supervision:order", kwargs={"pk": order.pk})


# --- 督办 orders -----------------------------------------------------------------------------------------


def order_issue(*, clock_id: int, actor, instruction: str, reply_due: date, at=None) -> SupervisionOrder:
    """Issue a 督办 order on an overdue or escalated open clock of a case.

    Raises PermissionDenied (not a supervisor coordinating that stage, or the clock is not overdue or
    escalated), ValidationError (empty instruction, reply date not after today, an unclosed order already
    on that clock).
    """
    at = at or timezone.now()
    instruction = _required("instruction", instruction)
    if reply_due is None or reply_due <= timezone.localdate(at):
        raise ValidationError(
            {"reply_due": [ValidationError(_("要求答复日期须晚于今天。"), code=REPLY_DUE_PAST)]}
        )
    with transaction.atomic():
        clock = StageClock.objects.select_for_update().get(pk=clock_id)
        if not can(actor, "supervision.issue_order", clock):
            raise PermissionDenied
        if clock.subject_type_id != application_content_type().pk or clock.responsible_org_id is None:
            raise ValidationError(
                {"clock": [ValidationError(_("只能督办有责任单位的办电环节。"), code=NOT_A_CASE_CLOCK)]}
            )
        application = Application.objects.get(pk=clock.subject_id)
        order = SupervisionOrder(
            application=application,
            clock=clock,
            stage=clock.stage,
            level_at_issue=clock.level,
            issuing_org_id=actor.organisation_id,
            responsible_org_id=clock.responsible_org_id,
            issued_by=actor,
            issued_at=at,
            instruction=instruction,
            reply_due=reply_due,
        )
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            raise ValidationError(
                {"clock": [ValidationError(_("该环节已有未办结的督办单。"), code=ORDER_EXISTS)]}
            )
        SupervisionOrderEvent.objects.create(
            order=order,
            kind="issued",
            actor=actor,
            organisation_id=actor.organisation_id,
            at=at,
            text=instruction,
        )
        notify(
            recipients=_org_members(order.responsible_org_id),
            kind="supervision_order",
            title=_("督办：%(number)s %(stage)s，请于 %(due)s 前答复")
            % {
                "number": application.number,
                "stage": clock.get_stage_display(),
                "due": f"{reply_due:%Y-%m-%d}",
            },
            body=instruction,
            url=order_url(order),
            subject=order,
            dedupe_key=f"supervision-order:{order.pk}:issued",
            at=at,
        )
    return order


def _locked_order(order_id) -> SupervisionOrder:
    return SupervisionOrder.objects.select_for_update().get(pk=order_id)


def order_answer(*, order_id: int, actor, text: str, at=None) -> SupervisionOrder:
    """The responsible organisation answers an open order; the issuing organisation is notified.

    Raises PermissionDenied when the actor is not of the responsible organisation or the order is not open.
    """
    at = at or timezone.now()
    text = _required("text", text)
    with transaction.atomic():
        order = _locked_order(order_id)
        if not can(actor, "supervision.answer_order", order):
            raise PermissionDenied
        order.answer()
        order.replied_at = at
        order.save()
        event = SupervisionOrderEvent.objects.create(
            order=order, kind="answered", actor=actor, organisation_id=actor.organisation_id, at=at, text=text
        )
        notify(
            recipients=_org_members(order.issuing_org_id),
            kind="supervision_order",
            title=_("督办单 #%(id)s 已答复：%(number)s")
            % {"id": order.pk, "number": order.application.number},
            body=text,
            url=order_url(order),
            subject=order,
            dedupe_key=f"supervision-order:{order.pk}:event:{event.pk}",
            at=at,
        )
    return order


def order_send_back(*, order_id: int, actor, text: str, at=None) -> SupervisionOrder:
    """The issuer finds the answer insufficient: the order is open again, the responsible unit notified."""
    at = at or timezone.now()
    text = _required("text", text)
    with transaction.atomic():
        order = _locked_order(order_id)
        if not can(actor, "supervision.send_back_order", order):
            raise PermissionDenied
        order.send_back()
        order.save()
        event = SupervisionOrderEvent.objects.create(
            order=order,
            kind="sent_back",
            actor=actor,
            organisation_id=actor.organisation_id,
            at=at,
            text=text,
        )
        notify(
            recipients=_org_members(order.responsible_org_id),
            kind="supervision_order",
            title=_("督办单 #%(id)s 被退回，请重新答复") % {"id": order.pk},
            body=text,
            url=order_url(order),
            subject=order,
            dedupe_key=f"supervision-order:{order.pk}:event:{event.pk}",
            at=at,
        )
    return order


def order_close(*, order_id: int, actor, text: str = "", at=None) -> SupervisionOrder:
    """The issuer accepts the answer and closes the order."""
    at = at or timezone.now()
    with transaction.atomic():
        order = _locked_order(order_id)
        if not can(actor, "supervision.close_order", order):
            raise PermissionDenied
        order.close()
        order.closed_at = at
        order.save()
        SupervisionOrderEvent.objects.create(
            order=order,
            kind="closed",
            actor=actor,
            organisation_id=actor.organisation_id,
            at=at,
            text=(text or "").strip(),
        )
    return order


# --- Credit records --------------------------------------------------------------------------------------


def credit_record_add(
    *, actor, kind: str, evidence: str, organisation_id=None, application_id=None, at=None
) -> CreditRecord:
    """A supervisor records a broken commitment or false materials by hand, with its evidence, against an
    organisation or the applicant of a case (or both)."""
    at = at or timezone.now()
    if not can(actor, "supervision.add_credit_record"):
        raise PermissionDenied
    evidence = _required("evidence", evidence)
    if kind not in MANUAL_KINDS:
        raise ValidationError({"kind": [ValidationError(_("请选择记录类别。"), code=KIND_NOT_MANUAL)]})
    if not organisation_id and not application_id:
        raise ValidationError({"organisation": [ValidationError(_("请选择单位或申请。"), code=NO_PARTY)]})
    with transaction.atomic():
        record = CreditRecord(kind=kind, evidence=evidence, recorded_at=at, recorded_by=actor)
        if organisation_id:
            record.organisation = Organisation.objects.get(pk=organisation_id)
        if application_id:
            application = Application.objects.get(pk=application_id)
            record.subject_type = application_content_type()
            record.subject_id = application.pk
            if not organisation_id:
                record.applicant_id = application.customer_id
                record.applicant_name = application.applicant_name
        record.save()
        CreditRecordEvent.objects.create(
            record=record, kind="added", actor=actor, at=at, text=evidence, state_after=record.state
        )
    return record


def credit_record_repair(*, record_id: int, actor, reason: str, at=None) -> CreditRecord:
    """信用修复: the record is marked corrected with the reason; it stays listed, its history kept."""
    at = at or timezone.now()
    if not can(actor, "supervision.correct_credit_record"):
        raise PermissionDenied
    reason = _required("reason", reason)
    with transaction.atomic():
        try:
            record = credit_record_correct(record_id=record_id, actor=actor, at=at, reason=reason)
        except CreditRecordAlreadyCorrected:
            raise ValidationError({"reason": [ValidationError(_("该记录已修复。"), code=ALREADY_CORRECTED)]})
        CreditRecordEvent.objects.create(
            record=record,
            kind="corrected",
            actor=actor,
            at=at,
            text=reason,
            state_before=CreditRecord.State.ACTIVE,
            state_after=record.state,
        )
    return record


__all__ = [
    "OrderState",
    "order_issue",
    "order_answer",
    "order_send_back",
    "order_close",
    "credit_record_add",
    "credit_record_repair",
]
