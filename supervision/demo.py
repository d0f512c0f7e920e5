"""Demo data for ``seed_demo``: a few late cases for the supervision side, then the dashboard's summary
tables built from every demo case.

The late cases are customer_demo2's, submitted weeks ago and moved through the real services at instants
in the past (``at=``), placed on the official calendar so that, as of now, one case's design stage is in
warning (due today), one overdue (due two working days ago) and one escalated (due eight working days ago);
one more was connected late (so credit records exist). Then the deadline pass runs as of now (what the
``check_deadlines`` command and the beat run) and gxj_demo issues a 督办 order on the escalated stage.

Idempotent: a case whose address exists is not created again; the order is issued once per case. On a day
that is not a working day no stage can be in warning (a warning starts on its due day), so that list stays
empty on weekends and holidays.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

_LV = {"business": "new", "voltage": "low", "applicant_type": "small_micro"}
_PLAN_EXT = {
    "external_works": True,
    "road_excavation": False,
    "green_space": False,
    "plan_summary": "新建低压电缆，接入附近公用箱变",
}
_PLAN_NONE = {"external_works": False, "plan_summary": "由公用配电箱直接接入"}
DESIGN_LIMIT = 12  # working days of 选线方案和外线工程设计 under the 2020 rules

# (key, applicant, address, capacity; working days before today the design stage starts (or, for the
# connected case, the case is submitted); steps as (transition, data, working days after the first step))
LATE_CASES = [
    (
        "warning",
        "青城印务有限公司",
        "呼和浩特市新城区北垣东街18号",
        "60",
        DESIGN_LIMIT,  # due today
        [("submit", {}, -1), ("accept", {}, -1), ("reply_plan", _PLAN_EXT, 0)],
    ),
    (
        "overdue",
        "塞外冷链物流有限公司",
        "呼和浩特市回民区海拉尔西街52号",
        "90",
        DESIGN_LIMIT + 2,  # due two working days ago: late, not yet escalated (3 working days)
        [("submit", {}, -1), ("accept", {}, -1), ("reply_plan", _PLAN_EXT, 0)],
    ),
    (
        "escalated",
        "敕勒川烘焙工坊",
        "呼和浩特市赛罕区敕勒川大街27号",
        "75",
        DESIGN_LIMIT + 8,  # due eight working days ago
        [("submit", {}, -1), ("accept", {}, -1), ("reply_plan", _PLAN_EXT, 0)],
    ),
    (
        "late",
        "大召民族服饰店",
        "呼和浩特市玉泉区大召前街6号",
        "30",
        25,  # submitted 25 working days ago; installation took 5 working days against 2
        [
            ("submit", {}, 0),
            ("accept", {}, 0),
            ("reply_plan", _PLAN_NONE, 1),
            ("connect", {"meter_number": "HH-DEMO-LATE-01"}, 6),
        ],
    ),
]
ORDER_INSTRUCTION = "外线工程设计已超期，请说明原因并于要求日期前完成设计、答复督办。"


def _working_days_back(today, n):
    from deadlines.calendar import is_working_day

    day, count = today, 0
    while count < n:
        day -= timedelta(days=1)
        if is_working_day(day):
            count += 1
    return day


def _working_days_on(day, n):
    from deadlines.calendar import add_working_days

    if n >= 0:
        return add_working_days(day, n)
    return _working_days_back(day, -n)


def _instant(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _create_case(index, customer, staff, applicant, address, capacity, anchor, steps):
    from applications import services
    from applications.demo import credit_code, wallet_documents
    from applications.models import DocumentKind

    data = dict(
        _LV,
        applicant_name=applicant,
        address=address,
        capacity_kva=capacity,
        contact_phone=customer.phone or "13847100002",
        id_number=credit_code(index),
    )
    first = _instant(_working_days_on(anchor, steps[0][2]), 9, 30)
    with transaction.atomic():
        kinds = [DocumentKind.IDENTITY, DocumentKind.PROPERTY]
        data["documents"] = [d.pk for d in wallet_documents(customer, kinds)]
        application = services.application_create(customer=customer, data=data, at=first - timedelta(hours=1))
        for minutes, (name, step_data, offset) in enumerate(steps):
            day = _working_days_on(anchor, offset)
            at = max(_instant(day, 10, 0), first) + timedelta(minutes=10 * minutes)
            actor = customer if name == "submit" else staff
            services.application_transition(
                application_id=application.pk, name=name, actor=actor, data=step_data, at=at
            )
    return application


def seed_late_cases(*, stdout, now=None) -> dict:
    """The late cases, the deadline pass as of ``now`` and one 督办 order. Returns {key: Application}."""
    from accounts.models import User
    from applications.models import Application
    from deadlines.calendar import CalendarYearMissing, add_working_days_lenient
    from deadlines.models import StageClock
    from deadlines.passes import run_pass

    from . import services
    from .models import SupervisionOrder

    now = now or timezone.now()
    today = timezone.localdate(now)
    customer = User.objects.filter(username="customer_demo2").first()
    staff = User.objects.filter(username="psb_demo").first()
    supervisor = User.objects.filter(username="gxj_demo").first()
    if customer is None or staff is None or supervisor is None:
        return {}
    found, created = {}, 0
    for index, (key, applicant, address, capacity, back, steps) in enumerate(LATE_CASES, start=21):
        application = Application.objects.filter(customer=customer, address=address).first()
        if application is None:
            try:
                anchor = _working_days_back(today, back)
            except CalendarYearMissing as exc:
                stdout.write(f"supervision: no late demo cases ({exc}).\n")
                return found
            application = _create_case(index, customer, staff, applicant, address, capacity, anchor, steps)
            created += 1
        found[key] = application
    counts = run_pass(at=now)
    issued = 0
    escalated = found.get("escalated")
    if escalated is not None and not SupervisionOrder.objects.filter(application=escalated).exists():
        clock = (
            StageClock.objects.filter(
                subject_id=escalated.pk,
                subject_type__model="application",
                stage="design",
                finished_at__isnull=True,
                cancelled_at__isnull=True,
                level__in=("overdue", "escalated"),
            )
            .order_by("-pk")
            .first()
        )
        if clock is not None:
            services.order_issue(
                clock_id=clock.pk,
                actor=supervisor,
                instruction=ORDER_INSTRUCTION,
                reply_due=add_working_days_lenient(today, 3).day,
                at=now,
            )
            issued = 1
    stdout.write(
        f"supervision: {created} late demo cases created; deadline pass: {counts['warning']} warning, "
        f"{counts['overdue']} overdue, {counts['escalated']} escalated; {issued} 督办 order issued.\n"
    )
    return found


def seed(*, stdout):
    from .summary import figures_refresh

    seed_late_cases(stdout=stdout)
    record = figures_refresh()
    stdout.write(
        f"supervision: figures refreshed ({record.stage_rows} stage rows, {record.case_rows} case rows)\n"
    )
    from deadlines.risk import refresh

    risk = refresh()
    stdout.write(f"supervision: 超期风险 of {risk['checked']} open cases judged, {risk['at_risk']} at risk\n")
