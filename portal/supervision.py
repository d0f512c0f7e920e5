"""Pages of supervision: the dashboard and its drill-down, exports, the monthly report, 督办 orders,
credit records, and the public service guide. Thin: parse, call a selector or service, render."""

import json
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organisation
from accounts.permissions import can
from applications.forms import apply_errors
from applications.models import Application, ApplicationState, DocumentKind, required_materials
from deadlines.calendar import add_working_days_lenient
from deadlines.models import CreditRecord, Level, StageClock, StageCode
from deadlines.policy import NoPolicyInForce, policy_in_force, rule_for_stage, rules_for
from supervision import credit, drilldown, exports, services
from supervision import figures as figs
from supervision.categories import CATEGORIES, GUIDE_FACTS, category_label
from supervision.filters import default_filters
from supervision.forms import (
    MONTH_OUT_OF_RANGE,
    CreditAddForm,
    CreditRepairForm,
    FilterForm,
    OrderIssueForm,
    OrderTextForm,
    month_in_range,
)
from supervision.models import SupervisionOrder
from supervision.scope import scope_for
from supervision.summary import last_refresh

from .common import promised_day, working_days_late

PAGE_SIZE = 50


def _scope_or_deny(request):
    scope = scope_for(request.user)
    if scope is None or not can(request.user, "supervision.view_dashboard"):
        raise PermissionDenied
    return scope


def _filters(request):
    today = timezone.localdate()
    form = FilterForm(request.GET or None, today=today)
    return form, form.filters(), today


def _drill(f, **params) -> str:
    return (
        reverse("supervision:cases")
        + "?"
        + urlencode({**f.params(), **{k: v for k, v in params.items() if v}})
    )


def _chart_data(figures) -> dict:
    trend = figures["trend"]
    return {
        "trend": {
            "labels": [f"{r['month']:%Y-%m}" for r in trend],
            "submitted": [r["submitted"] for r in trend],
            "connected": [r["connected"] for r in trend],
            "mean": [None if r["mean"] is None else round(r["mean"], 1) for r in trend],
            "labelSubmitted": _("提交"),
            "labelConnected": _("送电"),
            "labelMean": _("平均用时（工作日）"),
        },
        "stages": {
            "labels": [str(r["label"]) for r in figures["durations"]["rows"]],
            "mean": [
                None if r["cells"][0]["mean"] is None else round(r["cells"][0]["mean"], 1)
                for r in figures["durations"]["rows"]
            ],
            "p90": [
                None if r["cells"][0]["p90"] is None else round(r["cells"][0]["p90"], 1)
                for r in figures["durations"]["rows"]
            ],
            "labelMean": _("平均（工作日）"),
            "labelP90": _("90%分位（工作日）"),
        },
        "orgs": {
            "labels": [r["responsible_org__name"] for r in figures["orgs"]],
            "rate": [None if r["rate"] is None else round(r["rate"], 1) for r in figures["orgs"]],
            "label": _("按时办结率（%）"),
        },
    }


@login_required
@require_GET
def dashboard(request):
    """监管看板: every figure of SPEC section 4 for the stages the supervisor coordinates."""
    scope = _scope_or_deny(request)
    form, f, today = _filters(request)
    export = request.GET.get("export") == "xlsx"
    limit = figs.EXPORT_LIST_LIMIT if export else figs.PAGE_LIST_LIMIT
    figures = figs.dashboard(scope, f, today=today, list_limit=limit)
    if export:
        return exports.response(
            f"监管看板-{f.date_from}-{f.date_to}.xlsx", exports.dashboard_sheets(figures, f)
        )
    context = {
        "form": form,
        "f": f,
        "scope": scope,
        "figures": figures,
        "states": [(s, ApplicationState(s).label) for s in figs.CASE_STATES],
        "chart_data": _chart_data(figures),
        "drill": lambda **kw: _drill(f, **kw),
        "export_url": request.path + "?" + urlencode({**f.params(), "export": "xlsx"}),
        "report_url": reverse("supervision:report")
        + "?"
        + urlencode({**f.params(), "month": f"{f.date_to:%Y-%m}"}),
        "levels": [(lv, Level(lv).label) for lv in figs.LIST_LEVELS],
        "refreshed": last_refresh(),
    }
    context["districts"] = [
        {**row, "url": _drill(f, fig="state", district=row["code"]) if row["code"] else ""}
        for row in figs.by_district(scope, f)
    ]
    context["links"] = links = _dashboard_links(figures, f)
    context["level_cards"] = [
        (lv, label, figures["level_counts"][lv], links["level"][lv], figures["lists"][lv])
        for lv, label in context["levels"]
    ]
    context["state_cells"] = [
        (s, label, figures["states"][s], links["state"][s]) for s, label in context["states"]
    ]
    return render(request, "supervision/dashboard.html", context)


def _dashboard_links(figures, f) -> dict:
    """The drill-down URL of every figure, prepared for the template."""
    links = {"state": {s: _drill(f, fig="state", state=s) for s in figs.CASE_STATES}}
    links["state_total"] = _drill(f, fig="state")
    for row in figures["open_stages"]:
        row["links"] = {
            key: _drill(f, fig="open", stage=row["stage"], level="" if key == "total" else key)
            for key in ("total", "paused", "warning", "overdue", "escalated")
        }
    links["level"] = {lv: _drill(f, fig="level", level=lv) for lv in figs.LIST_LEVELS}
    codes = [c for c, _label in figures["durations"]["categories"]]
    for row in figures["durations"]["rows"]:
        for code, cell in zip(codes, row["cells"], strict=True):
            cell["link"] = _drill(f, fig="stage_time", stage=row["stage"], cat="" if code == "all" else code)
    for row in figures["orgs"]:
        org = row["responsible_org"]
        row["link"] = _drill(f, fig="org", org_id=org)
        row["late_link"] = _drill(f, fig="org", org_id=org, late=1)
        row["open_link"] = _drill(f, fig="org", org_id=org, open_overdue=1)
    c = figures["indicators"]["commitments"]
    c["link"] = _drill(f, fig="commitment")
    c["broken_link"] = _drill(f, fig="commitment", broken=1)
    c["open_broken_link"] = _drill(f, fig="open_broken")
    for row in c["rows"]:
        row["link"] = _drill(f, fig="commitment", cat=row["category"])
        row["broken_link"] = _drill(f, fig="commitment", cat=row["category"], broken=1)
    for row in figures["indicators"]["rows"]:
        cat = "" if row["category"] == "all" else row["category"]
        row["link"] = _drill(f, fig="connected", cat=cat)
        row["zero_link"] = _drill(f, fig="connected", cat=cat, zero=1)
    for row in figures["trend"]:
        row["link"] = _drill(f, fig="month", month=f"{row['month']:%Y-%m}")
        row["submitted_link"] = _drill(f, fig="submitted_month", month=f"{row['month']:%Y-%m}")
        row["broken_link"] = _drill(f, fig="month", month=f"{row['month']:%Y-%m}", broken=1)
    if figures["satisfaction"] is not None:
        links["satisfaction"] = _drill(f, fig="satisfaction")
        figures["satisfaction"]["score_links"] = [
            (score, n, _drill(f, fig="satisfaction", score=score))
            for score, n in figures["satisfaction"]["scores"]
        ]
    return links


def _with_orders(user, applications, today) -> None:
    """Each case of a drill-down page with its current clock's due day, working days late, unclosed 督办
    order and whether the user may issue one (three queries for the page)."""
    clock_ids = [a.current_clock_id for a in applications if a.current_clock_id]
    clocks = StageClock.objects.in_bulk(clock_ids) if clock_ids else {}
    orders = {
        o.clock_id: o for o in SupervisionOrder.objects.filter(clock_id__in=clock_ids).exclude(state="closed")
    }
    for a in applications:
        a.due_day = promised_day(a.current_due_at)
        clock = clocks.get(a.current_clock_id)
        a.open_order = orders.get(a.current_clock_id)
        may_issue = clock is not None and can(user, "supervision.issue_order", clock)
        a.may_issue = may_issue and a.open_order is None
    late = working_days_late(
        {a.pk: a.due_day for a in applications if a.current_level in (Level.OVERDUE, Level.ESCALATED)}, today
    )
    for a in applications:
        a.days_late = late.get(a.pk)


@login_required
@require_GET
def cases(request):
    """The cases behind one figure of the dashboard (drill-down), paged, exportable."""
    scope = _scope_or_deny(request)
    form, f, today = _filters(request)
    title, qs = drilldown.drill_down(scope, f, request.GET)
    qs = drilldown.with_case_figures(qs).order_by("-submitted_at", "-pk")
    if request.GET.get("export") == "xlsx":
        return exports.response(f"{title}-{f.date_from}-{f.date_to}.xlsx", [exports.case_sheet(title, qs)])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_orders(request.user, page.object_list, today)
    for a in page.object_list:
        a.category = category_label(a)
        a.stage_label = StageCode(a.current_stage).label if a.current_stage else ""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return render(
        request,
        "supervision/cases.html",
        {
            "title": title,
            "page": page,
            "f": f,
            "form": form,
            "query": params.urlencode(),
            "back_url": reverse("supervision:dashboard") + "?" + urlencode(f.params()),
        },
    )


@login_required
@require_GET
def report(request):
    """The printable monthly report 月度报告 (?month=YYYY-MM), and its Excel export."""
    scope = _scope_or_deny(request)
    form, f, today = _filters(request)
    try:
        month = date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = today.replace(day=1)
    if not month_in_range(month):
        messages.error(request, MONTH_OUT_OF_RANGE)
        month = today.replace(day=1)
    mf = f.with_month(month)
    export = request.GET.get("export") == "xlsx"
    limit = figs.EXPORT_LIST_LIMIT if export else figs.PAGE_LIST_LIMIT
    figures = figs.dashboard(scope, mf, today=today, list_limit=limit)
    if export:
        return exports.response(f"获得电力月度报告-{month:%Y-%m}.xlsx", exports.dashboard_sheets(figures, mf))
    prev = (month - timedelta(days=1)).replace(day=1)
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    base = {k: v for k, v in f.params().items() if k in ("category", "org", "district")}
    return render(
        request,
        "supervision/report.html",
        {
            "month": month,
            "f": mf,
            "figures": figures,
            "scope": scope,
            "states": [(s, ApplicationState(s).label, figures["states"][s]) for s in figs.CASE_STATES],
            "generated_at": timezone.now(),
            "prev_url": request.path + "?" + urlencode({**base, "month": f"{prev:%Y-%m}"}),
            "next_url": request.path + "?" + urlencode({**base, "month": f"{nxt:%Y-%m}"}),
            "export_url": request.path
            + "?"
            + urlencode({**base, "month": f"{month:%Y-%m}", "export": "xlsx"}),
        },
    )


# --- 督办 orders -------------------------------------------------------------------------------------------


def _case_clocks_visible(scope):
    return figs.stage_clocks(scope, default_filters(timezone.localdate()))


@login_required
@require_http_methods(["GET", "POST"])
def order_issue(request, clock_pk):
    scope = _scope_or_deny(request)
    clock = get_object_or_404(_case_clocks_visible(scope).select_related("responsible_org"), pk=clock_pk)
    if not can(request.user, "supervision.issue_order", clock):
        raise PermissionDenied
    application = get_object_or_404(Application, pk=clock.subject_id)
    initial_due = add_working_days_lenient(timezone.localdate(), 3).day
    form = OrderIssueForm(request.POST or None, initial={"reply_due": initial_due})
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_issue(
                clock_id=clock.pk,
                actor=request.user,
                instruction=form.cleaned_data["instruction"],
                reply_due=form.cleaned_data["reply_due"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("督办单已下发，已通知责任单位。"))
            return redirect("supervision:order", pk=order.pk)
    return render(
        request,
        "supervision/order_issue.html",
        {"form": form, "clock": clock, "application": application},
        status=400 if form.errors else 200,
    )


def _orders_for_user(user):
    scope = scope_for(user)
    visible = Q(responsible_org_id__in=user.organisation_family_ids or [])
    if scope is not None:
        visible |= Q(pk__in=figs.orders_visible(scope).values("pk"))
    return SupervisionOrder.objects.filter(visible)


@login_required
@require_GET
def orders(request):
    """督办单: issued by the supervisor's organisation, or addressed to the user's organisation."""
    qs = (
        _orders_for_user(request.user)
        .select_related("application", "issuing_org", "responsible_org")
        .order_by("state", "reply_due", "-pk")
    )
    state = request.GET.get("state", "")
    if state:
        qs = qs.filter(state=state)
    if request.GET.get("export") == "xlsx":
        return exports.response("督办单.xlsx", [exports.order_sheet(qs, _("督办单"))])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/orders.html",
        {
            "page": page,
            "state": state,
            "today": timezone.localdate(),
            "export_url": request.path + "?" + urlencode({"state": state, "export": "xlsx"}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_detail(request, pk):
    order = get_object_or_404(
        _orders_for_user(request.user).select_related(
            "application", "issuing_org", "responsible_org", "issued_by", "clock"
        ),
        pk=pk,
    )
    if not can(request.user, "supervision.view_order", order):
        raise Http404
    form = OrderTextForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        handlers = {
            "answer": services.order_answer,
            "send_back": services.order_send_back,
            "close": services.order_close,
        }
        if action not in handlers:
            raise PermissionDenied
        if form.is_valid():
            try:
                handlers[action](order_id=order.pk, actor=request.user, text=form.cleaned_data["text"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("supervision:order", pk=order.pk)
    user = request.user
    return render(
        request,
        "supervision/order_detail.html",
        {
            "order": order,
            "events": order.events.select_related("actor", "organisation"),
            "form": form,
            "may_answer": can(user, "supervision.answer_order", order),
            "may_close": can(user, "supervision.close_order", order),
            "may_send_back": can(user, "supervision.send_back_order", order),
            "today": timezone.localdate(),
        },
    )


# --- Credit records ----------------------------------------------------------------------------------------


def _credit_page(request, *, title, records, party):
    records = list(records)
    credit.attach_case_numbers(records)
    if request.GET.get("export") == "xlsx":
        return exports.response(f"信用记录-{title}.xlsx", [exports.credit_sheet(records, title)])
    return render(
        request,
        "supervision/credit_list.html",
        {
            "title": title,
            "records": records,
            "party": party,
            "may_correct": can(request.user, "supervision.correct_credit_record"),
            "repair_form": CreditRepairForm(),
            "export_url": request.path + "?export=xlsx",
        },
    )


@login_required
@require_GET
def credit_index(request):
    if not can(request.user, "supervision.view_credit_records"):
        raise PermissionDenied
    return render(
        request,
        "supervision/credit_index.html",
        {
            "organisations": credit.credit_summary_by_organisation(),
            "applicants": credit.credit_summary_by_applicant(),
            "may_add": can(request.user, "supervision.add_credit_record"),
        },
    )


@login_required
@require_GET
def credit_organisation(request, code):
    organisation = get_object_or_404(Organisation, code=code)
    if not can(request.user, "supervision.view_organisation_credit", organisation):
        raise Http404
    return _credit_page(
        request,
        title=organisation.name,
        records=credit.credit_records(organisation=organisation),
        party=organisation,
    )


@login_required
@require_GET
def credit_applicant(request, user_pk):
    if not can(request.user, "supervision.view_credit_records"):
        raise PermissionDenied
    records = credit.credit_records(applicant_id=user_pk)
    first = records.first()
    if first is None:
        raise Http404
    return _credit_page(
        request, title=first.applicant_name or str(first.applicant), records=records, party=first.applicant
    )


@login_required
@require_http_methods(["GET", "POST"])
def credit_add(request):
    if not can(request.user, "supervision.add_credit_record"):
        raise PermissionDenied
    form = CreditAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        application_id = None
        if c["application_number"]:
            application_id = (
                Application.objects.filter(number=c["application_number"].strip())
                .values_list("pk", flat=True)
                .first()
            )
            if application_id is None:
                form.add_error("application_number", _("没有这个申请编号。"))
        if not form.errors:
            try:
                record = services.credit_record_add(
                    actor=request.user,
                    kind=c["kind"],
                    evidence=c["evidence"],
                    organisation_id=c["organisation"].pk if c["organisation"] else None,
                    application_id=application_id,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("信用记录已保存。"))
                if record.organisation_id:
                    return redirect("supervision:credit_organisation", code=record.organisation.code)
                return redirect("supervision:credit_applicant", user_pk=record.applicant_id)
    return render(request, "supervision/credit_add.html", {"form": form})


@login_required
@require_POST
def credit_repair(request, pk):
    record = get_object_or_404(CreditRecord, pk=pk)
    form = CreditRepairForm(request.POST)
    if not can(request.user, "supervision.correct_credit_record"):
        raise PermissionDenied
    if form.is_valid():
        try:
            services.credit_record_repair(
                record_id=record.pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已完成信用修复，原记录保留。"))
    else:
        messages.error(request, _("请填写修复理由与依据。"))
    nxt = request.POST.get("next", "")
    if nxt.startswith("/supervision/"):
        return redirect(nxt)
    return redirect("supervision:credit")


# --- The public page ---------------------------------------------------------------------------------------


@require_GET
def guide(request):
    """办电指南 (no sign-in): per category the materials, stages, limits and units from the policy rules in
    force, the commitments, and this month's figures (no personal data)."""
    today = timezone.localdate()
    try:
        policy = policy_in_force(today)
    except NoPolicyInForce:
        policy = None
    categories = []
    if policy is not None:
        for code, label in CATEGORIES.items():
            facts = GUIDE_FACTS[code]
            overall = rule_for_stage(policy, facts, StageCode.OVERALL)
            categories.append(
                {
                    "code": code,
                    "label": label,
                    "materials": [DocumentKind(k).label for k in required_materials(facts.voltage)],
                    "rules": rules_for(policy, facts),
                    "overall": overall,
                }
            )
        commitments = [r for r in policy.rules.all() if r.stage == StageCode.OVERALL]
    else:
        commitments = []
    return render(
        request,
        "supervision/guide.html",
        {
            "policy": policy,
            "categories": categories,
            "commitments": commitments,
            "live": figs.public_figures(today),
        },
    )


def chart_json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
