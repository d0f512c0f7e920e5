"""What every view of the case page shares: what the page shows, and its answer to a failed or done action."""

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import can
from applications import appointments, correction_services, pause_services, portal_services, selectors
from applications.appointments import MeterVisitBooking
from applications.forms import (
    AssignManagerForm,
    PortalForm,
    RatingForm,
    materials_explained,
    uploadable_kinds,
)
from applications.models import ApplicantType, AuditEntry, DocumentKind, Voltage
from applications.pause_selectors import confirmed_by, pauses_of
from applications.pauses import PauseState
from applications.returns import ReturnApproval
from applications.satisfaction import SatisfactionRating
from applications.transitions import BY_NAME, user_transition
from approvals.selectors import permit_stage_summary, tasks_visible_to
from deadlines.models import Level, PauseReason, StageCode
from deadlines.policy import NoPolicyInForce, policy_in_force, rules_for
from deadlines.risk import risks_for
from supervision.figures import orders_for_application

from .commitments import promise_context
from .common import PERMIT_STAGES, S, materials_context, promised_day

R = PauseReason.Kind


# The customer's steps and the stages beneath ----------------------------------------------------------
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


# At acceptance ----------------------------------------------------------------------------------------
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
        application.state == S.SUBMITTED
        and can(user, "applications.approve_second_return", application)
        and AuditEntry.objects.filter(application=application, transition="return_for_materials").exists()
        and not ReturnApproval.objects.filter(application=application, used_at=None).exists()
    ):
        context["approve_return_form"] = bound.get("approve_return") or ApproveReturnForm(
            prefix="approve_return"
        )
    return context


# Pauses -----------------------------------------------------------------------------------------------
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


def ask_kinds(user, application) -> list[str] | None:
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
    kinds = ask_kinds(user, application)
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


def detail_context(request, application, *, bound=None) -> dict:
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


# Answering an action ----------------------------------------------------------------------------------
def failed(request, application, *, key, form=None, status, problem=None, partial=None, extra=None):
    """Show the failed action again with its errors (the fragment for htmx, else the whole page)."""
    bound = {"problem": problem, **(extra or {})}
    if form is not None:
        bound[key] = form
    application.refresh_from_db()
    context = detail_context(request, application, bound=bound)
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


def done(request, application, message):
    """After a successful action: back to the case page (htmx follows with a full navigation)."""
    messages.success(request, message)
    url = reverse("applications:detail", kwargs={"pk": application.pk})
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
