"""The cases behind one figure of the dashboard (its drill-down): one function per figure, chosen
from ``DRILL_DOWNS`` by the figure's name."""

from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from applications.models import ApplicationState, District
from applications.satisfaction import SatisfactionRating
from deadlines.models import Level, StageClock, StageCode
from deadlines.selectors import CURRENT_STAGE_ORDER, open_stage_clocks, with_current_stage

from .categories import CATEGORY_Q
from .figures import (
    CASE_STATES,
    LIST_LEVELS,
    OVERALL,
    STAGE_ORDER,
    UNJUDGED_STAGES,
    _finished,
    _in_period,
    cases,
    overall_clocks,
    stage_clocks,
)
from .filters import Filters, app_ct_id
from .scope import Scope


def _ids(qs: QuerySet[StageClock]):
    return qs.values("subject_id")


def _open(clocks):
    return clocks.filter(finished_at__isnull=True, cancelled_at__isnull=True)


def _month(params) -> date | None:
    try:
        return date.fromisoformat(params.get("month", "") + "-01")
    except ValueError:
        return None


# Each figure: (scope, filters, the cases of the scope, the query's parameters) -> (title, cases), or
# None when its coordinates name nothing.
def _by_state(scope, f, base, params):
    state = params.get("state", "")
    qs = _in_period(base, "submitted_at", f)
    if state in CASE_STATES:
        return _("状态：%(s)s") % {"s": ApplicationState(state).label}, qs.filter(state=state)
    return _("期间内提交的申请"), qs


def _open_in_stage(scope, f, base, params):
    stage, level = params.get("stage", ""), params.get("level", "")
    if stage not in STAGE_ORDER:
        return None
    clocks = _open(stage_clocks(scope, f).filter(stage=stage))
    if level == "paused":
        clocks = clocks.filter(paused_at__isnull=False)
    elif level in Level.values:
        clocks = clocks.filter(level=level)
    return _("在办：%(stage)s") % {"stage": StageCode(stage).label}, base.filter(pk__in=_ids(clocks))


def _at_level(scope, f, base, params):
    level = params.get("level", "")
    if level not in LIST_LEVELS:
        return None
    clocks = _open(stage_clocks(scope, f).filter(level=level))
    return Level(level).label, base.filter(pk__in=_ids(clocks))


def _finished_stage(scope, f, base, params):
    stage = params.get("stage", "")
    if stage not in STAGE_ORDER and stage != OVERALL:
        return None
    source = overall_clocks(scope, f) if stage == OVERALL else stage_clocks(scope, f)
    clocks = _finished(source.filter(stage=stage), f)
    return _("办结：%(stage)s") % {"stage": StageCode(stage).label}, base.filter(pk__in=_ids(clocks))


def _by_organisation(scope, f, base, params):
    if not params.get("org_id", "").isdigit():
        return None
    clocks = (
        stage_clocks(scope, f)
        .filter(responsible_org_id=int(params["org_id"]))
        .exclude(stage__in=UNJUDGED_STAGES)
    )
    if params.get("open_overdue"):
        clocks = _open(clocks).filter(level__in=(Level.OVERDUE, Level.ESCALATED))
    else:
        clocks = _finished(clocks, f)
        if params.get("late"):
            clocks = clocks.filter(finished_late=True)
    return _("责任单位办理情况"), base.filter(pk__in=_ids(clocks))


def _commitment(scope, f, base, params):
    clocks = _finished(overall_clocks(scope, f), f)
    if params.get("broken"):
        clocks = clocks.filter(finished_late=True)
    title = _("超出承诺时间") if params.get("broken") else _("期间内送电")
    return title, base.filter(pk__in=_ids(clocks))


def _open_broken(scope, f, base, params):
    clocks = _open(overall_clocks(scope, f)).filter(level__in=(Level.OVERDUE, Level.ESCALATED))
    return _("在办已超承诺时间"), base.filter(pk__in=_ids(clocks))


def _connected_in_month(scope, f, base, params):
    month = _month(params)
    if month is None:
        return None
    clocks = _in_period(_finished(overall_clocks(scope, f), f.with_month(month)), "finished_at", f)
    if params.get("broken"):
        clocks = clocks.filter(finished_late=True)
    return _("%(month)s 送电") % {"month": f"{month:%Y-%m}"}, base.filter(pk__in=_ids(clocks))


def _submitted_in_month(scope, f, base, params):
    month = _month(params)
    if month is None:
        return None
    qs = _in_period(_in_period(base, "submitted_at", f.with_month(month)), "submitted_at", f)
    return _("%(month)s 提交") % {"month": f"{month:%Y-%m}"}, qs


def _connected(scope, f, base, params):
    qs = _in_period(base, "connected_at", f).filter(submitted_at__isnull=False)
    if params.get("zero"):
        qs = qs.filter(zero_investment=True)
    return _("期间内送电"), qs


def _rated(scope, f, base, params):
    ratings = _in_period(SatisfactionRating.objects.all(), "rated_at", f)
    if params.get("score", "").isdigit():
        ratings = ratings.filter(score=int(params["score"]))
    return _("满意度评价"), base.filter(pk__in=ratings.values("application_id"))


DRILL_DOWNS = {
    "state": _by_state,
    "open": _open_in_stage,
    "level": _at_level,
    "stage_time": _finished_stage,
    "org": _by_organisation,
    "commitment": _commitment,
    "open_broken": _open_broken,
    "month": _connected_in_month,
    "submitted_month": _submitted_in_month,
    "connected": _connected,
    "satisfaction": _rated,
}


def drill_down(scope: Scope, f: Filters, params) -> tuple[str, QuerySet]:
    """(title, cases) behind one figure. ``params`` is the query dict: ``fig`` names the figure
    (``DRILL_DOWNS``), the rest its coordinates (``state``, ``stage``, ``level``, ``cat``, ``late``,
    ``month``, ``score``, ...). An unknown figure, or coordinates that name nothing, give no cases."""
    base = cases(scope, f)
    figure = DRILL_DOWNS.get(params.get("fig", ""))
    found = figure(scope, f, base, params) if figure is not None else None
    title, qs = found if found is not None else ("", base.none())
    cat = params.get("cat", "")
    if cat in CATEGORY_Q:
        qs = qs.filter(CATEGORY_Q[cat])
    if params.get("district") in District.values:
        qs = qs.filter(district=params["district"])
    return str(title), qs


def with_case_figures(qs: QuerySet) -> QuerySet:
    """Annotate each case with its overall working days, its current stage and level (for lists)."""
    ct = app_ct_id()
    overall = StageClock.objects.filter(
        subject_type_id=ct, subject_id=OuterRef("pk"), stage=OVERALL
    ).order_by("-pk")
    current = open_stage_clocks(ct).filter(subject_id=OuterRef("pk")).order_by(*CURRENT_STAGE_ORDER)
    return with_current_stage(
        qs.annotate(
            overall_days=Subquery(overall.values("elapsed_working_days")[:1]),
            overall_late=Subquery(overall.values("finished_late")[:1]),
            current_clock_id=Subquery(current.values("pk")[:1]),
        ),
        ct,
    ).select_related("account_manager")
