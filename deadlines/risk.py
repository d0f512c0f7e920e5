"""超期风险 at risk (SPEC 2): a case whose overall commitment has fewer working days left than its
remaining stages need at their own limits is late in the making before any single stage is.

The overall budget is the working days left until the overall clock's deadline; the need is, for each
stage still ahead on the case's path (``deadlines.policy.rules_for``), the working days until its
deadline when it is running and its full limit when it has not started, the parallel permits counting
as their slowest one. Today is not counted on either side (the deadline is the end of its day). Nothing
is judged for a case whose overall clock has no limit (HV), is paused, or is already overdue.

Everything is read for a page of cases at once (``risks_for``): clocks, policy rules and calendar
ordinals in a constant number of queries.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType

from .calendar import local_date
from .models import CalendarDay, Level, PolicyDocument, StageClock, StageCode
from .policy import CaseFacts, rules_for

# The umbrella of the permits has no limit of its own; the green fee follows the relocation, off the
# connection's path.
OFF_PATH = frozenset({StageCode.OVERALL, StageCode.APPROVAL, StageCode.GREEN_FEE})
PARALLEL = frozenset({StageCode.PLANNING_PERMIT, StageCode.ROAD_PERMIT, StageCode.GREEN_PERMIT})
_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Risk:
    budget: int  # working days left on the overall commitment
    need: int  # working days the remaining stages need at their limits

    @property
    def at_risk(self) -> bool:
        return self.need > self.budget


def _last_day(clock: StageClock) -> date:
    return local_date(clock.due_at - _ONE_US)  # due at 24:00 of its last day


def assess(clocks, facts: CaseFacts, policy: PolicyDocument, *, today: date, ordinals: dict) -> Risk | None:
    """The case's risk from its clocks (all of them), its facts and its policy; ``ordinals`` maps dates
    to calendar ordinals (``CalendarDay.ordinal``) and must hold today and the open clocks' last days.
    None when there is nothing to judge."""
    is_open = [c for c in clocks if c.finished_at is None and c.cancelled_at is None]
    overall = next((c for c in is_open if c.stage == StageCode.OVERALL), None)
    if (
        overall is None
        or overall.due_at is None
        or overall.paused_at is not None
        or overall.level in (Level.OVERDUE, Level.ESCALATED)
    ):
        return None
    running = {c.stage: c for c in is_open if c.stage not in OFF_PATH and c.due_at is not None}
    path = [r for r in rules_for(policy, facts) if r.stage not in OFF_PATH]
    position = {r.stage: i for i, r in enumerate(path)}
    here = [position[s] for s in running if s in position]
    if not here or today not in ordinals:
        return None

    def left(clock) -> int | None:
        day = ordinals.get(_last_day(clock))
        return None if day is None else max(0, day - ordinals[today])

    budget = left(overall)
    sequence, parallel = 0, []
    for i, rule in enumerate(path):
        if rule.stage in running:
            days = left(running[rule.stage])
        elif i > max(here):
            days = rule.limit_working_days or 0
        else:
            continue  # behind the case (done, or not on this round)
        if days is None or budget is None:
            return None
        if rule.stage in PARALLEL:
            parallel.append(days)
        else:
            sequence += days
    return Risk(budget=budget, need=sequence + max(parallel, default=0))


def risks_for(cases, *, today: date, clocks: dict | None = None) -> dict[int, Risk]:
    """{case id: Risk} for the open cases among ``cases`` (applications with ``case_facts()`` and
    ``policy_date``) that are at risk or not; a case with nothing to judge is left out. Four queries
    whatever the number of cases, three when ``clocks`` ({case id: its clocks}) are already read."""
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
    policies = list(PolicyDocument.objects.prefetch_related("rules").order_by("-effective_from"))
    days = {today} | {
        _last_day(c)
        for found in clocks.values()
        for c in found
        if c.due_at is not None and c.finished_at is None and c.cancelled_at is None
    }
    ordinals = dict(CalendarDay.objects.filter(date__in=days).values_list("date", "ordinal"))
    found = {}
    for case in cases:
        policy = next((p for p in policies if p.effective_from <= case.policy_date), None)
        if policy is None or case.pk not in clocks:
            continue
        risk = assess(clocks[case.pk], case.case_facts(), policy, today=today, ordinals=ordinals)
        if risk is not None:
            found[case.pk] = risk
    return found


def refresh(*, at=None, batch: int = 2000) -> dict:
    """Judge every open overall clock with a limit again and store ``at_risk``, ``risk_budget`` and
    ``risk_need`` where they changed (the beat's ``risk_refresh``, every ``RISK_REFRESH_SECONDS``). The
    subjects are read by their model (``case_facts()``, ``policy_date``) in batches. Idempotent.
    Returns ``{"checked": n, "at_risk": n, "changed": n}``."""
    from django.db import transaction
    from django.utils import timezone

    today = local_date(at or timezone.now())
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
                    if risk
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
