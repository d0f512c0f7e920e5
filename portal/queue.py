"""The power bureau's queue 工单队列, most urgent first, with its counts by level and state; and the
meter-visit slots the staff offer."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Max, Prefetch, Value, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import can
from applications import appointments, portal_services, selectors
from applications.forms import PortalForm, apply_errors
from applications.models import (
    OPEN_STATES,
    District,
    Voltage,
)
from deadlines.models import Level, StageCode
from deadlines.risk import risks_for
from deadlines.selectors import open_stage_clocks

from .common import (
    LEVEL_ORDER,
    PAGE_SIZE,
    PERMIT_STAGES,
    QUEUE_OPEN,
    S,
    list_row,
    promised_day,
    working_days_late,
)


def _urgency(qs):
    """Most urgent first: escalated, overdue, warning, on time (by the current stage), then by due date."""
    rank = Case(
        *[When(current_level=level, then=Value(i)) for i, level in enumerate(LEVEL_ORDER)],
        default=Value(len(LEVEL_ORDER)),
        output_field=IntegerField(),
    )
    return qs.annotate(urgency=rank).order_by("urgency", F("current_due_at").asc(nulls_last=True), "-id")


def _with_stage(qs, *, stage=None, level=None):
    """The cases with their current stage, narrowed to one stage or level when asked."""
    qs = selectors.with_current_stage(qs)
    if stage:
        qs = qs.filter(current_stage=stage)
    if level:
        qs = qs.filter(current_level=level)
    return qs


def _slowest_permits(applications) -> dict:
    """{case id: due_at of its slowest open permit clock} for the cases of a page in the permit stage."""
    ids = [a.pk for a in applications if getattr(a, "current_stage", None) in PERMIT_STAGES]
    if not ids:
        return {}
    rows = (
        open_stage_clocks(selectors.application_content_type().pk)
        .filter(subject_id__in=ids, stage__in=PERMIT_STAGES - {StageCode.APPROVAL})
        .values("subject_id")
        .annotate(due=Max("due_at"))
        .values_list("subject_id", "due")
    )
    return dict(rows)


def queue_rows(applications, today) -> list[dict]:
    """The queue's rows: a case in the permit stage shows 行政审批 promised by its slowest permit, and a
    late case how many working days it is late."""
    slowest = _slowest_permits(applications)
    rows = []
    for app in applications:
        row = list_row(app)
        if app.pk in slowest:
            row["stage_label"] = StageCode.APPROVAL.label
            row["due_at"] = slowest[app.pk] or row["due_at"]
            row["due_day"] = promised_day(row["due_at"])
        rows.append(row)
    late = working_days_late(
        {i: r["due_day"] for i, r in enumerate(rows) if r["level"] in (Level.OVERDUE, Level.ESCALATED)}, today
    )
    for i, days in late.items():
        rows[i]["days_late"] = days
    return rows


def _level_counts(qs) -> dict:
    rows = _with_stage(qs.order_by()).values("current_level").annotate(n=Count("id")).order_by()
    return {row["current_level"]: row["n"] for row in rows}


@login_required
@require_GET
def queue(request):
    """工单队列: the bureau's cases, most urgent first (escalated, overdue, warning, then due date)."""
    user = request.user
    if not can(user, "applications.view_all_applications"):
        raise PermissionDenied
    base = selectors.applications_visible_to(user)
    params = request.GET
    state = params.get("state", QUEUE_OPEN)
    qs = base
    if state == QUEUE_OPEN:
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in S.values:
        qs = qs.filter(state=state)
    if params.get("voltage") in Voltage.values:
        qs = qs.filter(voltage=params["voltage"])
    if params.get("district") in District.values:
        qs = qs.filter(district=params["district"])
    manager = params.get("manager", "")
    if manager.isdigit():
        qs = qs.filter(account_manager_id=int(manager))
    if params.get("mine"):
        qs = qs.filter(account_manager_id=user.pk)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(selectors.search_q(q))
    ordered = _urgency(
        _with_stage(
            qs,
            stage=params.get("stage") if params.get("stage") in StageCode.values else None,
            level=params.get("level") if params.get("level") in Level.values else None,
        ).select_related("account_manager")
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(params.get("page"))
    today = timezone.localdate()
    risks = risks_for(page.object_list, today=today)
    rows = [{**row, "risk": risks.get(row["application"].pk)} for row in queue_rows(page.object_list, today)]
    state_counts = {row["state"]: row["n"] for row in base.order_by().values("state").annotate(n=Count("id"))}
    level_counts = _level_counts(base.filter(state__in=OPEN_STATES))
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
        "districts": District.choices,
        "managers": portal_services.account_managers(),
        "f": {
            "state": state,
            "stage": params.get("stage", ""),
            "level": params.get("level", ""),
            "voltage": params.get("voltage", ""),
            "district": params.get("district", ""),
            "manager": manager,
            "mine": bool(params.get("mine")),
            "q": q,
        },
        "querystring": query.urlencode(),
    }
    template = "applications/queue.html#results" if request.htmx else "applications/queue.html"
    return render(request, template, context)


class SlotForm(PortalForm):
    day = forms.DateField(
        label=gettext_lazy("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label=gettext_lazy("开始"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=gettext_lazy("结束"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    capacity = forms.IntegerField(label=gettext_lazy("可预约户数"), required=False, initial=1, min_value=1)


def _instant(day, at):
    return timezone.make_aware(datetime.combine(day, at)) if day and at else None


@login_required
@require_http_methods(["GET", "POST"])
def slots(request):
    """装表预约时段: staff open visit slots for meter installation and see who booked them."""
    if not request.user.has_role("psb_staff", "account_manager"):
        raise PermissionDenied
    form = SlotForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointments.slot_open(
                actor=request.user,
                starts_at=_instant(data["day"], data["start"]),
                ends_at=_instant(data["day"], data["end"]),
                capacity=data["capacity"] or 1,
            )
        except ValidationError as exc:
            errors = {
                {"starts_at": "start", "ends_at": "end"}.get(k, k): v for k, v in exc.error_dict.items()
            }
            apply_errors(form, ValidationError(errors))
            status = 400
        else:
            messages.success(request, _("已开放装表预约时段。"))
            return redirect("applications:slots")
    elif request.method == "POST":
        status = 400
    bookings = appointments.MeterVisitBooking.objects.select_related("application")
    upcoming = (
        appointments.MeterVisitSlot.objects.filter(ends_at__gt=timezone.now())
        .prefetch_related(Prefetch("bookings", queryset=bookings))
        .order_by("starts_at")
    )
    return render(request, "applications/slots.html", {"form": form, "slots": upcoming}, status=status)
