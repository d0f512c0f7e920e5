"""The readers of supervision: every dashboard figure as a database aggregate, the cases behind each
figure (drill-down), 督办 orders and credit records, and the public page's figures.

Working days come from the calendar table: a finished clock stores its elapsed working days (customer
time excluded, computed from the cumulative ordinals); the lists compute how late an open clock is as a
difference of ordinals in SQL. Nothing loops over cases in Python.
"""

from collections import OrderedDict
from datetime import date, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from applications.models import OPEN_STATES, Application, ApplicationState, District
from deadlines.calendar import SHANGHAI
from deadlines.models import CalendarDay, Level, StageClock, StageCode
from deadlines.policy import NoPolicyInForce, policy_in_force, rule_for_stage

from .categories import CATEGORIES, CATEGORY_Q, CUSTOMER_PROCEDURES, GUIDE_FACTS
from .filters import Filters, app_ct_id, of_cases, org_family
from .models import CaseMonth, OrderState, StageMonth, SupervisionOrder
from .pauses import pause_figures
from .scope import Scope
from .summary import last_refresh

OVERALL = StageCode.OVERALL
# Stages without a limit of their own are not judged per unit (行政审批 ends with its last permit).
UNJUDGED_STAGES = (StageCode.OVERALL, StageCode.APPROVAL)
STAGE_ORDER = [c for c in StageCode.values if c != OVERALL]
LIST_LEVELS = (Level.ESCALATED, Level.OVERDUE, Level.WARNING)
CASE_STATES = [s for s in ApplicationState.values if s != ApplicationState.DRAFT]
P90 = 0.9
LIST_LIMIT = 200


def _case_ids(q: Q):
    return Application.objects.filter(q).values("pk")


# --- The bases of every figure -----------------------------------------------------------------------------


def stage_clocks(scope: Scope, f: Filters, *, category: bool = True) -> QuerySet:
    """Stage clocks (overall excluded) of cases the supervisor coordinates, filtered (``category=False``:
    all but the category, for ``open_only``)."""
    qs = StageClock.objects.filter(subject_type_id=app_ct_id()).exclude(stage=OVERALL)
    if not scope.is_lead:
        qs = qs.filter(coordinating_org_id__in=scope.org_ids)
    if f.org_id:
        qs = qs.filter(responsible_org_id__in=org_family(f.org_id))
    return of_cases(qs, f, category=category)


def open_only(qs: QuerySet, f: Filters) -> QuerySet:
    """The open clocks of ``qs`` (built without the category filter), in the category of ``f``.

    Open clocks are few: the case's category is read per clock by primary key (a scalar subquery the
    planner cannot turn into a hash over every case of the category)."""
    qs = qs.filter(finished_at__isnull=True, cancelled_at__isnull=True)
    if not f.category:
        return qs
    in_category = Application.objects.filter(CATEGORY_Q[f.category], pk=OuterRef("subject_id")).values("pk")
    return qs.annotate(case_in_category=Subquery(in_category[:1])).filter(case_in_category__isnull=False)


def _case_in_scope(scope: Scope, f: Filters, case_id: str) -> Q:
    """A case the supervisor sees (the lead: every one; others: a stage their unit coordinates) and, with
    a unit filter, one with a stage that unit (or a sub-unit) is responsible for. ``case_id`` names the
    case's id in the query it filters (``"pk"`` for cases, ``"subject_id"`` for their clocks)."""
    clocks = StageClock.objects.filter(subject_type_id=app_ct_id(), subject_id=OuterRef(case_id))
    q = Q()
    if not scope.is_lead:
        q &= Q(Exists(clocks.filter(coordinating_org_id__in=scope.org_ids)))
    if f.org_id:
        q &= Q(Exists(clocks.filter(responsible_org_id__in=org_family(f.org_id)).exclude(stage=OVERALL)))
    return q


def cases(scope: Scope, f: Filters) -> QuerySet:
    """Submitted cases with a stage the supervisor coordinates (the lead: every one), filtered."""
    qs = Application.objects.exclude(state=ApplicationState.DRAFT).filter(_case_in_scope(scope, f, "pk"))
    if f.category:
        qs = qs.filter(CATEGORY_Q[f.category])
    if f.district:
        qs = qs.filter(district=f.district)
    return qs


def by_district(scope: Scope, f: Filters) -> list[dict]:
    """Cases submitted in the period per district 旗县区 (the nine, then those without one): submitted,
    still open, connected. One query on the live cases."""
    rows = {
        r["district"]: r
        for r in _in_period(cases(scope, f), "submitted_at", f)
        .order_by()
        .values("district")
        .annotate(
            n=Count("id"),
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            connected=Count("id", filter=Q(state=ApplicationState.CONNECTED)),
        )
    }
    found = []
    for code, label in [*District.choices, ("", _("未填写"))]:
        row = rows.get(code, {"n": 0, "open": 0, "connected": 0})
        found.append(
            {"code": code, "label": label, "n": row["n"], "open": row["open"], "connected": row["connected"]}
        )
    return found


def overall_clocks(scope: Scope, f: Filters, *, category: bool = True) -> QuerySet:
    """The overall clocks (submission to power-on, customer time excluded) of the cases in scope (live,
    for the drill-down and the open cases)."""
    qs = StageClock.objects.filter(subject_type_id=app_ct_id(), stage=OVERALL)
    return of_cases(qs.filter(_case_in_scope(scope, f, "subject_id")), f, category=category)


def _in_period(qs, field, f: Filters):
    return qs.filter(**{f"{field}__gte": f.start, f"{field}__lt": f.end})


def _finished(qs, f: Filters):
    return _in_period(qs, "finished_at", f).filter(elapsed_working_days__isnull=False)


# --- The summary tables (refreshed by the beat), filtered like the live queries ----------------------------


def _in_sets(field, ids) -> Q:
    q = Q(pk__in=[])
    for pk in ids:
        q |= Q(**{f"{field}__contains": f",{pk},"})
    return q


def stage_rows(scope: Scope, f: Filters, *, overall: bool) -> QuerySet:
    """StageMonth rows of the period: stage rows follow the clock's own organisations, overall rows the
    case's (as ``stage_clocks`` and ``overall_clocks`` do)."""
    qs = StageMonth.objects.filter(month__gte=f.date_from.replace(day=1), month__lte=f.date_to)
    if overall:
        qs = qs.filter(stage=OVERALL)
        if not scope.is_lead:
            qs = qs.filter(_in_sets("case_coords", scope.org_ids))
        if f.org_id:
            qs = qs.filter(_in_sets("case_resps", org_family(f.org_id)))
    else:
        qs = qs.exclude(stage=OVERALL)
        if not scope.is_lead:
            qs = qs.filter(coordinating_org_id__in=scope.org_ids)
        if f.org_id:
            qs = qs.filter(responsible_org_id__in=org_family(f.org_id))
    if f.category:
        qs = qs.filter(category=f.category)
    if f.district:
        qs = qs.filter(district=f.district)
    return qs


def case_rows(scope: Scope, f: Filters, axis: str) -> QuerySet:
    """CaseMonth rows of the period on one axis (submitted, connected, rated), scoped like ``cases``."""
    qs = CaseMonth.objects.filter(axis=axis, month__gte=f.date_from.replace(day=1), month__lte=f.date_to)
    if not scope.is_lead:
        qs = qs.filter(_in_sets("case_coords", scope.org_ids))
    if f.org_id:
        qs = qs.filter(_in_sets("case_resps", org_family(f.org_id)))
    if f.category:
        qs = qs.filter(category=f.category)
    if f.district:
        qs = qs.filter(district=f.district)
    return qs


def _sum(field="n", **filters):
    return Coalesce(Sum(field, filter=Q(**filters) if filters else None), 0)


# --- Figures ------------------------------------------------------------------------------------------------


def state_counts(scope, f) -> dict:
    """Cases submitted in the period, by state (one query, conditional aggregation)."""
    return case_rows(scope, f, "submitted").aggregate(
        total=_sum(), **{state: _sum(state=state) for state in CASE_STATES}
    )


def open_stage_counts(scope, f) -> list[dict]:
    """Clocks running now, by stage: total, paused, warning, overdue, escalated (live)."""
    rows = (
        open_only(stage_clocks(scope, f, category=False), f)
        .values("stage")
        .annotate(
            total=Count("pk"),
            paused=Count("pk", filter=Q(paused_at__isnull=False)),
            warning=Count("pk", filter=Q(level=Level.WARNING)),
            overdue=Count("pk", filter=Q(level=Level.OVERDUE)),
            escalated=Count("pk", filter=Q(level=Level.ESCALATED)),
        )
        .order_by()
    )
    by_stage = {r["stage"]: r for r in rows}
    return [{**by_stage[s], "label": StageCode(s).label} for s in STAGE_ORDER if s in by_stage]


def _histogram_cell(histogram: dict) -> dict:
    """n, mean and percentile_cont(0.9) of a {working days: count} histogram."""
    n = sum(histogram.values())
    if not n:
        return {"n": 0, "mean": None, "p90": None}
    mean = sum(days * count for days, count in histogram.items()) / n
    pos = (n - 1) * P90
    lo, hi = int(pos), min(int(pos) + 1, n - 1)

    def at(index):
        seen = 0
        for days in sorted(histogram):
            seen += histogram[days]
            if seen > index:
                return days
        return None

    lo_value, hi_value = at(lo), at(hi)
    return {"n": n, "mean": mean, "p90": float(lo_value + (hi_value - lo_value) * (pos - lo))}


def stage_durations(scope, f) -> dict:
    """Mean and 90th percentile working days per stage (and overall) and per category, customer time
    excluded, of the clocks finished in the period: summed per working-day value in the database, the
    percentile read off that histogram (exactly what percentile_cont gives on the rows)."""
    categories = ["all", *([f.category] if f.category else CATEGORIES)]
    histograms = {}
    for overall in (False, True):
        rows = (
            stage_rows(scope, f, overall=overall)
            .values("stage", "category", "elapsed")
            .annotate(count=Sum("n"))
            .order_by()
        )
        for r in rows:
            for code in ("all", r["category"]):
                cell = histograms.setdefault(r["stage"], {}).setdefault(code, {})
                cell[r["elapsed"]] = cell.get(r["elapsed"], 0) + r["count"]
    result = []
    for code in [*STAGE_ORDER, OVERALL]:
        if code in histograms:
            result.append(
                {
                    "stage": code,
                    "label": StageCode(code).label,
                    "cells": [
                        {"stage": code, **_histogram_cell(histograms[code].get(c, {}))} for c in categories
                    ],
                }
            )
    return {
        "categories": [(c, _("全部") if c == "all" else CATEGORIES[c]) for c in categories],
        "rows": result,
    }


def on_time_by_org(scope, f) -> list[dict]:
    """Per responsible organisation: stage clocks finished in the period, on time and late, the on-time
    rate (%), and the clocks overdue right now (live)."""
    finished = list(
        stage_rows(scope, f, overall=False)
        .exclude(stage__in=UNJUDGED_STAGES)
        .filter(responsible_org_id__isnull=False)
        .values("responsible_org_id")
        .annotate(finished=_sum(), late_n=_sum(late=True), on_time_n=_sum(late=False))
        .annotate(rate=Cast(F("on_time_n"), FloatField()) * Value(100.0) / Cast(F("finished"), FloatField()))
        .order_by()
    )
    open_late = dict(
        open_only(stage_clocks(scope, f, category=False), f)
        .filter(
            level__in=(Level.OVERDUE, Level.ESCALATED),
            responsible_org__isnull=False,
        )
        .values("responsible_org")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("responsible_org", "n")
    )
    ids = {r["responsible_org_id"] for r in finished} | set(open_late)
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    rows = []
    for r in finished:
        org = orgs[r["responsible_org_id"]]
        rows.append(
            {
                "n": r["finished"],
                "late": r["late_n"],
                "on_time": r["on_time_n"],
                "rate": r["rate"],
                "responsible_org": org.pk,
                "responsible_org__name": org.name,
                "sort": (org.sort_order, org.pk),
                "open_overdue": open_late.pop(org.pk, 0),
            }
        )
    for pk, n in open_late.items():
        org = orgs[pk]
        rows.append(
            {
                "responsible_org": pk,
                "responsible_org__name": org.name,
                "sort": (org.sort_order, org.pk),
                "n": 0,
                "late": 0,
                "on_time": 0,
                "rate": None,
                "open_overdue": n,
            }
        )
    return sorted(rows, key=lambda r: r["sort"])


def _overall_limits() -> dict:
    """The overall commitment per category (working days) from the policy in force, and the average."""
    try:
        policy = policy_in_force(timezone.localdate())
    except NoPolicyInForce:
        return {"average": None}
    limits = {"average": policy.average_max_working_days}
    for code, facts in GUIDE_FACTS.items():
        rule = rule_for_stage(policy, facts, OVERALL)
        limits[code] = rule.limit_working_days if rule else None
    return limits


def _mean(total, n):
    return None if not n else total / n


def commitments(scope, f) -> dict:
    """The overall commitments (average ≤ 25; LV without external works ≤ 5; with ≤ 30) over the cases
    connected in the period, and how many broke theirs; plus the open cases already past theirs (live)."""
    weighted = F("elapsed") * F("n")
    aggregates = {"cases": _sum(), "days": _sum(weighted), "broken": _sum(late=True)}
    for code in CATEGORIES:
        aggregates[f"{code}__n"] = _sum(category=code)
        aggregates[f"{code}__days"] = _sum(weighted, category=code)
        aggregates[f"{code}__broken"] = _sum(category=code, late=True)
    agg = stage_rows(scope, f, overall=True).aggregate(**aggregates)
    open_broken = (
        open_only(overall_clocks(scope, f, category=False), f)
        .filter(level__in=(Level.OVERDUE, Level.ESCALATED))
        .count()
    )
    limits = _overall_limits()
    rows = [
        {
            "category": code,
            "label": label,
            "limit": limits.get(code),
            "n": agg[f"{code}__n"],
            "mean": _mean(agg[f"{code}__days"], agg[f"{code}__n"]),
            "broken": agg[f"{code}__broken"],
        }
        for code, label in CATEGORIES.items()
        if not f.category or code == f.category
    ]
    mean = _mean(agg["days"], agg["cases"])
    average_limit = limits.get("average")
    return {
        "n": agg["cases"],
        "mean": mean,
        "broken": agg["broken"],
        "average_limit": average_limit,
        "average_met": None if mean is None or average_limit is None else mean <= average_limit,
        "rows": rows,
        "open_broken": open_broken,
    }


def monthly_trend(scope, f) -> list[dict]:
    """Per month of the period: cases submitted, cases connected, their mean working days and how many
    broke their commitment."""
    connected = (
        stage_rows(scope, f, overall=True)
        .values("month")
        .annotate(connected=_sum(), days=_sum(F("elapsed") * F("n")), broken=_sum(late=True))
        .order_by("month")
    )
    submitted = case_rows(scope, f, "submitted").values("month").annotate(submitted=_sum()).order_by("month")
    months = OrderedDict()
    month = f.date_from.replace(day=1)
    while month <= f.date_to:
        months[month] = {"month": month, "submitted": 0, "connected": 0, "mean": None, "broken": 0}
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    for row in submitted:
        months[row["month"]]["submitted"] = row["submitted"]
    for row in connected:
        months[row["month"]].update(
            connected=row["connected"], mean=_mean(row["days"], row["connected"]), broken=row["broken"]
        )
    return list(months.values())


def indicators(scope, f) -> dict:
    """The 获得电力 indicators of the cases connected in the period: procedures, time in working days
    (overall clock) and calendar days, customer cost, share of zero-investment cases; by category."""
    groups = ["all", *[c for c in CATEGORIES if not f.category or c == f.category]]
    aggregates = {}
    for code in groups:
        where = {} if code == "all" else {"category": code}
        aggregates[f"{code}__n"] = _sum(**where)
        aggregates[f"{code}__seconds"] = Sum("calendar_seconds", filter=Q(**where) if where else None)
        aggregates[f"{code}__cost"] = Sum("cost_sum", filter=Q(**where) if where else None)
        aggregates[f"{code}__cost_n"] = _sum("cost_n", **where)
        aggregates[f"{code}__zero"] = _sum("zero_n", **where)
    agg = case_rows(scope, f, "connected").aggregate(**aggregates)
    working = commitments(scope, f)
    working_by = {r["category"]: r["mean"] for r in working["rows"]}
    working_by["all"] = working["mean"]
    rows = []
    for code in groups:
        n = agg[f"{code}__n"]
        seconds = agg[f"{code}__seconds"]
        rows.append(
            {
                "category": code,
                "label": _("全部") if code == "all" else CATEGORIES[code],
                "procedures": len(CUSTOMER_PROCEDURES.get(code, CUSTOMER_PROCEDURES["lv_plain"])),
                "n": n,
                "working_days": working_by.get(code),
                "calendar_days": None if not n or seconds is None else seconds / n / 86400,
                "cost": _mean(agg[f"{code}__cost"], agg[f"{code}__cost_n"]),
                "zero": agg[f"{code}__zero"],
                "zero_share": None if not n else agg[f"{code}__zero"] * 100.0 / n,
            }
        )
    return {"rows": rows, "commitments": working}


def satisfaction(scope, f) -> dict:
    """Ratings given in the period on cases in scope: count, mean score, count per score."""
    agg = case_rows(scope, f, "rated").aggregate(
        ratings=_sum(), points=_sum(F("score") * F("n")), **{f"s{i}": _sum(score=i) for i in range(1, 6)}
    )
    agg["n"] = agg["ratings"]
    agg["mean"] = _mean(agg["points"], agg["n"])
    agg["scores"] = [(i, agg[f"s{i}"]) for i in range(5, 0, -1)]
    return agg


def _ordinal_of(expression):
    return Subquery(CalendarDay.objects.filter(date=expression).values("ordinal")[:1])


def with_working_days_late(qs: QuerySet, today: date) -> QuerySet:
    """Annotate ``days_late``: working days from the due day to ``today`` (negative: days left), from the
    cumulative ordinals of the calendar table."""
    last_day = TruncDate(
        ExpressionWrapper(F("due_at") - timedelta(microseconds=1), output_field=DateTimeField()),
        tzinfo=SHANGHAI,
    )
    return qs.annotate(due_day=last_day).annotate(
        days_late=ExpressionWrapper(
            _ordinal_of(Value(today)) - _ordinal_of(OuterRef("due_day")), output_field=IntegerField()
        )
    )


def level_lists(scope, f, *, today: date, limit: int = LIST_LIMIT) -> dict:
    """The warning, overdue and escalated lists: open stage clocks at that level, most urgent first, with
    their case, their working days late and any unclosed 督办 order."""
    qs = open_only(stage_clocks(scope, f, category=False), f)
    found = {}
    for level in LIST_LEVELS:
        found[level] = list(
            with_working_days_late(qs.filter(level=level), today)
            .select_related("responsible_org", "coordinating_org")
            .order_by("due_at", "pk")[:limit]
        )
    for level in (Level.OVERDUE, Level.ESCALATED):
        for clock in found[level]:
            # Late from the day after the due day: at least one working day, as the credit record counts.
            clock.days_late = max(1, clock.days_late or 0)
    clocks = [c for rows in found.values() for c in rows]
    _attach_cases(clocks)
    return found


def _attach_cases(clocks) -> None:
    ids = {c.subject_id for c in clocks}
    by_id = Application.objects.only(
        "pk", "number", "applicant_name", "state", "voltage", "power_sources", "external_works"
    ).in_bulk(ids)
    orders = {
        o.clock_id: o
        for o in SupervisionOrder.objects.filter(clock__in=clocks).exclude(state=OrderState.CLOSED)
    }
    for clock in clocks:
        clock.application = by_id.get(clock.subject_id)
        clock.open_order = orders.get(clock.pk)


def at_risk(scope, f, *, limit: int = LIST_LIMIT) -> dict:
    """超期风险: open cases whose overall commitment has fewer working days left than their remaining
    stages need (``deadlines.risk``, judged by the beat), soonest due first, with their cases."""
    qs = StageClock.objects.filter(subject_type_id=app_ct_id(), stage=OVERALL, at_risk=True)
    if not scope.is_lead:
        qs = qs.filter(coordinating_org_id__in=scope.org_ids)
    if f.org_id:
        qs = qs.filter(responsible_org_id__in=org_family(f.org_id))
    qs = open_only(qs, f)
    rows = list(qs.order_by("due_at", "pk")[:limit])
    _attach_cases(rows)
    for clock in rows:
        clock.due_day = timezone.localtime(clock.due_at - timedelta(microseconds=1)).date()
    return {"count": qs.count() if len(rows) == limit else len(rows), "rows": rows}


def level_counts(scope, f) -> dict:
    qs = open_only(stage_clocks(scope, f, category=False), f)
    return qs.aggregate(**{level: Count("pk", filter=Q(level=level)) for level in LIST_LEVELS})


def orders_visible(scope: Scope) -> QuerySet:
    qs = SupervisionOrder.objects.all()
    if not scope.is_lead:
        qs = qs.filter(Q(issuing_org_id__in=scope.org_ids) | Q(responsible_org_id__in=scope.org_ids))
    return qs


def orders_summary(scope, f, *, today: date) -> dict:
    qs = orders_visible(scope)
    if f.category:
        qs = qs.filter(application__in=_case_ids(CATEGORY_Q[f.category]))
    if f.org_id:
        qs = qs.filter(responsible_org_id__in=org_family(f.org_id))
    agg = qs.aggregate(
        open=Count("pk", filter=Q(state=OrderState.OPEN)),
        answered=Count("pk", filter=Q(state=OrderState.ANSWERED)),
        closed=Count("pk", filter=Q(state=OrderState.CLOSED)),
        reply_overdue=Count("pk", filter=Q(state=OrderState.OPEN, reply_due__lt=today)),
    )
    agg["unclosed"] = list(
        qs.exclude(state=OrderState.CLOSED)
        .select_related("application", "responsible_org", "issuing_org")
        .order_by("reply_due", "pk")[:LIST_LIMIT]
    )
    return agg


PAGE_LIST_LIMIT = 50
EXPORT_LIST_LIMIT = 20_000


def dashboard(scope: Scope, f: Filters, *, today: date, list_limit: int = PAGE_LIST_LIMIT) -> dict:
    """Every figure of the dashboard (the warning lists cut at ``list_limit`` rows each, most urgent
    first; their cards link to the full lists)."""
    return _dashboard(scope, f, today=today, list_limit=list_limit)


def _dashboard(scope, f, *, today, list_limit) -> dict:
    return {
        "states": state_counts(scope, f),
        "open_stages": open_stage_counts(scope, f),
        "level_counts": level_counts(scope, f),
        "lists": level_lists(scope, f, today=today, limit=list_limit),
        "at_risk": at_risk(scope, f, limit=list_limit),
        "durations": stage_durations(scope, f),
        "orgs": on_time_by_org(scope, f),
        "indicators": indicators(scope, f),
        "trend": monthly_trend(scope, f),
        "satisfaction": satisfaction(scope, f),
        "orders": orders_summary(scope, f, today=today),
        "pauses": pause_figures(scope, f, limit=list_limit),
    }


# --- For the case page -------------------------------------------------------------


def orders_for_application(application) -> list[SupervisionOrder]:
    """The case's 督办 orders, oldest first, each with ``events`` (issued, answered, sent back, closed)
    prefetched, for the case timeline. Visibility of the case is the caller's check."""
    return list(
        SupervisionOrder.objects.filter(application=application)
        .select_related("issuing_org", "responsible_org", "issued_by")
        .prefetch_related("events__actor", "events__organisation")
        .order_by("issued_at", "pk")
    )


# --- The public page ---------------------------------------------------------------------------------------


def public_figures(today: date) -> dict:
    """This month's figures for the public page, with no personal data: cases connected, their mean
    working days (customer time excluded), and the on-time rate of the stages finished this month."""
    everything = Scope(user=None, org_ids=[], is_lead=True)
    f = Filters(date_from=today.replace(day=1), date_to=today)
    overall = stage_rows(everything, f, overall=True).aggregate(
        cases=_sum(), days=_sum(F("elapsed") * F("n")), broken=_sum(late=True)
    )
    stages = (
        stage_rows(everything, f, overall=False)
        .exclude(stage__in=UNJUDGED_STAGES)
        .aggregate(finished=_sum(), on_time=_sum(late=False))
    )
    connected = case_rows(everything, f, "connected").aggregate(cases=_sum())["cases"]
    return {
        "month": f.date_from,
        "connected": connected,
        "mean_working_days": _mean(overall["days"], overall["cases"]),
        "broken": overall["broken"],
        "stages_finished": stages["finished"],
        "on_time_rate": None if not stages["finished"] else stages["on_time"] * 100.0 / stages["finished"],
        "refreshed": last_refresh(),
    }
