"""What the supervisors' figures are filtered by (the period, the category, the responsible unit, the
district) and the queries every figure starts from."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Organisation
from applications.models import Application
from applications.selectors import application_content_type
from deadlines.calendar import end_of_day, start_of_day

from .categories import CATEGORY_Q


@dataclass(frozen=True)
class Filters:
    """Period (inclusive dates, Asia/Shanghai), category code or "", responsible organisation id or None,
    district 旗县区 code or ""."""

    date_from: date
    date_to: date
    category: str = ""
    org_id: int | None = None
    district: str = ""

    @property
    def start(self):
        return start_of_day(self.date_from)

    @property
    def end(self):
        return end_of_day(self.date_to)

    def params(self) -> dict:
        found = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.category:
            found["category"] = self.category
        if self.org_id:
            found["org"] = str(self.org_id)
        if self.district:
            found["district"] = self.district
        return found

    def with_month(self, month: date) -> "Filters":
        nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        return replace(self, date_from=month, date_to=nxt - timedelta(days=1))


def default_filters(today: date) -> Filters:
    """The last twelve months, this one included (the figures are kept per month)."""
    first = today.replace(day=1)
    for _i in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    last = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Filters(date_from=first, date_to=last)


def app_ct_id() -> int:
    return application_content_type().pk


def org_family(org_id) -> list:
    """The organisation and its sub-units (the unit filter's scope)."""
    return list(Organisation.objects.filter(Q(pk=org_id) | Q(parent_id=org_id)).values_list("pk", flat=True))


def case_q(f: Filters, *, category: bool = True) -> Q:
    """The cases in the category (unless ``category=False``) and the district of ``f``."""
    q = Q()
    if f.category and category:
        q &= CATEGORY_Q[f.category]
    if f.district:
        q &= Q(district=f.district)
    return q


def of_cases(clocks: QuerySet, f: Filters, *, category: bool) -> QuerySet:
    """The clocks whose case is in the category (unless ``category=False``) and the district of ``f``."""
    q = case_q(f, category=category)
    if not q:
        return clocks
    return clocks.filter(Exists(Application.objects.filter(q, pk=OuterRef("subject_id"))))
