"""The dashboard's pause figures: per responsible unit (the unit whose running stage a pause stopped),
how many pauses, how many working days, and what share of the cases the unit worked were paused; and the
pauses asked for within the last working day before the stage's deadline (the pattern a supervisor looks
for: a clock stopped just before it would have gone red). The customer's own pauses are not in that list.
"""

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from accounts.models import Organisation
from applications.models import Application
from applications.pauses import Pause, PauseState
from deadlines.models import PauseReason, StageClock

from .filters import app_ct_id, case_q, of_cases, org_family
from .scope import Scope

TAKEN = (PauseState.ACTIVE, PauseState.ENDED)


def _scoped(scope: Scope, f) -> "Pause.objects":
    qs = Pause.objects.filter(requested_at__gte=f.start, requested_at__lt=f.end)
    if not scope.is_lead:
        qs = qs.filter(coordinating_org_id__in=scope.org_ids)
    if f.org_id:
        qs = qs.filter(responsible_org_id__in=org_family(f.org_id))
    if case := case_q(f):
        qs = qs.filter(Exists(Application.objects.filter(case, pk=OuterRef("application_id"))))
    return qs


def pauses_by_unit(scope: Scope, f) -> list[dict]:
    """Per responsible unit, the pauses that started in the period: count (of which external causes,
    booked to nobody), working days of the ended ones, distinct cases paused, the cases the unit had a
    stage of started in the period (of the stages the supervisor coordinates), and the share (%) of
    those paused."""
    rows = list(
        _scoped(scope, f)
        .filter(state__in=TAKEN, responsible_org__isnull=False)
        .values("responsible_org_id")
        .annotate(
            n=Count("pk"),
            external=Count("pk", filter=Q(reason__kind=PauseReason.Kind.EXTERNAL)),
            days=Sum("working_days", default=0),
            cases=Count("application_id", distinct=True),
        )
        .order_by()
    )
    units = [r["responsible_org_id"] for r in rows]
    worked = StageClock.objects.filter(
        subject_type_id=app_ct_id(),
        responsible_org_id__in=units,
        started_at__gte=f.start,
        started_at__lt=f.end,
    ).exclude(stage="overall")
    if not scope.is_lead:
        worked = worked.filter(coordinating_org_id__in=scope.org_ids)
    worked = of_cases(worked, f, category=True)
    worked = dict(
        worked.values("responsible_org_id")
        .annotate(n=Count("subject_id", distinct=True))
        .order_by()
        .values_list("responsible_org_id", "n")
    )
    orgs = Organisation.objects.in_bulk(units)
    found = []
    for r in rows:
        org = orgs[r["responsible_org_id"]]
        cases_worked = max(worked.get(org.pk, 0), r["cases"])
        found.append(
            {
                "org": org,
                "pauses": r["n"],
                "external": r["external"],
                "working_days": r["days"],
                "cases": r["cases"],
                "cases_worked": cases_worked,
                "share": round(100.0 * r["cases"] / cases_worked, 1) if cases_worked else None,
            }
        )
    found.sort(key=lambda row: (row["org"].sort_order, row["org"].pk))
    return found


def pauses_near_deadline(scope: Scope, f, *, limit: int) -> dict:
    """Pauses (and requests, whatever became of them) asked for within the last working day before the
    deadline of the stage they would stop, or after it, by anyone but the case's customer; newest first.
    A deadline is the end of a working day, so its last working day is the 24 hours before it."""
    qs = (
        _scoped(scope, f)
        .filter(stage_due_at__isnull=False, requested_at__gte=F("stage_due_at") - timedelta(days=1))
        .exclude(requested_by_id=F("application__customer_id"))
    )
    rows = list(
        qs.select_related("application", "reason", "requested_by", "responsible_org").order_by(
            "-requested_at", "-pk"
        )[:limit]
    )
    return {"count": qs.count() if len(rows) == limit else len(rows), "rows": rows}


def pause_figures(scope: Scope, f, *, limit: int) -> dict:
    return {"by_unit": pauses_by_unit(scope, f), "near_deadline": pauses_near_deadline(scope, f, limit=limit)}
