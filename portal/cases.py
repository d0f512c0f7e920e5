"""The browser portal's pages for cases: the customer's guided application, "My applications", the case
page (the customer's and the staff's view), the document wallet and the staff queue.

Views are thin: they read with ``selectors``, write with ``services`` (and ``portal_services``), and put a
service's ValidationError back on the form. One view serves a page and its htmx fragment
(``template#partial`` when ``request.htmx``). Outside one's view a case is a 404; a transition the case no
longer allows is a 409 ("someone else moved the case first").
"""

from collections import defaultdict
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from applications import appointments, portal_services, selectors, services
from applications.appointments import MeterVisitBooking
from applications.forms import (
    AssignManagerForm,
    RatingForm,
    VisitBookingForm,
    apply_errors,
    materials_explained,
    uploadable_kinds,
)
from applications.models import (
    AuditEntry,
    DocumentKind,
)
from applications.satisfaction import SatisfactionRating
from applications.transitions import BY_NAME, user_transition
from approvals.selectors import permit_stage_summary, tasks_visible_to
from deadlines.models import Level, StageCode
from deadlines.policy import NoPolicyInForce, policy_in_force, rules_for
from deadlines.risk import risks_for
from supervision.figures import orders_for_application

from .acceptance import acceptance_context
from .commitments import promise_context
from .common import (
    PERMIT_STAGES,
    S,
    case_or_404,
    collect_documents,
    detail_queryset,
    materials_context,
    promised_day,
)
from .pauses import pause_context

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
            StageCode.ROAD_SURVEY,
            StageCode.ROAD_ISSUE,
            StageCode.GREEN_PERMIT,
            StageCode.GREEN_CONSENT,
            StageCode.GREEN_ISSUE,
            StageCode.GREEN_FEE,
            StageCode.RELOCATION_BUDGET,
            StageCode.CONSTRUCTION,
        ),
    ),
    ("install", "竣工装表", (StageCode.INSTALLATION,)),
)


# Helpers ---------------------------------------------------------------------------------------------


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


def stage_row(clock, now, returned_at=frozenset()) -> dict:
    """One stage clock as the pages show it: promised date, state, paused days, provisional marker.

    ``returned_at``: the instants the case was returned for materials; an acceptance clock finished then
    was not "done on time" but sent back to the customer."""
    if clock.cancelled_at:
        status, label = "cancelled", _("已撤销")
    elif clock.finished_at and clock.finished_at in returned_at:
        status, label = "returned", _("退回补正")
    elif clock.finished_at:
        status = "late" if clock.finished_late else "done"
        label = _("超期办结") if clock.finished_late else _("按时办结")
    elif clock.paused_at:
        status = "paused"
        label = _("暂停计时（自 %(day)s 起）") % {"day": f"{timezone.localtime(clock.paused_at):%Y-%m-%d}"}
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
        "limit": clock.limit_working_days,
        "paused_days": clock.paused_working_days,
        "open": clock.finished_at is None and clock.cancelled_at is None,
        "earlier": [],
    }


def pending_row(rule) -> dict:
    """A stage the case has still to go through, with its time limit from the policy."""
    return {
        "clock": None,
        "code": rule.stage,
        "label": StageCode(rule.stage).label,
        "status": "pending",
        "status_label": _("未开始"),
        "level": None,
        "due_day": None,
        "limit": rule.limit_working_days,
        "open": False,
        "earlier": [],
    }


def planned_rules(application) -> list:
    """The stages the case goes through under the policy of its date, in order (as far as known now:
    the design and permit stages appear once the supply plan says they are needed)."""
    try:
        policy = policy_in_force(application.policy_date or timezone.localdate())
    except NoPolicyInForce:
        return []
    return rules_for(policy, application.case_facts())


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


def customer_steps(
    application, clocks, permit_summary=None, *, returned_at=frozenset(), rules=()
) -> tuple[list[dict], dict | None]:
    """The two customer steps with every stage beneath: done, running (due date, paused days) or to
    come (its limit, from ``rules``), and the overall clock.

    A stage worked twice (accepted after a return) shows once, its latest clock, with the earlier round
    beneath it. With ``permit_summary`` (approvals' one-line summary, for the customer), the permit
    clocks are replaced by that one line; staff and supervisors see every permit clock.
    """
    now = timezone.now()
    overall = None
    order = {rule.stage: i for i, rule in enumerate(rules)}
    latest = {}
    summary_row = None
    for clock in sorted(clocks, key=lambda c: c.started_at):
        if clock.stage == StageCode.OVERALL:
            overall = stage_row(clock, now)
            continue
        if permit_summary is not None and clock.stage in PERMIT_STAGES:
            summary_row = summary_row or permit_summary_row(permit_summary)
            latest[StageCode.APPROVAL] = summary_row
            continue
        row = stage_row(clock, now, returned_at)
        if clock.stage in latest:
            row["earlier"] = [*latest[clock.stage]["earlier"], latest[clock.stage]]
        latest[clock.stage] = row
    if application.is_open:
        for rule in rules:
            stage = rule.stage
            if permit_summary is not None and stage in PERMIT_STAGES:
                stage = StageCode.APPROVAL
            if stage not in latest and (stage == rule.stage or stage not in order):
                latest[stage] = pending_row(rule)
    rows = sorted(
        latest.values(),
        key=lambda r: (order.get(r["code"], len(order)), r["clock"].started_at if r["clock"] else now),
    )
    by_step = defaultdict(list)
    for row in rows:
        for code, _label, stages in CUSTOMER_STEPS:
            if row["code"] in stages:
                by_step[code].append(row)
    install_started = any(r["status"] != "pending" for r in by_step["install"])
    steps = []
    for code, label, _stages in CUSTOMER_STEPS:
        rows = by_step[code]
        started = [r for r in rows if r["status"] != "pending"]
        if application.state == S.CONNECTED or (code == "apply" and install_started):
            status = "done"  # power is on, or the case has reached 竣工装表
        elif any(r["open"] for r in started) or (
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


def _missing_reason(application, kind, attached, today) -> str:
    """Why one material kind is not usable on this case: rejected (on which case, why), expired, missing."""
    label = DocumentKind(kind).label
    doc = attached.get(kind)
    if doc is not None and doc.rejected_at is not None:
        other = (
            AuditEntry.objects.filter(
                transition="return_for_materials",
                at=doc.rejected_at,
                application__customer_id=doc.owner_id,
            )
            .exclude(application_id=application.pk)
            .select_related("application")
            .first()
        )
        if other is not None:
            return _("“%(kind)s”已在申请 %(number)s 中被退回（%(reason)s）") % {
                "kind": label,
                "number": other.application.number,
                "reason": doc.rejected_reason or _("未写明原因"),
            }
        return _("“%(kind)s”已被退回（%(reason)s）") % {
            "kind": label,
            "reason": doc.rejected_reason or _("未写明原因"),
        }
    if doc is not None and doc.valid_until is not None and doc.valid_until < today:
        return _("“%(kind)s”已过期（有效期至 %(day)s）") % {
            "kind": label,
            "day": f"{doc.valid_until:%Y-%m-%d}",
        }
    return _("缺少“%(kind)s”") % {"kind": label}


def blocked_actions(application, user) -> list[dict]:
    """Actions the user would have now but cannot run yet, each with the reason (no dead ends)."""
    blocked = []
    if application.state == S.SUBMITTED and can(user, "applications.accept", application):
        today = timezone.localdate()
        missing = application.unpromised_missing(today)
        if missing:
            attached = {}
            for doc in application.documents.all():
                attached.setdefault(doc.kind, doc)
            reasons = [_missing_reason(application, kind, attached, today) for kind in missing]
            blocked.append(
                {
                    "name": "accept",
                    "label": BY_NAME["accept"].label,
                    "reason": _("申请资料不全，暂不能受理：%(reasons)s。请退回补正，一次性告知客户。")
                    % {"reasons": "；".join(reasons)},
                }
            )
    return blocked


# The case page ----------------------------------------------------------------------------------------
def _state_label(code):
    return S(code).label if code in S.values else ""


def _timeline_rows(history) -> list[dict]:
    return [
        {
            "entry": entry,
            "label": BY_NAME[entry.transition].label if entry.transition in BY_NAME else entry.transition,
            "from": _state_label(entry.from_state),
            "to": _state_label(entry.to_state),
        }
        for entry in history
    ]


def _detail_context(request, application, *, bound=None) -> dict:
    """Everything the case page shows; ``bound`` = {key: bound form with errors} for a failed action."""
    user = request.user
    bound = bound or {}
    clocks = selectors.stages_of(application)
    is_owner = application.customer_id == user.pk
    permit_summary = None
    if is_owner and any(c.stage in PERMIT_STAGES for c in clocks):
        permit_summary = permit_stage_summary(application)
    history = selectors.timeline(application)
    returned_at = frozenset(e.at for e in history if e.transition == "return_for_materials")
    steps, overall = customer_steps(
        application, clocks, permit_summary, returned_at=returned_at, rules=planned_rules(application)
    )
    # Everyone sees the predicted completion; 超期风险 is the units' business (staff and supervisors).
    risk = None
    if application.is_open and application.submitted_at is not None:
        risk = risks_for([application], today=timezone.localdate(), clocks={application.pk: clocks}).get(
            application.pk
        )
    transitions = []
    for name in selectors.available_transitions(application, user):
        if name == "submit":
            continue  # the customer submits from the preview (draft) or the supply form (returned)
        step = BY_NAME[name]
        transitions.append(
            {
                "name": name,
                "label": step.label,
                "danger": step.danger,
                "confirm": step.confirm,
                "form": bound.get(name) or step.make_form(application),
            }
        )
    transitions.sort(key=lambda t: t["danger"])  # moving the case on first, returning or closing it last
    attached = {d.kind: d for d in application.documents.all()}
    context = {
        "application": application,
        "is_owner": is_owner,
        **selectors.personal_data_seen(application, user),
        "steps": steps,
        "overall": overall,
        "risk": risk,
        "show_risk": user.is_staff_member,
        "stages": [stage_row(c, None) for c in clocks if c.stage != StageCode.OVERALL],
        "timeline": _timeline_rows(history),
        "transitions": transitions,
        "blocked": blocked_actions(application, user),
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
    context.update(pause_context(user, application, bound=bound.get("pause")))
    context.update(promise_context(user, application))
    context.update(acceptance_context(user, application, bound=bound))
    if worked and application.paused_at is not None and can(user, "applications.resume_clock", application):
        context["can_resume"] = True
    if application.state == S.RETURNED and is_owner:
        kinds = [i["kind"] for i in application.notice or []] or uploadable_kinds(application.voltage)
        context["supply_materials"] = materials_context(
            request, application.voltage, errors=bound.get("supply_errors"), only=set(kinds)
        )
        context["supply_problem"] = bound.get("supply_problem")
    if (
        application.state != S.DRAFT
        and application.is_open
        and can(user, "applications.assign_account_manager", application)
    ):
        context["assign_form"] = bound.get("assign") or AssignManagerForm(
            prefix="assign",
            managers=portal_services.account_managers(),
            initial={"account_manager": application.account_manager_id},
        )
    if application.state == S.CONNECTED:
        rating = SatisfactionRating.objects.filter(application=application).first()
        context["rating"] = rating
        if rating is None and can(user, "applications.rate_service", application):
            context["rating_form"] = bound.get("rating") or RatingForm(prefix="rating")
    context["meter_visit"] = (
        MeterVisitBooking.objects.filter(application=application).select_related("slot").first()
    )
    if is_owner and application.state == S.INSTALLING:
        context["visit_slots"] = list(appointments.open_slots()[:20])
        context["visit_form"] = bound.get("visit")
    if is_owner and application.account_manager_id:
        manager = application.account_manager
        context["manager_contact"] = {"name": str(manager), "phone": manager.work_phone}
    if application.needs_permits:
        context["permit_tasks"] = list(
            tasks_visible_to(user)
            .filter(application=application)
            .select_related("department", "clock")
            .order_by("round", "id")
        )
    if user.is_staff_member and not is_owner and application.state != S.DRAFT:
        # 督办 orders are internal: staff and supervisors who may see the case read them, customers never.
        # Only the orders one may open: a department does not read what was ordered of another unit.
        orders = orders_for_application(application)
        context["orders"] = [order for order in orders if can(user, "supervision.view_order", order)]
    context["problem"] = bound.get("problem")
    return context


@login_required
@require_GET
def detail(request, pk):
    """The case page: customer's steps and stages, documents, timeline, and the user's actions."""
    application = case_or_404(request.user, pk, detail_queryset(request.user))
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
        step = user_transition(key)
        if step is not None:
            context["t"] = next(
                (t for t in context["transitions"] if t["name"] == key),
                {
                    "name": key,
                    "label": step.label,
                    "danger": step.danger,
                    "confirm": step.confirm,
                    "form": form,
                },
            )
        return render(request, f"applications/detail.html#{partial}", context, status=status)
    return render(request, "applications/detail.html", context, status=status)


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
        return _failed(request, application, status=409, problem=problem, **fail)
    except ValidationError as exc:
        if form is not None:
            apply_errors(form, exc)
        return _failed(request, application, status=400, **fail)
    return _done(request, application, done)


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
    return _done(request, application, _("已完成：%(action)s。") % {"action": step.label})


@login_required
@require_POST
def supply(request, pk):
    """The customer supplies the materials of the one-time notice and resubmits (``submit``)."""
    application = case_or_404(request.user, pk, detail_queryset(request.user))
    if application.customer_id != request.user.pk:
        raise Http404
    if application.state != S.RETURNED:
        return _failed(request, application, key="supply", status=409, problem=_conflict_message(application))
    kinds = [i["kind"] for i in application.notice or []] or uploadable_kinds(application.voltage)
    ids, errors = collect_documents(request, kinds)
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


# Staff: the queue ----------------------------------------------------------------------------------------
