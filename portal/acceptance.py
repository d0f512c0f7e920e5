"""At acceptance on the case page: staff correct the applicant type, voltage and sources with a reason,
and the coordinating supervisor allows a second return with the one-time notice."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from applications import correction_services, gates
from applications.forms import apply_errors

from . import case_page
from .common import case_or_404


@login_required
@require_POST
def correct(request, pk):
    application = case_or_404(request.user, pk)
    form = case_page.CorrectionForm(request.POST, prefix="correct")
    data = {
        f: request.POST.get(f"correct-{f}", "")
        for f in ("applicant_type", "voltage", "power_sources", "reason")
    }
    try:
        correction_services.application_correct(application_id=application.pk, actor=request.user, data=data)
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return case_page.failed(request, application, key="correct", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return case_page.failed(request, application, key="correct", form=form, status=400)
    return case_page.done(request, application, _("已更正，相关时限已重新计算，客户已收到通知。"))


@login_required
@require_POST
def approve_return(request, pk):
    application = case_or_404(request.user, pk)
    form = case_page.ApproveReturnForm(request.POST, prefix="approve_return")
    try:
        gates.second_return_approve(
            application_id=application.pk,
            actor=request.user,
            reason=request.POST.get("approve_return-reason"),
        )
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return case_page.failed(
            request, application, key="approve_return", form=form, status=409, problem=str(exc)
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return case_page.failed(request, application, key="approve_return", form=form, status=400)
    return case_page.done(request, application, _("已批准再次退回。"))
