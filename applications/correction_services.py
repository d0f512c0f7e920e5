"""Corrections at acceptance 受理时更正: staff correct the applicant type, the voltage and the power
sources of a submitted case with a reason. The change is audited, the stage limits that depend on them
are computed again (``deadlines.clocks.clocks_refit``), zero investment is judged again, and the
customer is told."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from deadlines.clocks import clocks_refit
from deadlines.notifications import notify
from hhht_power.text import enumeration

from . import validation as v
from .casework import case_url, decide_zero_investment, locked
from .models import ApplicantType, ApplicationState, AuditEntry, Voltage

CORRECTABLE_STATES = (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED)
FIELDS = ("applicant_type", "voltage", "power_sources")
NOTHING_CHANGED = "nothing_changed"
CORRECTED_MESSAGE = _("您的用电申请 %(number)s 受理时更正了：%(fields)s。原因：%(reason)s")
LABELS = {"applicant_type": _("申请人类型"), "voltage": _("电压等级"), "power_sources": _("电源数")}


def _clean(application, data) -> dict:
    errors, cleaned = {}, {}
    applicant_type = data.get("applicant_type", application.applicant_type)
    if applicant_type not in ApplicantType.values:
        errors["applicant_type"] = [ValidationError(_("请选择有效的申请人类型。"), code=v.INVALID_CHOICE)]
    voltage = data.get("voltage", application.voltage)
    if voltage not in Voltage.values:
        errors["voltage"] = [ValidationError(_("请选择有效的电压等级。"), code=v.INVALID_CHOICE)]
    sources = data.get("power_sources", application.power_sources)
    if voltage == Voltage.HIGH:
        if str(sources) not in ("1", "2"):
            errors["power_sources"] = [
                ValidationError(_("高压用电须选择单电源或双电源。"), code=v.POWER_SOURCES_REQUIRED)
            ]
        else:
            sources = int(sources)
    else:
        sources = None
    reason = str(data.get("reason") or "").strip()
    if not reason:
        errors["reason"] = [ValidationError(_("请填写更正的原因。"), code=v.REQUIRED)]
    elif len(reason) > 500:
        errors["reason"] = [ValidationError(_("最多 %(max)s 个字符。"), code=v.TOO_LONG, params={"max": 500})]
    if errors:
        raise ValidationError(errors)
    cleaned.update(applicant_type=applicant_type, voltage=voltage, power_sources=sources, reason=reason)
    return cleaned


def application_correct(*, application_id: int, actor, data: dict, at: datetime | None = None):
    """Correct the case's applicant type, voltage and power sources at acceptance. Raises
    PermissionDenied (not staff who accept cases), TransitionNotAllowed (not waiting for acceptance) and
    ValidationError (bad values, no reason, nothing changed)."""
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.correct_at_acceptance", application):
            raise PermissionDenied
        if application.state not in CORRECTABLE_STATES:
            raise TransitionNotAllowed(_("只有待受理或刚受理（供电方案答复前）的申请可以更正。"))
        cleaned = _clean(application, data)
        reason = cleaned.pop("reason")
        before = {f: getattr(application, f) for f in FIELDS}
        changed = [f for f in FIELDS if before[f] != cleaned[f]]
        if not changed:
            raise ValidationError(
                {"voltage": [ValidationError(_("没有需要更正的内容。"), code=NOTHING_CHANGED)]}
            )
        for field in FIELDS:
            setattr(application, field, cleaned[field])
        if application.customer_cost is not None and application.zero_investment:
            application.customer_cost = None
        decide_zero_investment(application)
        application.save()
        refitted = clocks_refit(subject=application, facts=application.case_facts(), at=at, actor=actor)
        AuditEntry.record(
            application,
            actor=actor,
            name="correct",
            from_state=application.state,
            at=at,
            reason=reason,
            data={
                "before": before,
                "after": {f: cleaned[f] for f in FIELDS},
                "limits": {c.stage: c.limit_working_days for c in refitted},
            },
        )
        fields = enumeration(LABELS[f] for f in changed)
        notify(
            recipients=[application.customer],
            kind="application",
            title=str(CORRECTED_MESSAGE % {"number": application.number, "fields": fields, "reason": reason}),
            body=reason,
            url=case_url(application),
            subject=application,
            dedupe_key=f"application:{application.pk}:correct:{at.isoformat()}",
            at=at,
        )
    return application
