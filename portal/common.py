"""What the portal's case pages share: the wallet's choices and the materials form, a queue row, promised
days and working days late, and a case read for the page (a 404 outside one's view).

Views are thin: they read with ``selectors``, write with ``services`` (and ``portal_services``), and put a
service's ValidationError back on the form. One view serves a page and its htmx fragment
(``template#partial`` when ``request.htmx``). Outside one's view a case is a 404; a transition the case no
longer allows is a 409 ("someone else moved the case first").
"""

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import selectors, services
from applications.forms import (
    materials_explained,
    parse_valid_until,
    uploadable_kinds,
)
from applications.models import (
    Application,
    ApplicationState,
    Document,
)
from deadlines.calendar import local_date
from deadlines.models import CalendarDay, Level, StageCode
from hhht_power.logs import bind_case


def wallet_choices(user, kinds) -> dict[str, list[Document]]:
    """The customer's still-valid wallet documents per kind, newest first (one query)."""
    today = timezone.localdate()
    found = defaultdict(list)
    for doc in Document.objects.filter(owner=user, kind__in=list(kinds), rejected_at=None).order_by(
        "-uploaded_at", "-pk"
    ):
        if doc.is_valid_on(today):
            found[doc.kind].append(doc)
    return found


def materials_context(request, voltage, *, attached=None, errors=None, only=None) -> list[dict]:
    """Rows of the materials block: why each is needed, wallet documents to reuse, a file control."""
    errors = errors or {}
    kinds = [k for k in uploadable_kinds(voltage) if only is None or k in only]
    wallet = wallet_choices(request.user, kinds)
    attached = attached or {}
    rows = []
    for item in materials_explained(voltage):
        if item["generated"]:
            rows.append({**item, "choices": [], "chosen": None, "error": None})
            continue
        if item["kind"] not in kinds:
            continue
        posted = request.POST.get(f"use_{item['kind']}") if request.method == "POST" else None
        default = attached.get(item["kind"]) or (wallet[item["kind"]][0].pk if wallet[item["kind"]] else None)
        rows.append(
            {
                **item,
                "choices": wallet[item["kind"]],
                "chosen": str(posted if posted is not None else (default or "")),
                "error": errors.get(item["kind"]),
            }
        )
    return rows


def collect_documents(request, kinds) -> tuple[list, dict]:
    """Upload the files given (through ``services.document_upload``) and gather the wallet ids chosen.

    Returns (ids, {kind: error message}).
    """
    ids, errors = [], {}
    for kind in kinds:
        upload = request.FILES.get(f"file_{kind}")
        if upload:
            valid_until, problem = parse_valid_until(request.POST.get(f"valid_until_{kind}"))
            if problem:
                errors[kind] = problem
                continue
            try:
                doc = services.document_upload(
                    owner=request.user, kind=kind, file=upload, valid_until=valid_until
                )
            except ValidationError as exc:
                errors[kind] = " ".join(m for m in exc.messages)
                continue
            ids.append(doc.pk)
        elif request.POST.get(f"use_{kind}"):
            ids.append(request.POST[f"use_{kind}"])
    return ids, errors


def list_row(app) -> dict:
    stage = getattr(app, "current_stage", None)
    level = getattr(app, "current_level", None)
    if app.state == S.DRAFT:
        action = _("待提交")
    elif app.state == S.RETURNED:
        action = _("待补正资料")
    elif app.paused_at is not None and app.is_open:
        action = _("等待您处理")
    elif app.state == S.CONNECTED and not getattr(app, "rated", True):
        action = _("待评价")
    else:
        action = None
    return {
        "application": app,
        "stage_label": StageCode(stage).label if stage in StageCode.values else None,
        "due_at": getattr(app, "current_due_at", None),
        "due_day": promised_day(getattr(app, "current_due_at", None)),
        "level": level,
        "level_label": Level(level).label if level in Level.values else None,
        "action": action,
    }


S = ApplicationState


PAGE_SIZE = 20


LEVEL_ORDER = (Level.ESCALATED, Level.OVERDUE, Level.WARNING, Level.ON_TIME)


QUEUE_OPEN = "open"


# The permit stage's internal clocks: the customer sees them as one line (approvals' summary), the queue
# as one stage promised by the slowest permit.
PERMIT_STAGES = frozenset(
    {
        StageCode.APPROVAL,
        StageCode.WINDOW_INTAKE,
        StageCode.PLANNING_PERMIT,
        StageCode.ROAD_PERMIT,
        StageCode.GREEN_PERMIT,
        StageCode.GREEN_FEE,
    }
)


def working_days_late(due_days: dict, today) -> dict:
    """{key: working days from its due day to ``today``, at least 1} for deadlines already past, from the
    calendar's cumulative ordinals in one query (a day missing from the calendar counts as unknown)."""
    past = {key: day for key, day in due_days.items() if day is not None and day < today}
    if not past:
        return {}
    ordinals = dict(
        CalendarDay.objects.filter(date__in={today, *past.values()}).values_list("date", "ordinal")
    )
    if today not in ordinals:
        return {}
    return {key: max(1, ordinals[today] - ordinals[day]) for key, day in past.items() if day in ordinals}


def case_or_404(user, pk, qs=None) -> Application:
    qs = qs if qs is not None else selectors.applications_visible_to(user)
    application = get_object_or_404(qs, pk=pk)
    bind_case(application)
    return application


def detail_queryset(user):
    return (
        selectors.applications_visible_to(user)
        .select_related("account_manager", "customer")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("kind", "-pk")))
    )


def promised_day(due_at):
    """The last day of a deadline: a stage due at 24:00 on the 1st (stored as 00:00 on the 2nd) is
    promised for the 1st (Asia/Shanghai)."""
    return local_date(due_at - timedelta(microseconds=1)) if due_at else None
