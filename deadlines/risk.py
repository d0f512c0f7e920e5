"""超期风险 at risk and the predicted completion date (SPEC 2): judged from what cases actually take.

Each stage is expected to take what stages of its kind (stage and limit) took over the last 12 months:
the median of their working days (``StageNorm``, recomputed by ``refresh``), or its limit where fewer than
``MIN_SAMPLES`` finished. The need of a case is, for each stage still ahead on its path
(``deadlines.policy.rules_for``), that expectation less the working days a running stage has already
taken (never below 0), the parallel permits counting as their slowest one; the predicted completion is
the need's working day after today, at the median and at the 90th percentile. A case is at risk when the
median need is more than the working days left on its overall commitment. Today is not counted on either
side (the deadline is the end of its day). Nothing is judged for a paused case; an overdue case or one
without an overall limit (HV) gets its prediction but no flag.

Everything is read for a page of cases at once (``risks_for``): clocks, norms, policy rules and calendar
ordinals in a constant number of queries.
"""

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Aggregate, Count, IntegerField

from .calendar import local_date, start_of_day
from .models import CalendarDay, Level, PolicyDocument, StageClock, StageCode, StageNorm
from .policy import RULES, CaseFacts, rules_for

# The umbrella of the permits has no limit of its own; the green fee follows the relocation, off the
# connection's path.
OFF_PATH = frozenset({StageCode.OVERALL, StageCode.APPROVAL, StageCode.GREEN_FEE})
PARALLEL = frozenset({StageCode.PLANNING_PERMIT, StageCode.ROAD_PERMIT, StageCode.GREEN_PERMIT})
# Below this many finished stages of a kind in the window, the limit stands in for the history.
MIN_SAMPLES = 20
HISTORY_DAYS = 365
_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Expected:
    """The working days a stage of one kind is expected to take."""

    median: int
    p90: int
    from_history: bool


@dataclass(frozen=True)
class Risk:
    budget: int | None  # working days left on the overall commitment; None without an overall limit
    need: int  # working days the remaining stages take at the median of the last 12 months
    need_p90: int  # the same at the 90th percentile
    overdue: bool = False  # the overall commitment is already broken
    predicted: date | None = None  # the working day the case is expected to be connected (median)
    predicted_p90: date | None = None

    @property
    def at_risk(self) -> bool:
        return self.budget is not None and not self.overdue and self.need > self.budget


def _last_day(clock: StageClock) -> date:
    return local_date(clock.due_at - _ONE_US)  # due at 24:00 of its last day


def expected(norms: dict, stage: str, limit: int | None) -> Expected:
    """The expectation of a stage with this limit: its history when it has ``MIN_SAMPLES``, else the limit."""
    norm = norms.get((stage, limit))
    if norm is not None and norm.samples >= MIN_SAMPLES:
        return Expected(norm.median_working_days, norm.p90_working_days, True)
    return Expected(limit or 0, limit or 0, False)


def assess(
    clocks, facts: CaseFacts, policy: PolicyDocument, *, today: date, ordinals: dict, norms: dict
) -> Risk | None:
    """The case's risk from its clocks (all of them), its facts, its policy and the stage norms
    ({(stage, limit): StageNorm}); ``ordinals`` maps dates to calendar ordinals (``CalendarDay.ordinal``)
    and must hold today, the open clocks' start days and the overall clock's last day. None when there
    is nothing to judge. The predicted dates are left to ``risks_for``."""
    is_open = [c for c in clocks if c.finished_at is None and c.cancelled_at is None]
    overall = next((c for c in is_open if c.stage == StageCode.OVERALL), None)
    if overall is None or overall.paused_at is not None:
        return None
    running = {c.stage: c for c in is_open if c.stage not in OFF_PATH}
    path = [r for r in rules_for(policy, facts) if r.stage not in OFF_PATH]
    position = {r.stage: i for i, r in enumerate(path)}
    here = [position[s] for s in running if s in position]
    if not here or today not in ordinals:
        return None
    budget = None
    if overall.due_at is not None:
        last = ordinals.get(_last_day(overall))
        if last is None:
            return None
        budget = max(0, last - ordinals[today])

    sequence, parallel = [0, 0], [[], []]
    for i, rule in enumerate(path):
        if rule.stage in running:
            clock = running[rule.stage]
            start = ordinals.get(local_date(clock.started_at))
            if start is None:
                return None
            taken = max(0, ordinals[today] - start - clock.paused_working_days)
            exp = expected(norms, rule.stage, clock.limit_working_days)
            days = (max(0, exp.median - taken), max(0, exp.p90 - taken))
        elif i > max(here):
            exp = expected(norms, rule.stage, rule.limit_working_days)
            days = (exp.median, exp.p90)
        else:
            continue  # behind the case (done, or not on this round)
        for k in (0, 1):
            if rule.stage in PARALLEL:
                parallel[k].append(days[k])
            else:
                sequence[k] += days[k]
    need, need_p90 = (sequence[k] + max(parallel[k], default=0) for k in (0, 1))
    return Risk(
        budget=budget,
        need=need,
        need_p90=need_p90,
        overdue=overall.level in (Level.OVERDUE, Level.ESCALATED),
    )


def norms_read() -> dict:
    """{(stage, limit): StageNorm}: the last computed norms (one query)."""
    return {(n.stage, n.limit_working_days): n for n in StageNorm.objects.all()}


class _Percentile(Aggregate):
    """PostgreSQL's ``percentile_disc(fraction) WITHIN GROUP (ORDER BY expression)``: an observed value."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile_disc(values: list[int], fraction: float) -> int:
    """PostgreSQL's ``percentile_disc``: the first sorted value at or past ``fraction`` of ``values``."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def _norm_rows(samples) -> list[dict]:
    """``norms_refresh``'s rows from (stage, limit, elapsed) samples, as PostgreSQL's query gives them."""
    groups: dict[tuple, list[int]] = {}
    for stage, limit, elapsed in samples:
        groups.setdefault((stage, limit), []).append(elapsed)
    return [
        {
            "stage": stage,
            "limit_working_days": limit,
            "samples": len(values),
            "median": percentile_disc(values, 0.5),
            "p90": percentile_disc(values, 0.9),
        }
        for (stage, limit), values in groups.items()
    ]


def norms_refresh(*, today: date) -> int:
    """Compute the norms again from the stages finished (not cancelled) in the ``HISTORY_DAYS`` before
    ``today``, overall excluded. Replaces every row; idempotent. Returns the count of rows."""
    since = start_of_day(today - timedelta(days=HISTORY_DAYS))
    finished = StageClock.objects.filter(
        finished_at__gte=since,
        finished_at__lt=start_of_day(today + timedelta(days=1)),
        cancelled_at__isnull=True,
        elapsed_working_days__isnull=False,
        limit_working_days__isnull=False,
    ).exclude(stage=StageCode.OVERALL)
    if connection.vendor == "postgresql":
        rows = (
            finished.order_by()
            .values("stage", "limit_working_days")
            .annotate(
                samples=Count("id"),
                median=_Percentile("elapsed_working_days", 0.5),
                p90=_Percentile("elapsed_working_days", 0.9),
            )
        )
    else:  # make run's SQLite has no percentile_disc: the same figures from the rows
        rows = _norm_rows(finished.values_list("stage", "limit_working_days", "elapsed_working_days"))
    norms = [
        StageNorm(
            stage=r["stage"],
            limit_working_days=r["limit_working_days"],
            samples=r["samples"],
            median_working_days=min(r["median"], 32767),
            p90_working_days=min(r["p90"], 32767),
            computed_on=today,
        )
        for r in rows
    ]
    with transaction.atomic():
        StageNorm.objects.all().delete()
        StageNorm.objects.bulk_create(norms)
    return len(norms)


def risks_for(cases, *, today: date, clocks: dict | None = None) -> dict[int, Risk]:
    """{case id: Risk} for the open cases among ``cases`` (applications with ``case_facts()`` and
    ``policy_date``), predicted dates included; a case with nothing to judge is left out. Six queries
    whatever the number of cases, five when ``clocks`` ({case id: its clocks}) are already read."""
    cases = [c for c in cases if c.pk is not None and c.policy_date is not None]
    if not cases:
        return {}
    if clocks is None:
        clocks = {}
        for clock in StageClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(type(cases[0])),
            subject_id__in=[c.pk for c in cases],
            finished_at__isnull=True,
            cancelled_at__isnull=True,
        ):
            clocks.setdefault(clock.subject_id, []).append(clock)
    policies = list(PolicyDocument.objects.prefetch_related(RULES).order_by("-effective_from"))
    norms = norms_read()
    days = {today}
    for found in clocks.values():
        for c in found:
            if c.finished_at is None and c.cancelled_at is None:
                days.add(local_date(c.started_at))
                if c.due_at is not None:
                    days.add(_last_day(c))
    ordinals = dict(CalendarDay.objects.filter(date__in=days).values_list("date", "ordinal"))
    found = {}
    for case in cases:
        policy = next((p for p in policies if p.effective_from <= case.policy_date), None)
        if policy is None or case.pk not in clocks:
            continue
        risk = assess(clocks[case.pk], case.case_facts(), policy, today=today, ordinals=ordinals, norms=norms)
        if risk is not None:
            found[case.pk] = risk
    if found:
        base = ordinals[today]
        targets = {base + r.need for r in found.values()} | {base + r.need_p90 for r in found.values()}
        on = dict(
            CalendarDay.objects.filter(ordinal__in=targets, is_working=True).values_list("ordinal", "date")
        )
        for pk, risk in found.items():
            # Nothing left to wait for: expected today.
            found[pk] = replace(
                risk,
                predicted=on.get(base + risk.need) if risk.need else today,
                predicted_p90=on.get(base + risk.need_p90) if risk.need_p90 else today,
            )
    return found


def refresh(*, at=None, batch: int = 2000) -> dict:
    """Compute the stage norms again, then judge every open overall clock with a limit and store
    ``at_risk``, ``risk_budget`` and ``risk_need`` where they changed (the beat's ``risk_refresh``, every
    ``RISK_REFRESH_SECONDS``). The subjects are read by their model (``case_facts()``, ``policy_date``)
    in batches. Idempotent.
    Returns ``{"checked": n, "at_risk": n, "changed": n}``."""
    from django.utils import timezone

    today = local_date(at or timezone.now())
    norms_refresh(today=today)
    overall = StageClock.objects.filter(
        stage=StageCode.OVERALL, finished_at__isnull=True, cancelled_at__isnull=True
    )
    counts = {"checked": 0, "at_risk": 0, "changed": 0}
    for type_id in overall.order_by().values_list("subject_type_id", flat=True).distinct():
        model = ContentType.objects.get_for_id(type_id).model_class()
        last = 0
        while True:
            clocks = list(
                overall.filter(subject_type_id=type_id, subject_id__gt=last)
                .order_by("subject_id")
                .only("pk", "subject_id", "at_risk", "risk_budget", "risk_need")[:batch]
            )
            if not clocks:
                break
            last = clocks[-1].subject_id
            subjects = list(model.objects.filter(pk__in=[c.subject_id for c in clocks]))
            risks = risks_for(subjects, today=today)
            changed = []
            for clock in clocks:
                risk = risks.get(clock.subject_id)
                new = (
                    (risk.at_risk, min(risk.budget, 32767), min(risk.need, 32767))
                    if risk and risk.budget is not None and not risk.overdue
                    else (False, None, None)
                )
                counts["checked"] += 1
                counts["at_risk"] += new[0]
                if (clock.at_risk, clock.risk_budget, clock.risk_need) != new:
                    clock.at_risk, clock.risk_budget, clock.risk_need = new
                    changed.append(clock)
            with transaction.atomic():
                StageClock.objects.bulk_update(changed, ["at_risk", "risk_budget", "risk_need"])
            counts["changed"] += len(changed)
    # Flags left on clocks that closed since the last refresh.
    stale = StageClock.objects.filter(at_risk=True).exclude(
        finished_at__isnull=True, cancelled_at__isnull=True
    )
    counts["changed"] += stale.update(at_risk=False)
    return counts
