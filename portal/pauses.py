"""The case page's pauses 暂停计时: the ledger, the customer's own pause, staff's pause request, and the
answer to a request (the customer, or the coordinating supervisor for an external cause)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from applications import pause_services, urging
from applications.forms import PortalForm, apply_errors
from applications.pause_selectors import confirmed_by, pauses_of
from applications.pauses import Pause, PauseState
from deadlines.models import PauseReason

from .common import case_or_404

R = PauseReason.Kind


class PauseAskForm(PortalForm):
    reason_code = forms.ChoiceField(label=gettext_lazy("暂停原因"))
    note = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", _("请选择"))] + [
            (r.code, f"{r}（{r.get_kind_display()}）") for r in reasons
        ]


def _ask_kinds(user, application) -> list[str] | None:
    """The reason kinds ``user`` may ask a pause with on this case; None when they may not ask."""
    if can(user, "applications.pause_clock", application):
        return [R.CUSTOMER]
    if can(user, "applications.request_pause", application):
        return [R.CUSTOMER, R.EXTERNAL]
    return None


def pause_context(user, application, *, bound=None) -> dict:
    """What the case page shows of the pauses: the ledger rows, the requests ``user`` answers, and the
    form to ask for one when it may."""
    rows = []
    for pause in pauses_of(application):
        pause.application = application
        rows.append(
            {
                "pause": pause,
                "confirmed_by": confirmed_by(pause),
                "answerable": pause.state == PauseState.REQUESTED
                and can(user, "applications.answer_pause_request", pause),
            }
        )
    context = {"pauses": rows}
    if (
        can(user, "applications.urge", application)
        and application.is_open
        and application.state
        not in (
            "draft",
            "returned",
        )
    ):
        context["can_urge"] = True
    kinds = _ask_kinds(user, application)
    waiting = any(r["pause"].state == PauseState.REQUESTED for r in rows)
    if (
        kinds
        and application.state in pause_services.PAUSABLE_STATES
        and application.paused_at is None
        and not waiting
    ):
        context["pause_form"] = bound or PauseAskForm(
            prefix="pause", reasons=pause_services.reasons_for(kinds)
        )
        context["pause_is_request"] = R.EXTERNAL in kinds
    return context


@login_required
@require_POST
def ask(request, pk):
    application = case_or_404(request.user, pk)
    kinds = _ask_kinds(request.user, application) or [R.CUSTOMER]
    form = PauseAskForm(request.POST, prefix="pause", reasons=pause_services.reasons_for(kinds))
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
        return _cases()._failed(request, application, key="pause", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _cases()._failed(request, application, key="pause", form=form, status=400)
    if pause.state == PauseState.REQUESTED:
        return _cases()._done(request, application, _("暂停计时申请已发出，待确认后暂停。"))
    return _cases()._done(request, application, _("计时已暂停。"))


def _answer(request, pk, pid, *, confirm):
    application = case_or_404(request.user, pk)
    try:
        pause_services.pause_answer(
            application_id=application.pk, pause_id=pid, actor=request.user, confirm=confirm
        )
    except (Pause.DoesNotExist, PermissionDenied):
        raise Http404
    except TransitionNotAllowed as exc:
        return _cases()._failed(request, application, key="pause_answer", status=409, problem=str(exc))
    return _cases()._done(
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
        return _cases()._failed(request, application, key="urge", status=409, problem=str(exc))
    return _cases()._done(request, application, _("已催办，客户经理将尽快处理。"))


def _cases():
    # The case page's helpers; imported here because the case page imports this module.
    from . import cases

    return cases
