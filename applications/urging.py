"""催办: the customer presses for its case, once per working day. The account manager hears of it (or,
without one, the power bureau's staff); from the second time on, the supervisor coordinating the stage
that runs as well."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.models import Organisation, RoleCode, User
from accounts.permissions import can
from deadlines.calendar import local_date
from deadlines.notifications import notify

from .casework import case_url, locked
from .models import ApplicationState, AuditEntry
from .pause_services import running_stage

URGED_MESSAGE = _("客户催办：用电申请 %(number)s（第 %(n)s 次），当前环节“%(stage)s”。")


def application_urge(*, application_id: int, actor, at: datetime | None = None) -> int:
    """Record one 催办 and tell who must act; returns how many times the case has been pressed. Raises
    PermissionDenied (not the case's customer) and TransitionNotAllowed (not being worked, or pressed
    already this working day)."""
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.urge", application):
            raise PermissionDenied
        if (
            application.state in (ApplicationState.DRAFT, ApplicationState.RETURNED)
            or not application.is_open
        ):
            raise TransitionNotAllowed(_("当前状态下不能催办。"))
        earlier = list(
            AuditEntry.objects.filter(application=application, transition="urge").values_list("at", flat=True)
        )
        if any(local_date(when) == local_date(at) for when in earlier):
            raise TransitionNotAllowed(_("今天已催办过，每个工作日可催办一次。"))
        n = len(earlier) + 1
        clock = running_stage(application)
        AuditEntry.record(
            application,
            actor=actor,
            name="urge",
            from_state=application.state,
            at=at,
            data={"n": n, "stage": clock.stage if clock else ""},
        )
        if application.account_manager_id:
            recipients = [application.account_manager]
        else:
            recipients = list(User.objects.filter(is_active=True, roles__code=RoleCode.PSB_STAFF).distinct())
        if n >= 2 and clock is not None and clock.coordinating_org_id:
            family = Organisation.objects.get(pk=clock.coordinating_org_id).family_ids()
            recipients += list(
                User.objects.filter(
                    is_active=True, organisation_id__in=family, roles__code=RoleCode.SUPERVISOR
                ).distinct()
            )
        stage = clock.get_stage_display() if clock else ""
        notify(
            recipients=recipients,
            kind="urge",
            title=str(URGED_MESSAGE % {"number": application.number, "n": n, "stage": stage}),
            url=case_url(application),
            subject=application,
            dedupe_key=f"urge:{application.pk}:{n}",
            at=at,
        )
    return n
