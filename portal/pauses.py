"""The case page's pauses 暂停计时: the customer's own pause, staff's pause request, and the answer to a
request (the customer, or the coordinating supervisor for an external cause)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from applications import pause_services, urging
from applications.forms import apply_errors
from applications.pauses import Pause, PauseState
from deadlines.models import PauseReason

from . import case_page
from .common import case_or_404


@login_required
@require_POST
def ask(request, pk):
    application = case_or_404(request.user, pk)
    kinds = case_page.ask_kinds(request.user, application) or [PauseReason.Kind.CUSTOMER]
    form = case_page.PauseAskForm(request.POST, prefix="pause", reasons=pause_services.reasons_for(kinds))
    try:
        pause = pause_services.pause_ask(
            application_id=application.pk,
            actor=request.user,
            reason_code=request.POST.get("pause-reason_code"),
            note=request.POST.get("pause-note") or "",
            evidence=request.FILES.get("pause-evidence"),
        )
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return case_page.failed(request, application, key="pause", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return case_page.failed(request, application, key="pause", form=form, status=400)
    if pause.state == PauseState.REQUESTED:
        return case_page.done(request, application, _("暂停计时申请已发出，待确认后暂停。"))
    return case_page.done(request, application, _("计时已暂停。"))


def _answer(request, pk, pid, *, confirm):
    application = case_or_404(request.user, pk)
    try:
        pause_services.pause_answer(
            application_id=application.pk, pause_id=pid, actor=request.user, confirm=confirm
        )
    except (Pause.DoesNotExist, PermissionDenied):
        raise Http404
    except TransitionNotAllowed as exc:
        return case_page.failed(request, application, key="pause_answer", status=409, problem=str(exc))
    return case_page.done(
        request, application, _("已确认，计时已暂停。") if confirm else _("已拒绝暂停计时申请。")
    )


@login_required
@require_POST
def confirm(request, pk, pid):
    return _answer(request, pk, pid, confirm=True)


@login_required
@require_POST
def decline(request, pk, pid):
    return _answer(request, pk, pid, confirm=False)


@login_required
@require_POST
def urge(request, pk):
    """催办 from the case page."""
    application = case_or_404(request.user, pk)
    try:
        urging.application_urge(application_id=application.pk, actor=request.user)
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return case_page.failed(request, application, key="urge", status=409, problem=str(exc))
    return case_page.done(request, application, _("已催办，客户经理将尽快处理。"))
