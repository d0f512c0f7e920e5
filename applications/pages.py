"""The browser portal's pages for cases: the customer's guided application, "My applications", the case
page (the customer's and the staff's view), the document wallet and the staff queue.

Views are thin: they read with ``selectors``, write with ``services`` (and ``portal_services``), and put a
service's ValidationError back on the form. One view serves a page and its htmx fragment
(``template#partial`` when ``request.htmx``). Outside one's view a case is a 404; a transition the case no
longer allows is a 409 ("someone else moved the case first").
"""

from collections import defaultdict
from contextlib import nullcontext
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from accounts.masking import mask_id_number, mask_phone
from deadlines.models import Level, StageCode
from deadlines.risk import risks_for

from . import portal_services, selectors, services
from . import validation as v
from . import views as form_views
from .api import document_file_response
from .forms import (
    APPLICATION_FIELDS,
    TRANSITION_FORMS,
    ApplicationForm,
    AssignManagerForm,
    PauseForm,
    RatingForm,
    apply_errors,
    materials_explained,
    parse_valid_until,
    transition_form,
    uploadable_kinds,
)
from .models import (
    Application,
    ApplicationState,
    Business,
    Document,
    DocumentKind,
    Voltage,
    may,
)
from .satisfaction import SatisfactionRating

S = ApplicationState
PAGE_SIZE = 20

# The two steps the customer sees (用电申请, 竣工装表) and the internal stages beneath each.
CUSTOMER_STEPS = (
    (
        "apply",
        "用电申请",
        (
            StageCode.ACCEPT,
            StageCode.PLAN_REPLY,
            StageCode.DESIGN,
            StageCode.APPROVAL,
            StageCode.WINDOW_INTAKE,
            StageCode.PLANNING_PERMIT,
            StageCode.ROAD_PERMIT,
            StageCode.GREEN_PERMIT,
            StageCode.GREEN_FEE,
            StageCode.CONSTRUCTION,
        ),
    ),
    ("install", "竣工装表", (StageCode.INSTALLATION,)),
)
LEVEL_ORDER = (Level.ESCALATED, Level.OVERDUE, Level.WARNING, Level.ON_TIME)
QUEUE_OPEN = "open"


# Helpers ---------------------------------------------------------------------------------------------
def _case_or_404(user, pk, qs=None) -> Application:
    qs = qs if qs is not None else selectors.applications_visible_to(user)
    return get_object_or_404(qs, pk=pk)


def _detail_queryset(user):
    return (
        selectors.applications_visible_to(user)
        .select_related("account_manager", "customer")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("kind", "-pk")))
    )


def _done(request, application, message):
    """After a successful action: back to the case page (htmx follows with a full navigation)."""
    messages.success(request, message)
    url = reverse("applications:detail", kwargs={"pk": application.pk})
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _conflict_message(application) -> str:
    return _("该申请已被他人处理（当前状态：%(state)s），请刷新页面后重试。") % {
        "state": application.get_state_display()
    }


def promised_day(due_at):
    """The last day of a deadline: a stage due at 24:00 on the 1st (stored as 00:00 on the 2nd) is
    promised for the 1st (Asia/Shanghai)."""
    from deadlines.calendar import local_date

    return local_date(due_at - timedelta(microseconds=1)) if due_at else None


def stage_row(clock, now) -> dict:
    """One stage clock as the pages show it: promised date, on-time state, provisional marker."""
    if clock.cancelled_at:
        status, label = "cancelled", _("已撤销")
    elif clock.finished_at:
        status = "late" if clock.finished_late else "done"
        label = _("超期办结") if clock.finished_late else _("按时办结")
    elif clock.paused_at:
        status, label = "paused", _("暂停计时")
    else:
        status, label = "running", _("办理中")
    return {
        "clock": clock,
        "code": clock.stage,
        "label": StageCode(clock.stage).label if clock.stage in StageCode.values else clock.stage,
        "status": status,
        "status_label": label,
        "level": clock.level,
        "level_label": Level(clock.level).label if clock.level in Level.values else clock.level,
        "due_day": promised_day(clock.due_at),
        "open": clock.finished_at is None and clock.cancelled_at is None,
    }


# The permit stage's internal clocks: the customer sees them as one line (approvals' summary).
PERMIT_STAGES = frozenset(
    {
        StageCode.APPROVAL,
        StageCode.WINDOW_INTAKE,
        StageCode.PLANNING_PERMIT,
        StageCode.ROAD_PERMIT,
        StageCode.GREEN_PERMIT,
        StageCode.GREEN_FEE,
    }
)
_SUMMARY_STATUS = {"waiting": "running", "done": "done", "refused": "returned"}


def permit_summary_row(summary: dict) -> dict:
    """The permit stage as one row for the customer, promised by the slowest permit."""
    return {
        "clock": None,
        "summary": True,
        "code": StageCode.APPROVAL,
        "label": summary["stage"],
        "status": _SUMMARY_STATUS.get(summary["state"], "running"),
        "status_label": summary["text"],
        "level": None,
        "due_day": promised_day(summary["due_at"]),
        "provisional": summary["provisional"],
        "open": summary["state"] == "waiting",
    }


def customer_steps(application, clocks, permit_summary=None) -> tuple[list[dict], dict | None]:
    """The two customer steps with their internal stages beneath, and the overall clock.

    With ``permit_summary`` (approvals' one-line summary, for the customer), the permit clocks are
    replaced by that one line; staff and supervisors see every permit clock.
    """
    now = timezone.now()
    overall = None
    by_step = defaultdict(list)
    summary_placed = False
    for clock in clocks:
        if clock.stage == StageCode.OVERALL:
            overall = stage_row(clock, now)
            continue
        if permit_summary is not None and clock.stage in PERMIT_STAGES:
            if not summary_placed:
                by_step["apply"].append(permit_summary_row(permit_summary))
                summary_placed = True
            continue
        for code, _label, stages in CUSTOMER_STEPS:
            if clock.stage in stages:
                by_step[code].append(stage_row(clock, now))
    steps = []
    for code, label, _stages in CUSTOMER_STEPS:
        rows = by_step[code]
        if application.state == S.CONNECTED or (code == "apply" and by_step["install"]):
            status = "done"  # power is on, or the case has reached 竣工装表
        elif any(r["open"] for r in rows) or (
            code == "apply" and application.state not in (S.DRAFT, S.WITHDRAWN, S.TERMINATED)
        ):
            status = "current"
        else:
            status = "pending"
        steps.append({"code": code, "label": _(label), "stages": rows, "status": status})
    return steps, overall


def customer_action(application, user) -> dict | None:
    """The moment the customer must act, if now: submit the draft, supply the notice, report ready."""
    if application.customer_id != user.pk:
        return None
    if application.state == S.DRAFT:
        return {"kind": "submit", "text": _("申请尚未提交：请核对申请书预览后提交。")}
    if application.state == S.RETURNED:
        return {"kind": "supply", "text": _("请按一次性告知补齐资料后重新提交。")}
    if application.paused_at is not None and application.is_open:
        return {"kind": "resume", "text": _("办理正在等待您：完成后请点击“我已处理完毕”，恢复计时。")}
    return None


def _wallet_choices(user, kinds) -> dict[str, list[Document]]:
    """The customer's still-valid wallet documents per kind, newest first (one query)."""
    today = timezone.localdate()
    found = defaultdict(list)
    for doc in Document.objects.filter(owner=user, kind__in=list(kinds), rejected_at=None).order_by(
        "-uploaded_at", "-pk"
    ):
        if doc.is_valid_on(today):
            found[doc.kind].append(doc)
    return found


def _materials_context(request, voltage, *, attached=None, errors=None, only=None) -> list[dict]:
    """Rows of the materials block: why each is needed, wallet documents to reuse, a file control."""
    errors = errors or {}
    kinds = [k for k in uploadable_kinds(voltage) if only is None or k in only]
    wallet = _wallet_choices(request.user, kinds)
    attached = attached or {}
    rows = []
    for item in materials_explained(voltage):
        if item["generated"]:
            rows.append({**item, "choices": [], "chosen": None, "error": None})
            continue
        if item["kind"] not in kinds:
            continue
        posted = request.POST.get(f"use_{item['kind']}") if request.method == "POST" else None
        default = attached.get(item["kind"]) or (wallet[item["kind"]][0].pk if wallet[item["kind"]] else None)
        rows.append(
            {
                **item,
                "choices": wallet[item["kind"]],
                "chosen": str(posted if posted is not None else (default or "")),
                "error": errors.get(item["kind"]),
            }
        )
    return rows


def _collect_documents(request, kinds) -> tuple[list, dict]:
    """Upload the files given (through ``services.document_upload``) and gather the wallet ids chosen.

    Returns (ids, {kind: error message}).
    """
    ids, errors = [], {}
    for kind in kinds:
        upload = request.FILES.get(f"file_{kind}")
        if upload:
            valid_until, problem = parse_valid_until(request.POST.get(f"valid_until_{kind}"))
            if problem:
                errors[kind] = problem
                continue
            try:
                doc = services.document_upload(
                    owner=request.user, kind=kind, file=upload, valid_until=valid_until
                )
            except ValidationError as exc:
                errors[kind] = " ".join(m for m in exc.messages)
                continue
            ids.append(doc.pk)
        elif request.POST.get(f"use_{kind}"):
            ids.append(request.POST[f"use_{kind}"])
    return ids, errors


# Customers: the guided application --------------------------------------------------------------------
def _application_page(request, *, instance=None):
    if instance is None and not may(request.user, "applications.create_application"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    voltage = source.get("voltage") or (instance.voltage if instance else Voltage.LOW)
    attached = {d.kind: d.pk for d in instance.documents.all()} if instance else {}
    if request.htmx and request.method == "GET" and request.GET.get("part") == "voltage":
        context = {
            "voltage": voltage,
            "oob": True,
            "materials": _materials_context(request, voltage, attached=attached),
        }
        context["form"] = ApplicationForm(request.GET)
        return render(request, "applications/apply.html#voltage_dependent", context)

    initial = (
        {f: getattr(instance, f) for f in APPLICATION_FIELDS} if instance else {"business": Business.NEW}
    )
    if instance and instance.power_sources is not None:
        initial["power_sources"] = str(instance.power_sources)
    form = ApplicationForm(request.POST if request.method == "POST" else None, initial=initial)
    material_errors = {}
    status = 200
    if request.method == "POST":
        application, material_errors = _save_application(request, form, instance=instance)
        if application is not None:
            return redirect("applications:preview", pk=application.pk)
        status = 400
    context = {
        "form": form,
        "instance": instance,
        "voltage": voltage,
        "materials": _materials_context(request, voltage, attached=attached, errors=material_errors),
        "materials_have_errors": bool(material_errors),
    }
    return render(request, "applications/apply.html", context, status=status)


def _save_application(request, form, *, instance):
    data = form.service_data()
    customer = instance.customer if instance else request.user
    try:
        # The service's own validation first, so no file is stored for an application that cannot be.
        v.clean_application(customer=customer, data=data, instance=instance)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None, {}
    ids, material_errors = _collect_documents(request, uploadable_kinds(data["voltage"]))
    if material_errors:
        return None, material_errors
    data["documents"] = ids
    try:
        if instance is None:
            application = services.application_create(customer=request.user, data=data)
        else:
            application = services.application_update(
                application_id=instance.pk, actor=request.user, data=data
            )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None, {}
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return None, {}
    return application, {}


@login_required
def create(request):
    """在线办电: the guided application form (new or increase, LV or HV, applicant, address, capacity)."""
    return _application_page(request)


@login_required
def edit(request, pk):
    """The customer edits its draft (or returned) application with the same form."""
    application = _case_or_404(request.user, pk, _detail_queryset(request.user))
    if not may(request.user, "applications.edit_application", application):
        raise Http404
    if application.state not in (S.DRAFT, S.RETURNED):
        return redirect("applications:detail", pk=pk)
    return _application_page(request, instance=application)


@login_required
@require_POST
def validate_field(request):
    """htmx: check one field of the application form as it is typed (``validation.clean_application``)."""
    field = request.htmx.trigger_name if request.htmx else request.POST.get("_field")
    if field not in APPLICATION_FIELDS:
        field = None
    instance = None
    if request.POST.get("_instance"):
        instance = (
            selectors.applications_visible_to(request.user)
            .filter(customer_id=request.user.pk, pk=request.POST["_instance"])
            .first()
        )
    data = ApplicationForm(request.POST).service_data()
    problems = []
    try:
        v.clean_application(customer=request.user, data=data, instance=instance)
    except ValidationError as exc:
        problems = [m for e in exc.error_dict.get(field, []) for m in e.messages] if field else []
    context = {"field_name": field, "problems": problems, "checked": bool(field and data.get(field))}
    return render(request, "applications/apply.html#field_feedback", context)


@login_required
def preview(request, pk):
    """The generated application form 用电申请书 and the materials, before the customer submits."""
    application = _case_or_404(request.user, pk, _detail_queryset(request.user))
    if application.customer_id != request.user.pk or application.state != S.DRAFT:
        return redirect("applications:detail", pk=pk)
    attached = {d.kind: d for d in application.documents.all()}
    context = {
        "application": application,
        "materials": [
            {**m, "document": attached.get(m["kind"])} for m in materials_explained(application.voltage)
        ],
        "missing": [DocumentKind(k).label for k in application.missing_materials()],
        "submit_form": transition_form("submit", application),
    }
    return render(request, "applications/preview.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def form_frame(request, pk):
    """The printable application form, framed in the preview (same origin only)."""
    return form_views.application_form(request, pk)


@login_required
@require_GET
@xframe_options_sameorigin
def document_preview(request, pk):
    """A document shown inside the case page (the permission-checked download, framed by our pages)."""
    return document_file_response(request.user, pk)


# Customers: my applications and the wallet ------------------------------------------------------------
@login_required
@require_GET
def mine(request):
    """我的申请: the customer's cases, the current stage and its promised date, what to do next."""
    qs = selectors.with_current_stage(
        selectors.applications_visible_to(request.user).filter(customer_id=request.user.pk)
    ).annotate(rated=Exists(SatisfactionRating.objects.filter(application_id=OuterRef("pk"))))
    page = Paginator(qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_list_row(app) for app in page.object_list]
    return render(request, "applications/mine.html", {"page": page, "rows": rows})


def _list_row(app) -> dict:
    stage = getattr(app, "current_stage", None)
    level = getattr(app, "current_level", None)
    if app.state == S.DRAFT:
        action = _("待提交")
    elif app.state == S.RETURNED:
        action = _("待补正资料")
    elif app.paused_at is not None and app.is_open:
        action = _("等待您处理")
    elif app.state == S.CONNECTED and not getattr(app, "rated", True):
        action = _("待评价")
    else:
        action = None
    return {
        "application": app,
        "stage_label": StageCode(stage).label if stage in StageCode.values else None,
        "due_at": getattr(app, "current_due_at", None),
        "due_day": promised_day(getattr(app, "current_due_at", None)),
        "level": level,
        "level_label": Level(level).label if level in Level.values else None,
        "action": action,
    }


@login_required
def wallet(request):
    """资料库: the customer's documents with their validity; upload a new one."""
    if not may(request.user, "applications.upload_document"):
        raise PermissionDenied
    errors, status = {}, 200
    if request.method == "POST":
        kind = request.POST.get("kind") or ""
        valid_until, problem = parse_valid_until(request.POST.get("valid_until"))
        if problem:
            errors["valid_until"] = [problem]
        else:
            try:
                services.document_upload(
                    owner=request.user, kind=kind, file=request.FILES.get("file"), valid_until=valid_until
                )
            except ValidationError as exc:
                errors = {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
        if not errors:
            messages.success(request, _("资料已上传到资料库。"))
            return redirect("applications:wallet")
        status = 400
    today = timezone.localdate()
    docs = (
        Document.objects.filter(owner=request.user)
        .annotate(used=Count("applications"))
        .order_by("kind", "-uploaded_at", "-pk")
    )
    page = Paginator(docs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for doc in page.object_list:
        if doc.rejected_at:
            state = ("rejected", _("已退回"))
        elif doc.valid_until and doc.valid_until < today:
            state = ("expired", _("已过期"))
        else:
            state = ("valid", _("有效"))
        rows.append({"document": doc, "state": state[0], "state_label": state[1]})
    context = {
        "page": page,
        "rows": rows,
        "errors": errors,
        "kinds": [(k, DocumentKind(k).label) for k in uploadable_kinds(Voltage.HIGH)],
        "posted": request.POST,
    }
    return render(request, "applications/wallet.html", context, status=status)


# The case page ----------------------------------------------------------------------------------------
TIMELINE_LABELS = {
    "create": "创建申请",
    "update": "修改申请",
    "submit": "提交申请",
    "return_for_materials": "退回补正（一次性告知）",
    "accept": "受理",
    "reply_plan": "答复供电方案",
    "finish_design": "外线设计完成",
    "permits_granted": "行政审批全部办结",
    "permit_refused": "行政审批未通过",
    "finish_construction": "外线施工完成",
    "connect": "装表接电",
    "withdraw": "撤回申请",
    "terminate": "终止办理",
    "pause": "暂停计时",
    "resume": "恢复计时",
    "rate": "满意度评价",
    "assign_manager": "指定客户经理",
}


def _state_label(code):
    return S(code).label if code in S.values else ""


def _timeline_rows(application) -> list[dict]:
    return [
        {
            "entry": entry,
            "label": _(TIMELINE_LABELS[entry.transition])
            if entry.transition in TIMELINE_LABELS
            else entry.transition,
            "from": _state_label(entry.from_state),
            "to": _state_label(entry.to_state),
        }
        for entry in selectors.timeline(application)
    ]


def _detail_context(request, application, *, bound=None) -> dict:
    """Everything the case page shows; ``bound`` = {key: bound form with errors} for a failed action."""
    user = request.user
    bound = bound or {}
    unmasked = may(user, "applications.see_personal_data", application)
    clocks = selectors.stages_of(application)
    is_owner = application.customer_id == user.pk
    permit_summary = None
    if is_owner and any(c.stage in PERMIT_STAGES for c in clocks):
        from approvals.selectors import permit_stage_summary

        permit_summary = permit_stage_summary(application)
    steps, overall = customer_steps(application, clocks, permit_summary)
    # 超期风险 is the units' business: staff and supervisors see it, the customer sees its commitment.
    risk = None
    if user.is_staff_member and application.is_open and application.submitted_at is not None:
        risk = risks_for([application], today=timezone.localdate(), clocks={application.pk: clocks}).get(
            application.pk
        )
    transitions = []
    for name in selectors.available_transitions(application, user):
        if name == "submit":
            continue  # the customer submits from the preview (draft) or the supply form (returned)
        label, _form_class, danger = TRANSITION_FORMS[name]
        transitions.append(
            {
                "name": name,
                "label": label,
                "danger": danger,
                "form": bound.get(name) or transition_form(name, application),
            }
        )
    transitions.sort(key=lambda t: t["danger"])  # moving the case on first, returning or closing it last
    attached = {d.kind: d for d in application.documents.all()}
    context = {
        "application": application,
        "is_owner": is_owner,
        "id_number": application.id_number if unmasked else mask_id_number(application.id_number),
        "contact_phone": application.contact_phone if unmasked else mask_phone(application.contact_phone),
        "steps": steps,
        "overall": overall,
        "risk": risk,
        "stages": [stage_row(c, None) for c in clocks if c.stage != StageCode.OVERALL],
        "timeline": _timeline_rows(application),
        "transitions": transitions,
        "documents": list(application.documents.all()),
        "materials": [
            {**m, "document": attached.get(m["kind"])} for m in materials_explained(application.voltage)
        ],
        "notice": [
            {"label": DocumentKind(i["kind"]).label, "reason": i.get("reason", ""), "kind": i["kind"]}
            for i in (application.notice or [])
            if i.get("kind") in DocumentKind.values
        ],
        "action": customer_action(application, user),
        "expected_state": application.state,
    }
    worked = application.state not in (S.DRAFT, S.RETURNED) and application.is_open
    if worked and application.paused_at is None and may(user, "applications.pause_clock", application):
        context["pause_form"] = bound.get("pause") or PauseForm(prefix="pause")
    if worked and application.paused_at is not None and may(user, "applications.resume_clock", application):
        context["can_resume"] = True
    if application.state == S.RETURNED and is_owner:
        kinds = [i["kind"] for i in application.notice or []] or uploadable_kinds(application.voltage)
        context["supply_materials"] = _materials_context(
            request, application.voltage, errors=bound.get("supply_errors"), only=set(kinds)
        )
        context["supply_problem"] = bound.get("supply_problem")
    if (
        application.state != S.DRAFT
        and application.is_open
        and may(user, "applications.assign_account_manager", application)
    ):
        context["assign_form"] = bound.get("assign") or AssignManagerForm(
            prefix="assign",
            managers=portal_services.account_managers(),
            initial={"account_manager": application.account_manager_id},
        )
    if application.state == S.CONNECTED:
        rating = SatisfactionRating.objects.filter(application=application).first()
        context["rating"] = rating
        if rating is None and may(user, "applications.rate_service", application):
            context["rating_form"] = bound.get("rating") or RatingForm(prefix="rating")
    if application.needs_permits:
        from approvals.selectors import tasks_visible_to

        context["permit_tasks"] = list(
            tasks_visible_to(user)
            .filter(application=application)
            .select_related("department", "clock")
            .order_by("round", "id")
        )
    if user.is_staff_member and not is_owner and application.state != S.DRAFT:
        # 督办 orders are internal: staff and supervisors who may see the case read them, customers never.
        from accounts.permissions import can
        from supervision.selectors import orders_for_application

        # Only the orders one may open: a department does not read what was ordered of another unit.
        orders = orders_for_application(application)
        context["orders"] = [order for order in orders if can(user, "supervision.view_order", order)]
    context["problem"] = bound.get("problem")
    return context


@login_required
@require_GET
def detail(request, pk):
    """The case page: customer's steps and stages, documents, timeline, and the user's actions."""
    application = _case_or_404(request.user, pk, _detail_queryset(request.user))
    response = render(request, "applications/detail.html", _detail_context(request, application))
    response["Cache-Control"] = "private, no-store"
    return response


def _failed(request, application, *, key, form=None, status, problem=None, partial=None, extra=None):
    """Show the failed action again with its errors (the fragment for htmx, else the whole page)."""
    bound = {"problem": problem, **(extra or {})}
    if form is not None:
        bound[key] = form
    application.refresh_from_db()
    context = _detail_context(request, application, bound=bound)
    if request.htmx and partial:
        context.update({"form": form, "problem": problem, "key": key})
        if key in TRANSITION_FORMS:
            context["t"] = next(
                (t for t in context["transitions"] if t["name"] == key),
                {
                    "name": key,
                    "label": TRANSITION_FORMS[key][0],
                    "danger": TRANSITION_FORMS[key][2],
                    "form": form,
                },
            )
        return render(request, f"applications/detail.html#{partial}", context, status=status)
    return render(request, "applications/detail.html", context, status=status)


def _moved_on(request, application) -> bool:
    expected = request.POST.get("expected_state")
    return bool(expected) and expected != application.state


@login_required
@require_POST
def transition(request, pk, name):
    """Run one transition from its form: 400 with the service's messages, 409 when the case moved on."""
    application = _case_or_404(request.user, pk)
    if name not in TRANSITION_FORMS:
        raise Http404
    form = transition_form(name, application, request.POST)
    fail = {"key": name, "form": form, "partial": "transition_card"}
    if _moved_on(request, application):
        return _failed(request, application, status=409, problem=_conflict_message(application), **fail)
    try:
        services.application_transition(
            application_id=application.pk, name=name, actor=request.user, data=form.service_data()
        )
    except services.UnknownTransition:
        raise Http404
    except PermissionDenied:
        return _failed(request, application, status=403, problem=_("您无权执行此操作。"), **fail)
    except TransitionNotAllowed:
        application.refresh_from_db()
        return _failed(request, application, status=409, problem=_conflict_message(application), **fail)
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, application, status=400, **fail)
    return _done(request, application, _("已完成：%(action)s。") % {"action": TRANSITION_FORMS[name][0]})


@login_required
@require_POST
def supply(request, pk):
    """The customer supplies the materials of the one-time notice and resubmits (``submit``)."""
    application = _case_or_404(request.user, pk, _detail_queryset(request.user))
    if application.customer_id != request.user.pk:
        raise Http404
    if application.state != S.RETURNED:
        return _failed(request, application, key="supply", status=409, problem=_conflict_message(application))
    kinds = [i["kind"] for i in application.notice or []] or uploadable_kinds(application.voltage)
    ids, errors = _collect_documents(request, kinds)
    if errors:
        return _failed(request, application, key="supply", status=400, extra={"supply_errors": errors})
    try:
        services.application_transition(
            application_id=application.pk, name="submit", actor=request.user, data={"documents": ids}
        )
    except (TransitionNotAllowed, PermissionDenied):
        return _failed(request, application, key="supply", status=409, problem=_conflict_message(application))
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        return _failed(request, application, key="supply", status=400, extra={"supply_problem": problem})
    return _done(request, application, _("资料已补齐，申请已重新提交。"))


@login_required
@require_POST
def pause(request, pk):
    application = _case_or_404(request.user, pk)
    form = PauseForm(request.POST, prefix="pause")
    reason = (request.POST.get("pause-reason") or "").strip()
    try:
        services.application_pause(application_id=application.pk, actor=request.user, reason=reason)
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return _failed(request, application, key="pause", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, application, key="pause", form=form, status=400)
    return _done(request, application, _("计时已暂停。"))


@login_required
@require_POST
def resume(request, pk):
    application = _case_or_404(request.user, pk)
    try:
        services.application_resume(application_id=application.pk, actor=request.user)
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return _failed(request, application, key="resume", status=409, problem=str(exc))
    return _done(request, application, _("已恢复计时。"))


@login_required
@require_POST
def assign(request, pk):
    application = _case_or_404(request.user, pk)
    managers = portal_services.account_managers()
    form = AssignManagerForm(request.POST, prefix="assign", managers=managers)
    try:
        portal_services.application_assign_manager(
            application_id=application.pk,
            actor=request.user,
            manager_id=request.POST.get("assign-account_manager"),
        )
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return _failed(request, application, key="assign", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, application, key="assign", form=form, status=400)
    return _done(request, application, _("客户经理已指定。"))


@login_required
@require_POST
def rate(request, pk):
    application = _case_or_404(request.user, pk)
    form = RatingForm(request.POST, prefix="rating")
    try:
        portal_services.application_rate(
            application_id=application.pk,
            actor=request.user,
            score=request.POST.get("rating-score"),
            comment=request.POST.get("rating-comment") or "",
        )
    except PermissionDenied:
        raise Http404
    except TransitionNotAllowed as exc:
        return _failed(request, application, key="rating", form=form, status=409, problem=str(exc))
    except ValidationError as exc:
        apply_errors(form, exc)
        return _failed(request, application, key="rating", form=form, status=400)
    return _done(request, application, _("感谢您的评价！"))


# Staff: the queue ----------------------------------------------------------------------------------------
OPEN_VALUES = [s for s in S.values if s not in (S.CONNECTED, S.WITHDRAWN, S.TERMINATED)]


def _urgency(qs):
    rank = Case(
        *[When(current_level=level, then=Value(i)) for i, level in enumerate(LEVEL_ORDER)],
        default=Value(len(LEVEL_ORDER)),
        output_field=IntegerField(),
    )
    return qs.annotate(urgency=rank).order_by("urgency", F("current_due_at").asc(nulls_last=True), "-id")


class UrgencyQueue:
    """Cases filtered on their own fields, in urgency order of their current stage (the open stage due
    first): escalated, overdue, warning, on time, then by due date. A sequence ``Paginator`` can page.

    On PostgreSQL the current stage of every case is computed once (``DISTINCT ON`` over the open clocks)
    and joined, so a page of the queue costs one sort of the open cases instead of three correlated
    subqueries per case; elsewhere (SQLite for ``make run``) the ORM annotations do the same.
    """

    def __init__(self, qs, *, stage=None, level=None, narrow=False):
        self.qs, self.stage, self.level, self.narrow = qs.order_by(), stage, level, narrow
        self.fast = connection.vendor == "postgresql"

    def _orm(self):
        qs = selectors.with_current_stage(self.qs)
        if self.stage:
            qs = qs.filter(current_stage=self.stage)
        if self.level:
            qs = qs.filter(current_level=self.level)
        return qs

    def _sql(self, select: str, tail: str = "", tail_params=()):
        from deadlines.models import StageClock

        inner, inner_params = self.qs.values("id").query.sql_with_params()
        # The filtered cases as the query's table (PostgreSQL pulls the subquery up into one scan), not
        # "a.id IN (...)", which joined and sorted every case before dropping the filtered-out ones.
        where, params = ["TRUE"], []
        if self.stage:
            where.append("cur.stage = %s")
            params.append(self.stage)
        if self.level:
            where.append("cur.level = %s")
            params.append(self.level)
        # A narrow filter (a search, one manager's cases) reads only the clocks of the cases it keeps.
        narrow = f"AND c.subject_id IN ({inner}) " if self.narrow else ""
        sql = (
            "WITH cur AS (SELECT DISTINCT ON (c.subject_id) c.subject_id, c.stage, c.due_at, c.level "
            f"FROM {StageClock._meta.db_table} c WHERE c.subject_type_id = %s AND c.finished_at IS NULL "
            f"AND c.cancelled_at IS NULL AND c.stage <> %s {narrow}"
            "ORDER BY c.subject_id, c.due_at, c.id) "
            f"SELECT {select} FROM ({inner}) a LEFT JOIN cur ON cur.subject_id = a.id "
            f"WHERE {' AND '.join(where)} {tail}"
        )
        return sql, [
            selectors.application_content_type().pk,
            StageCode.OVERALL,
            *(inner_params if self.narrow else ()),
            *inner_params,
            *params,
            *tail_params,
        ]

    def count(self) -> int:
        if not (self.stage or self.level):
            return self.qs.count()  # every case is in the queue, with or without an open clock
        if not self.fast:
            return self._orm().count()
        with connection.cursor() as cursor:
            cursor.execute(*self._sql("COUNT(*)"))
            return cursor.fetchone()[0]

    def level_counts(self) -> dict:
        if not self.fast:
            rows = self._orm().values("current_level").annotate(n=Count("id")).order_by()
            return {r["current_level"]: r["n"] for r in rows}
        with connection.cursor() as cursor:
            cursor.execute(*self._sql("cur.level, COUNT(*)", "GROUP BY cur.level"))
            return dict(cursor.fetchall())

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("UrgencyQueue is paged with slices")
        start, stop = index.start or 0, index.stop
        if not self.fast:
            return list(_urgency(self._orm().select_related("account_manager"))[start:stop])
        ranks = " ".join(f"WHEN '{level}' THEN {i}" for i, level in enumerate(LEVEL_ORDER))
        order = (
            f"ORDER BY CASE cur.level {ranks} ELSE {len(LEVEL_ORDER)} END, "
            "cur.due_at ASC NULLS LAST, a.id DESC"
        )
        with connection.cursor() as cursor:
            cursor.execute(*self._sql("a.id", f"{order} LIMIT %s OFFSET %s", (stop - start, start)))
            ids = [row[0] for row in cursor.fetchall()]
        found = selectors.with_current_stage(Application.objects.filter(pk__in=ids)).select_related(
            "account_manager"
        )
        by_id = {app.pk: app for app in found}
        return [by_id[pk] for pk in ids if pk in by_id]


@login_required
@require_GET
def queue(request):
    """工单队列: the bureau's cases, most urgent first (escalated, overdue, warning, then due date)."""
    user = request.user
    if not may(user, "applications.view_all_applications"):
        raise PermissionDenied
    base = selectors.applications_visible_to(user)
    params = request.GET
    state = params.get("state", QUEUE_OPEN)
    qs = base
    if state == QUEUE_OPEN:
        qs = qs.filter(state__in=OPEN_VALUES)
    elif state in S.values:
        qs = qs.filter(state=state)
    if params.get("voltage") in Voltage.values:
        qs = qs.filter(voltage=params["voltage"])
    manager = params.get("manager", "")
    if manager.isdigit():
        qs = qs.filter(account_manager_id=int(manager))
    if params.get("mine"):
        qs = qs.filter(account_manager_id=user.pk)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(selectors.search_q(q))
    ordered = UrgencyQueue(
        qs,
        stage=params.get("stage") if params.get("stage") in StageCode.values else None,
        level=params.get("level") if params.get("level") in Level.values else None,
        narrow=bool(q or params.get("mine") or manager.isdigit()),
    )
    with nullcontext():  # page_planner is gone (the lead restructures this view)
        page = Paginator(ordered, PAGE_SIZE).get_page(params.get("page"))
        risks = risks_for(page.object_list, today=timezone.localdate())
        rows = [{**_list_row(app), "risk": risks.get(app.pk)} for app in page.object_list]
        state_counts = {
            row["state"]: row["n"] for row in base.order_by().values("state").annotate(n=Count("id"))
        }
        level_counts = UrgencyQueue(base.filter(state__in=OPEN_VALUES)).level_counts()
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "state_counts": [(s, S(s).label, state_counts.get(s, 0)) for s in S.values if s != S.DRAFT],
        "level_counts": [(lv, Level(lv).label, level_counts.get(lv, 0)) for lv in LEVEL_ORDER],
        "states": [(QUEUE_OPEN, _("全部办理中")), ("all", _("全部"))] + [(s, S(s).label) for s in S.values],
        "stages": [(c, c.label) for c in StageCode if c != StageCode.OVERALL],
        "levels": [(lv, Level(lv).label) for lv in LEVEL_ORDER],
        "voltages": Voltage.choices,
        "managers": portal_services.account_managers(),
        "f": {
            "state": state,
            "stage": params.get("stage", ""),
            "level": params.get("level", ""),
            "voltage": params.get("voltage", ""),
            "manager": manager,
            "mine": bool(params.get("mine")),
            "q": q,
        },
        "querystring": query.urlencode(),
    }
    template = "applications/queue.html#results" if request.htmx else "applications/queue.html"
    return render(request, template, context)
