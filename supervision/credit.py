"""Credit records 信用记录: the summaries by organisation and applicant, and the records' lists."""

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from applications.models import Application
from deadlines.models import CreditRecord

from .filters import app_ct_id


def credit_summary_by_organisation() -> list[dict]:
    return list(
        CreditRecord.objects.filter(organisation__isnull=False)
        .values("organisation", "organisation__name", "organisation__code")
        .annotate(
            total=Count("pk"),
            active=Count("pk", filter=Q(state=CreditRecord.State.ACTIVE)),
            corrected=Count("pk", filter=Q(state=CreditRecord.State.CORRECTED)),
            days_late=Coalesce(Sum("working_days_late"), 0),
        )
        .order_by("-active", "organisation__name")
    )


def credit_summary_by_applicant() -> list[dict]:
    return list(
        CreditRecord.objects.filter(applicant__isnull=False)
        .values("applicant", "applicant_name")
        .annotate(
            total=Count("pk"),
            active=Count("pk", filter=Q(state=CreditRecord.State.ACTIVE)),
            corrected=Count("pk", filter=Q(state=CreditRecord.State.CORRECTED)),
        )
        .order_by("-active", "applicant_name")
    )


def credit_records(**filters) -> QuerySet:
    return (
        CreditRecord.objects.filter(**filters)
        .select_related("organisation", "applicant", "recorded_by", "corrected_by")
        .prefetch_related("supervision_events__actor")
        .order_by("-recorded_at", "-pk")
    )


def attach_case_numbers(records) -> None:
    ct = app_ct_id()
    ids = {r.subject_id for r in records if r.subject_type_id == ct and r.subject_id}
    numbers = dict(Application.objects.filter(pk__in=ids).values_list("pk", "number"))
    for r in records:
        r.case_number = numbers.get(r.subject_id) if r.subject_type_id == ct else None
