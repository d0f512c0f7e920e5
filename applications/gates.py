"""Checks a user's transition must pass beyond its state and role (``services.application_transition``
asks ``check`` under the case's row lock):

- the promised materials of 一证受理 come before the supply-plan reply (HV) or installation (LV);
- the one-time notice returns a case once; a second return needs the coordinating supervisor's approval
  (``second_return_approve``), used up by that return.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from deadlines.clocks import clocks_for

from . import validation as v
from .casework import locked
from .models import ApplicationState, AuditEntry
from .promise_services import promises_gate
from .returns import ReturnApproval

RETURNED_ONCE = _("一次性告知只能退回一次，再次退回须经协调部门批准。")


def check(application, name: str, *, data: dict, at) -> None:
    promises_gate(application, name, data)
    if name == "return_for_materials" and _returned_before(application):
        approval = (
            ReturnApproval.objects.select_for_update().filter(application=application, used_at=None).first()
        )
        if approval is None:
            raise TransitionNotAllowed(RETURNED_ONCE)
        approval.used_at = at
        approval.save(update_fields=["used_at"])


def _returned_before(application) -> bool:
    return AuditEntry.objects.filter(application=application, transition="return_for_materials").exists()


def second_return_approve(*, application_id: int, actor, reason: str, at=None) -> ReturnApproval:
    """A supervisor coordinating the acceptance allows one more return of a case already returned once.
    Raises PermissionDenied, ValidationError (no reason) and TransitionNotAllowed (not waiting for
    acceptance, never returned, or an approval still unused)."""
    at = at or timezone.now()
    reason = str(reason or "").strip()
    with transaction.atomic():
        application = locked(application_id)
        accept = clocks_for(application).filter(stage="accept").last()
        coordinating = accept.coordinating_org_id if accept else None
        if not (
            can(actor, "applications.approve_second_return", application)
            and coordinating in actor.organisation_family_ids
        ):
            raise PermissionDenied
        if not reason:
            raise ValidationError(
                {"reason": [ValidationError(_("请填写批准再次退回的理由。"), code=v.REQUIRED)]}
            )
        if application.state != ApplicationState.SUBMITTED or not _returned_before(application):
            raise TransitionNotAllowed(_("只有曾经退回、待受理的申请需要批准再次退回。"))
        if ReturnApproval.objects.filter(application=application, used_at=None).exists():
            raise TransitionNotAllowed(_("已批准再次退回，尚未使用。"))
        approval = ReturnApproval.objects.create(
            application=application, approved_by=actor, approved_at=at, reason=reason
        )
        AuditEntry.record(
            application,
            actor=actor,
            name="approve_second_return",
            from_state=application.state,
            at=at,
            reason=reason,
            data={"approval": approval.pk},
        )
    return approval
