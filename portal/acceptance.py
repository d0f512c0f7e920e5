"""At acceptance on the case page: staff correct the applicant type, voltage and sources with a reason,
and the coordinating supervisor allows a second return with the one-time notice."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from applications import correction_services, gates
from applications.forms import PortalForm, apply_errors
from applications.models import ApplicantType, ApplicationState, AuditEntry, Voltage
from applications.returns import ReturnApproval

from .common import case_or_404


class CorrectionForm(PortalForm):
    applicant_type = forms.ChoiceField(label=gettext_lazy("申请人类型"), choices=ApplicantType.choices)
    voltage = forms.ChoiceField(label=gettext_lazy("电压等级"), choices=Voltage.choices)
    power_sources = forms.ChoiceField(
        label=gettext_lazy("电源数（高压）"),
        choices=[("", "—"), ("1", gettext_lazy("单电源")), ("2", gettext_lazy("双电源"))],
        required=False,
    )
    reason = forms.CharField(label=gettext_lazy("更正原因"), required=False)


class ApproveReturnForm(PortalForm):
    reason = forms.CharField(label=gettext_lazy("批准理由"), required=False)


def acceptance_context(user, application, *, bound=None) -> dict:
    bound = bound or {}
    context = {}
    if application.state in correction_services.CORRECTABLE_STATES and can(
        user, "applications.correct_at_acceptance", application
    ):
        context["correction_form"] = bound.get("correct") or CorrectionForm(
            prefix="correct",
            initial={
                "applicant_type": application.applicant_type,
                "voltage": application.voltage,
                "power_sources": str(application.power_sources or ""),
            },
        )
    if (
        application.state == ApplicationState.SUBMITTED
        and can(user, "applications.approve_second_return", application)
        and AuditEntry.objects.filter(application=application, transition="return_for_materials").exists()
        and not ReturnApproval.objects.filter(application=application, used_at=None).exists()
    ):
        context["approve_return_form"] = bound.get("approve_return") or ApproveReturnForm(
            prefix="approve_return"
        )
    return context


@login_required
@require_POST
def correct(request, pk):
    application = case_or_404(request.user, pk)
    form = CorrectionForm(request.POST, prefix="correct")
    data = {
        f: request.POST.get(f"correct-{f}", "")
        for f in ("applicant_type", "voltage", "power_sources", "reason")
    }
    try:
        correction_services.application_correct(application_id=application.pk, actor=request.user, data=data)
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return _cases()._failed(request, application, key="correct", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _cases()._failed(request, application, key="correct", form=form, status=400)
    return _cases()._done(request, application, _("已更正，相关时限已重新计算，客户已收到通知。"))


@login_required
@require_POST
def approve_return(request, pk):
    application = case_or_404(request.user, pk)
    form = ApproveReturnForm(request.POST, prefix="approve_return")
    try:
        gates.second_return_approve(
            application_id=application.pk,
            actor=request.user,
            reason=request.POST.get("approve_return-reason"),
        )
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return _cases()._failed(
            request, application, key="approve_return", form=form, status=409, problem=str(exc)
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return _cases()._failed(request, application, key="approve_return", form=form, status=400)
    return _cases()._done(request, application, _("已批准再次退回。"))


def _cases():
    # The case page's helpers; imported here because the case page imports this module.
    from . import cases

    return cases
