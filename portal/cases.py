"""The case page and its actions: the page itself (the customer's and the staff's view), the transitions,
supplying returned materials, resuming the clock, assigning the account manager, the rating and the
meter visit's booking."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from applications import appointments, portal_services, services
from applications.forms import (
    AssignManagerForm,
    RatingForm,
    VisitBookingForm,
    apply_errors,
    uploadable_kinds,
)
from applications.transitions import user_transition

from . import case_page
from .common import S, case_or_404, collect_documents, detail_queryset


def _conflict_message(application) -> str:
    return _("该申请已被他人处理（当前状态：%(state)s），请刷新页面后重试。") % {
        "state": application.get_state_display()
    }


@login_required
@require_GET
def detail(request, pk):
    """The case page: customer's steps and stages, documents, timeline, and the user's actions."""
    application = case_or_404(request.user, pk, detail_queryset(request.user))
    response = render(request, "applications/detail.html", case_page.detail_context(request, application))
    response["Cache-Control"] = "private, no-store"
    return response


def _act(request, application, action, *, key, form=None, done, partial=None):
    """Run ``action`` (a service call) for a form of the case page and answer as every form does: the
    case page again after success; the form with its errors (400), "someone moved the case first"
    (409) or 404 for an action that is not the user's."""
    fail = {"key": key, "form": form, "partial": partial}
    try:
        action()
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        application.refresh_from_db()
        problem = str(exc) or _conflict_message(application)
        return case_page.failed(request, application, status=409, problem=problem, **fail)
    except ValidationError as exc:
        if form is not None:
            apply_errors(form, exc)
        return case_page.failed(request, application, status=400, **fail)
    return case_page.done(request, application, done)


def _moved_on(request, application) -> bool:
    expected = request.POST.get("expected_state")
    return bool(expected) and expected != application.state


@login_required
@require_POST
def transition(request, pk, name):
    """Run one transition from its form: 400 with the service's messages, 409 when the case moved on."""
    application = case_or_404(request.user, pk)
    step = user_transition(name)
    if step is None:
        raise Http404
    form = step.make_form(application, request.POST)
    fail = {"key": name, "form": form, "partial": "transition_card"}
    if _moved_on(request, application):
        return case_page.failed(
            request, application, status=409, problem=_conflict_message(application), **fail
        )
    try:
        services.application_transition(
            application_id=application.pk, name=name, actor=request.user, data=form.service_data()
        )
    except services.UnknownTransition:
        raise Http404
    except PermissionDenied:
        return case_page.failed(request, application, status=403, problem=_("您无权执行此操作。"), **fail)
    except TransitionNotAllowed:
        application.refresh_from_db()
        return case_page.failed(
            request, application, status=409, problem=_conflict_message(application), **fail
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return case_page.failed(request, application, status=400, **fail)
    return case_page.done(request, application, _("已完成：%(action)s。") % {"action": step.label})


@login_required
@require_POST
def supply(request, pk):
    """The customer supplies the materials of the one-time notice and resubmits (``submit``)."""
    application = case_or_404(request.user, pk, detail_queryset(request.user))
    if application.customer_id != request.user.pk:
        raise Http404
    if application.state != S.RETURNED:
        return case_page.failed(
            request, application, key="supply", status=409, problem=_conflict_message(application)
        )
    kinds = [i["kind"] for i in application.notice or []] or uploadable_kinds(application.voltage)
    ids, errors = collect_documents(request, kinds)
    if errors:
        return case_page.failed(
            request, application, key="supply", status=400, extra={"supply_errors": errors}
        )
    try:
        services.application_transition(
            application_id=application.pk, name="submit", actor=request.user, data={"documents": ids}
        )
    except (TransitionNotAllowed, PermissionDenied):
        return case_page.failed(
            request, application, key="supply", status=409, problem=_conflict_message(application)
        )
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        return case_page.failed(
            request, application, key="supply", status=400, extra={"supply_problem": problem}
        )
    return case_page.done(request, application, _("资料已补齐，申请已重新提交。"))


@login_required
@require_POST
def resume(request, pk):
    application = case_or_404(request.user, pk)
    return _act(
        request,
        application,
        partial(services.application_resume, application_id=application.pk, actor=request.user),
        key="resume",
        done=_("已恢复计时。"),
    )


@login_required
@require_POST
def assign(request, pk):
    application = case_or_404(request.user, pk)
    managers = portal_services.account_managers()
    form = AssignManagerForm(request.POST, prefix="assign", managers=managers)
    assign = partial(
        portal_services.application_assign_manager,
        application_id=application.pk,
        actor=request.user,
        manager_id=request.POST.get("assign-account_manager"),
    )
    return _act(request, application, assign, key="assign", form=form, done=_("客户经理已指定。"))


@login_required
@require_POST
def rate(request, pk):
    application = case_or_404(request.user, pk)
    form = RatingForm(request.POST, prefix="rating")
    rate = partial(
        portal_services.application_rate,
        application_id=application.pk,
        actor=request.user,
        score=request.POST.get("rating-score"),
        comment=request.POST.get("rating-comment") or "",
        tags=request.POST.getlist("rating-tags"),
    )
    return _act(request, application, rate, key="rating", form=form, done=_("感谢您的评价！"))


@login_required
@require_POST
def book_visit(request, pk):
    """预约装表: the customer books one of the slots staff opened."""
    application = case_or_404(request.user, pk)
    book = partial(
        appointments.visit_book,
        application_id=application.pk,
        actor=request.user,
        slot_id=request.POST.get("slot"),
    )
    form = VisitBookingForm(request.POST)
    return _act(request, application, book, key="visit", form=form, done=_("已预约装表时间。"))
