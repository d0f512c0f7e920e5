"""The browser portal's pages for cases: the customer's guided application, "My applications", the case
page (the customer's and the staff's view), the document wallet and the staff queue.

Views are thin: they read with ``selectors``, write with ``services`` (and ``portal_services``), and put a
service's ValidationError back on the form. One view serves a page and its htmx fragment
(``template#partial`` when ``request.htmx``). Outside one's view a case is a 404; a transition the case no
longer allows is a 409 ("someone else moved the case first").
"""


from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications import portal_services, selectors
from applications.models import (
    Application,
    Voltage,
    may,
)
from deadlines.models import Level, StageCode
from deadlines.risk import risks_for

from .common import LEVEL_ORDER, PAGE_SIZE, QUEUE_OPEN, S, list_row

OPEN_VALUES = [s for s in S.values if s not in (S.CONNECTED, S.WITHDRAWN, S.TERMINATED)]


def _urgency(qs):
    rank = Case(
        *[When(current_level=level, then=Value(i)) for i, level in enumerate(LEVEL_ORDER)],
        default=Value(len(LEVEL_ORDER)),
        output_field=IntegerField(),
    )
    return qs.annotate(urgency=rank).order_by("urgency", F("current_due_at").asc(nulls_last=True), "-id")


class UrgencyQueue:
    """Cases filtered on their own fields, in urgency order of their current stage (the open stage due
    first): escalated, overdue, warning, on time, then by due date. A sequence ``Paginator`` can page.

    On PostgreSQL the current stage of every case is computed once (``DISTINCT ON`` over the open clocks)
    and joined, so a page of the queue costs one sort of the open cases instead of three correlated
    subqueries per case; elsewhere (SQLite for ``make run``) the ORM annotations do the same.
    """

    def __init__(self, qs, *, stage=None, level=None, narrow=False):
        self.qs, self.stage, self.level, self.narrow = qs.order_by(), stage, level, narrow
        self.fast = connection.vendor == "postgresql"

    def _orm(self):
        qs = selectors.with_current_stage(self.qs)
        if self.stage:
            qs = qs.filter(current_stage=self.stage)
        if self.level:
            qs = qs.filter(current_level=self.level)
        return qs

    def _sql(self, select: str, tail: str = "", tail_params=()):
        from deadlines.models import StageClock

        inner, inner_params = self.qs.values("id").query.sql_with_params()
        # The filtered cases as the query's table (PostgreSQL pulls the subquery up into one scan), not
        # "a.id IN (...)", which joined and sorted every case before dropping the filtered-out ones.
        where, params = ["TRUE"], []
        if self.stage:
            where.append("cur.stage = %s")
            params.append(self.stage)
        if self.level:
            where.append("cur.level = %s")
            params.append(self.level)
        # A narrow filter (a search, one manager's cases) reads only the clocks of the cases it keeps.
        narrow = f"AND c.subject_id IN ({inner}) " if self.narrow else ""
        sql = (
            "WITH cur AS (SELECT DISTINCT ON (c.subject_id) c.subject_id, c.stage, c.due_at, c.level "
            f"FROM {StageClock._meta.db_table} c WHERE c.subject_type_id = %s AND c.finished_at IS NULL "
            f"AND c.cancelled_at IS NULL AND c.stage <> %s {narrow}"
            "ORDER BY c.subject_id, c.due_at, c.id) "
            f"SELECT {select} FROM ({inner}) a LEFT JOIN cur ON cur.subject_id = a.id "
            f"WHERE {' AND '.join(where)} {tail}"
        )
        return sql, [
            selectors.application_content_type().pk,
            StageCode.OVERALL,
            *(inner_params if self.narrow else ()),
            *inner_params,
            *params,
            *tail_params,
        ]

    def count(self) -> int:
        if not (self.stage or self.level):
            return self.qs.count()  # every case is in the queue, with or without an open clock
        if not self.fast:
            return self._orm().count()
        with connection.cursor() as cursor:
            cursor.execute(*self._sql("COUNT(*)"))
            return cursor.fetchone()[0]

    def level_counts(self) -> dict:
        if not self.fast:
            rows = self._orm().values("current_level").annotate(n=Count("id")).order_by()
            return {r["current_level"]: r["n"] for r in rows}
        with connection.cursor() as cursor:
            cursor.execute(*self._sql("cur.level, COUNT(*)", "GROUP BY cur.level"))
            return dict(cursor.fetchall())

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("UrgencyQueue is paged with slices")
        start, stop = index.start or 0, index.stop
        if not self.fast:
            return list(_urgency(self._orm().select_related("account_manager"))[start:stop])
        ranks = " ".join(f"WHEN '{level}' THEN {i}" for i, level in enumerate(LEVEL_ORDER))
        order = (
            f"ORDER BY CASE cur.level {ranks} ELSE {len(LEVEL_ORDER)} END, "
            "cur.due_at ASC NULLS LAST, a.id DESC"
        )
        with connection.cursor() as cursor:
            cursor.execute(*self._sql("a.id", f"{order} LIMIT %s OFFSET %s", (stop - start, start)))
            ids = [row[0] for row in cursor.fetchall()]
        found = selectors.with_current_stage(Application.objects.filter(pk__in=ids)).select_related(
            "account_manager"
        )
        by_id = {app.pk: app for app in found}
        return [by_id[pk] for pk in ids if pk in by_id]


@login_required
@require_GET
def queue(request):
    """工单队列: the bureau's cases, most urgent first (escalated, overdue, warning, then due date)."""
    user = request.user
    if not may(user, "applications.view_all_applications"):
        raise PermissionDenied
    base = selectors.applications_visible_to(user)
    params = request.GET
    state = params.get("state", QUEUE_OPEN)
    qs = base
    if state == QUEUE_OPEN:
        qs = qs.filter(state__in=OPEN_VALUES)
    elif state in S.values:
        qs = qs.filter(state=state)
    if params.get("voltage") in Voltage.values:
        qs = qs.filter(voltage=params["voltage"])
    manager = params.get("manager", "")
    if manager.isdigit():
        qs = qs.filter(account_manager_id=int(manager))
    if params.get("mine"):
        qs = qs.filter(account_manager_id=user.pk)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(selectors.search_q(q))
    ordered = UrgencyQueue(
        qs,
        stage=params.get("stage") if params.get("stage") in StageCode.values else None,
        level=params.get("level") if params.get("level") in Level.values else None,
        narrow=bool(q or params.get("mine") or manager.isdigit()),
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(params.get("page"))
    risks = risks_for(page.object_list, today=timezone.localdate())
    rows = [{**list_row(app), "risk": risks.get(app.pk)} for app in page.object_list]
    state_counts = {
        row["state"]: row["n"] for row in base.order_by().values("state").annotate(n=Count("id"))
    }
    level_counts = UrgencyQueue(base.filter(state__in=OPEN_VALUES)).level_counts()
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
        "managers": portal_services.account_managers(),
        "f": {
            "state": state,
            "stage": params.get("stage", ""),
            "level": params.get("level", ""),
            "voltage": params.get("voltage", ""),
            "manager": manager,
            "mine": bool(params.get("mine")),
            "q": q,
        },
        "querystring": query.urlencode(),
    }
    template = "applications/queue.html#results" if request.htmx else "applications/queue.html"
    return render(request, template, context)
