"""The browser portal's pages for the permit stage: a department's (and the one-stop window's) task
queue and the task page with the case's shared drawings, the joint survey, the decision and the permit
upload. Thin views over ``approvals.selectors`` and ``approvals.services``: a task outside one's view is
a 404, a transition the task or case no longer allows a 409.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from accounts.models import RoleCode
from accounts.permissions import can
from applications.forms import PortalForm, apply_errors
from applications.selectors import search_q
from approvals import selectors, services
from approvals.api import shared_document_file_response
from approvals.models import (
    OPEN_TASK_STATES,
    ApprovalTask,
    SharedDocumentKind,
    TaskKind,
    TaskState,
)
from approvals.transitions import BY_NAME, user_transition
from deadlines.models import Level
from hhht_power.text import enumeration

from .common import promised_day

PAGE_SIZE = 20
LEVEL_ORDER = (Level.ESCALATED, Level.OVERDUE, Level.WARNING, Level.ON_TIME)
OPEN = "open"


class UploadForm(PortalForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("材料类别"), choices=SharedDocumentKind.choices, required=False
    )
    title = forms.CharField(label=gettext_lazy("名称（选填）"), required=False, max_length=100)
    file = forms.FileField(label=gettext_lazy("文件（PDF、JPEG或PNG）"), required=False)


class CommentForm(PortalForm):
    text = forms.CharField(
        label=gettext_lazy("办理意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _form(name, data=None):
    return BY_NAME[name].form(data, prefix=name)


def _service_data(name, form) -> dict:
    return {f: (form.data.get(form.add_prefix(f)) or "").strip() for f in form.fields}


def _may_see_queue(user) -> bool:
    return user.has_role(RoleCode.REVIEWER, RoleCode.WINDOW) or can(user, "approvals.view_all_tasks")


def _task_or_404(user, pk) -> ApprovalTask:
    try:
        return selectors.task_detail(user, pk)
    except ApprovalTask.DoesNotExist:
        raise Http404


@login_required
@require_GET
def queue(request):
    """审批任务: the tasks pushed to one's department, most urgent first, with counts per state and level."""
    user = request.user
    if not _may_see_queue(user):
        raise PermissionDenied
    base = selectors.task_list(user)
    params = request.GET
    state = params.get("state", OPEN)
    qs = base
    if state == OPEN:
        qs = qs.filter(state__in=OPEN_TASK_STATES)
    elif state in TaskState.values:
        qs = qs.filter(state=state)
    if params.get("kind") in TaskKind.values:
        qs = qs.filter(kind=params["kind"])
    if params.get("level") in Level.values:
        qs = qs.filter(clock__level=params["level"], state__in=OPEN_TASK_STATES)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(search_q(q, prefix="application__"))
    rank = Case(
        *[When(clock__level=level, then=Value(i)) for i, level in enumerate(LEVEL_ORDER)],
        default=Value(len(LEVEL_ORDER)),
        output_field=IntegerField(),
    )
    open_first = Case(When(state__in=OPEN_TASK_STATES, then=Value(0)), default=Value(1))
    qs = qs.annotate(open_first=open_first, urgency=rank).order_by(
        "open_first", "urgency", F("clock__due_at").asc(nulls_last=True), "-id"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    rows = [
        {
            "task": task,
            "level": task.clock.level if task.clock_id and task.is_open else None,
            "level_label": Level(task.clock.level).label if task.clock_id and task.is_open else None,
            "due_day": promised_day(task.clock.due_at) if task.clock_id else None,
        }
        for task in page.object_list
    ]
    state_counts = {r["state"]: r["n"] for r in base.order_by().values("state").annotate(n=Count("id"))}
    level_counts = {
        r["clock__level"]: r["n"]
        for r in base.filter(state__in=OPEN_TASK_STATES)
        .order_by()
        .values("clock__level")
        .annotate(n=Count("id"))
    }
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "state_counts": [(s, TaskState(s).label, state_counts.get(s, 0)) for s in TaskState.values],
        "level_counts": [(lv, Level(lv).label, level_counts.get(lv, 0)) for lv in LEVEL_ORDER],
        "states": [(OPEN, _("全部待办")), ("all", _("全部"))] + list(TaskState.choices),
        "kinds": TaskKind.choices,
        "levels": [(lv, Level(lv).label) for lv in LEVEL_ORDER],
        "f": {"state": state, "kind": params.get("kind", ""), "level": params.get("level", ""), "q": q},
        "querystring": query.urlencode(),
    }
    template = "approvals/queue.html#results" if request.htmx else "approvals/queue.html"
    return render(request, template, context)


def _task_context(request, task, *, bound=None) -> dict:
    user = request.user
    bound = bound or {}
    transitions = []
    for name in selectors.available_transitions(task, user):
        step = BY_NAME[name]
        form = bound.get(name) or _form(name)
        if name == "accept_filing" and not task.application.green_space:
            form.fields.pop("green_owner", None)
        transitions.append(
            {"name": name, "label": step.label, "danger": step.danger, "confirm": step.confirm, "form": form}
        )
    transitions.sort(key=lambda t: t["danger"])
    blocked = []
    if task.state == TaskState.IN_REVIEW and task.is_permit() and can(user, "approvals.grant", task):
        pending = [p for p in task.parts.all() if p.done_at is None]
        if pending:
            names = enumeration(
                f"{p.get_kind_display()}（{p.organisation or _('申请单位')}）" for p in pending
            )
            blocked.append(
                {
                    "name": "grant",
                    "label": BY_NAME["grant"].label,
                    "reason": _("联合踏勘或所有权人意见尚未全部完成，完成后方可出件。待完成：%(parts)s。")
                    % {"parts": names},
                }
            )
    involved = selectors.involved_in(user, task.application_id)
    context = {
        "task": task,
        "application": task.application,
        "parts": list(task.parts.all()),
        "comments": list(task.comments.all()),
        "history": [
            {
                "entry": e,
                "label": BY_NAME[e.transition].label if e.transition in BY_NAME else e.transition,
            }
            for e in task.audit_entries.all()
        ],
        "documents": selectors.documents_of_case(user, task.application_id),
        "case_tasks": selectors.tasks_of_case(task.application),
        "transitions": transitions,
        "blocked": blocked,
        "problem": bound.get("problem"),
        "key": bound.get("key"),
        "level_label": Level(task.clock.level).label if task.clock_id else None,
        "due_day": promised_day(task.clock.due_at) if task.clock_id else None,
    }
    if involved and can(user, "approvals.upload_document", task):
        context["upload_form"] = bound.get("upload") or UploadForm(prefix="upload")
    if can(user, "approvals.comment", task):
        context["comment_form"] = bound.get("comment") or CommentForm(prefix="comment")
    return context


@login_required
@require_GET
def task(request, pk):
    """One task: the case, the shared drawings, the joint parts, the decision forms, uploads, history."""
    item = _task_or_404(request.user, pk)
    response = render(request, "approvals/task.html", _task_context(request, item))
    response["Cache-Control"] = "private, no-store"
    return response


def _done(request, pk, message):
    messages.success(request, message)
    url = reverse("approvals:task", kwargs={"pk": pk})
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _failed(request, pk, *, key, form, status, problem=None):
    item = _task_or_404(request.user, pk)
    context = _task_context(request, item, bound={key: form, "problem": problem, "key": key})
    if request.htmx and user_transition(key) is not None:
        t = next((t for t in context["transitions"] if t["name"] == key), None)
        if t is None:
            step = BY_NAME[key]
            t = {
                "name": key,
                "label": step.label,
                "danger": step.danger,
                "confirm": step.confirm,
                "form": form,
            }
        context["t"] = t
        return render(request, "approvals/task.html#task_card", context, status=status)
    return render(request, "approvals/task.html", context, status=status)


def _conflict(item) -> str:
    return _("该事项已被他人处理（当前状态：%(state)s），请刷新页面后重试。") % {
        "state": item.get_state_display()
    }


@login_required
@require_POST
def task_action(request, pk, name):
    """Run one task transition from its form (400 messages, 409 when the task or case moved on)."""
    item = _task_or_404(request.user, pk)
    if user_transition(name) is None:
        raise Http404
    form = _form(name, request.POST)
    expected = request.POST.get("expected_state")
    if expected and expected != item.state:
        return _failed(request, pk, key=name, form=form, status=409, problem=_conflict(item))
    try:
        services.task_transition(
            task_id=item.pk, name=name, actor=request.user, data=_service_data(name, form)
        )
    except services.UnknownTransition:
        raise Http404
    except PermissionDenied:
        return _failed(request, pk, key=name, form=form, status=403, problem=_("您无权执行此操作。"))
    except TransitionNotAllowed as exc:
        return _failed(request, pk, key=name, form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, pk, key=name, form=form, status=400)
    return _done(request, pk, _("已完成：%(action)s。") % {"action": BY_NAME[name].label})


@login_required
@require_POST
def upload(request, pk):
    """Add a drawing, survey record or permit to the case's shared file (a new version of the same title)."""
    item = _task_or_404(request.user, pk)
    form = UploadForm(request.POST, request.FILES, prefix="upload")
    try:
        services.shared_document_upload(
            task_id=item.pk,
            actor=request.user,
            kind=request.POST.get("upload-kind") or "",
            title=request.POST.get("upload-title") or "",
            file=request.FILES.get("upload-file"),
        )
    except ApprovalTask.DoesNotExist:
        raise Http404
    except PermissionDenied:
        return _failed(request, pk, key="upload", form=form, status=403, problem=_("您无权上传材料。"))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, pk, key="upload", form=form, status=400)
    return _done(request, pk, _("材料已上传并共享给相关部门。"))


@login_required
@require_POST
def comment(request, pk):
    item = _task_or_404(request.user, pk)
    form = CommentForm(request.POST, prefix="comment")
    try:
        services.comment_add(task_id=item.pk, actor=request.user, text=request.POST.get("comment-text") or "")
    except ApprovalTask.DoesNotExist:
        raise Http404
    except PermissionDenied:
        return _failed(request, pk, key="comment", form=form, status=403, problem=_("您无权发表意见。"))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, pk, key="comment", form=form, status=400)
    return _done(request, pk, _("意见已保存。"))


@login_required
@require_GET
@xframe_options_sameorigin
def document(request, pk):
    """A shared permit document, shown in the task page (only to the units working that case's permits)."""
    return shared_document_file_response(request.user, pk)
