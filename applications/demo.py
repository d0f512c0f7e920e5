"""Demo cases for ``manage.py seed_demo``: customer_demo and customer_demo2 with cases in several states,
moved through the real services (clocks, audit, notifications) at instants in the past. Idempotent: a
customer who already has cases gets nothing more."""

from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric, uscc

from accounts.models import User

from . import services
from .models import Application, Document, DocumentKind

# A one-pixel PNG: the demo's stand-in for scanned documents.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


OFFICE_OPENS, OFFICE_CLOSES = time(9, 0), time(17, 30)


def office_hours(at: datetime) -> datetime:
    """``at`` if it falls in office hours of a working day (local time), else the next opening at 09:30:
    demo history reads like a bureau's day, not 01:30 on a Sunday."""
    from deadlines.calendar import is_working_day

    local = timezone.localtime(at)
    day = local.date()
    if is_working_day(day) and OFFICE_OPENS <= local.time() <= OFFICE_CLOSES:
        return at
    if local.time() > OFFICE_CLOSES or not is_working_day(day):
        day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(9, 30)))


def _resident_id(n):
    base = f"15010219850315{n:03d}"
    return base + ric.calc_check_digit(base + "0")


def credit_code(n):
    """A valid unified social credit code for demo enterprise ``n`` (also used by other apps' demos)."""
    base = f"91150100MA0D{n:05d}"
    return base + uscc.calc_check_digit(base)


def wallet_documents(customer, kinds):
    """The customer's valid wallet document of each kind, created (a one-pixel PNG) when missing."""
    found = []
    for kind in kinds:
        doc = Document.objects.filter(owner=customer, kind=kind, rejected_at=None).first()
        if doc is None:
            doc = Document(
                owner=customer,
                kind=kind,
                original_name=f"{kind}.png",
                content_type="image/png",
                size=len(PNG),
                sha256="demo",
                valid_until=None,
            )
            doc.file.save("demo", ContentFile(PNG), save=False)
            doc.save()
        found.append(doc)
    return found


# (customer, applicant fields, [(transition, data, working hours after submission)])
_LV = {"business": "new", "voltage": "low", "applicant_type": "small_micro"}
_HV2 = {"business": "new", "voltage": "high", "power_sources": 2, "applicant_type": "enterprise"}
_HV1 = {
    "business": "increase",
    "voltage": "high",
    "power_sources": 1,
    "applicant_type": "enterprise",
    "account_number": "0471002026",
    "existing_capacity_kva": "315",
}
_PLAN_NONE = {"external_works": False, "plan_summary": "由公用配电箱直接接入"}
_PLAN_EXT = {
    "external_works": True,
    "road_excavation": False,
    "green_space": False,
    "plan_summary": "新建低压电缆",
}
_PLAN_ROAD = {
    "external_works": True,
    "road_excavation": True,
    "green_space": False,
    "plan_summary": "穿越道路敷设电缆",
}

CASES = [
    (
        "customer_demo",
        dict(_LV, applicant_name="青城早点铺", capacity_kva="30", address="呼和浩特市新城区新华大街101号"),
        12,
        [
            ("submit", {}),
            ("accept", {}),
            ("reply_plan", _PLAN_NONE),
            ("connect", {"meter_number": "HH-DEMO-001"}),
        ],
    ),
    (
        "customer_demo",
        dict(_LV, applicant_name="塞上花店", capacity_kva="50", address="呼和浩特市回民区中山西路22号"),
        3,
        [("submit", {}), ("accept", {}), ("reply_plan", _PLAN_NONE)],
    ),
    (
        "customer_demo",
        dict(_LV, applicant_name="青城面馆", capacity_kva="80", address="呼和浩特市赛罕区大学东街8号"),
        2,
        [("submit", {})],
    ),
    (
        "customer_demo",
        dict(
            _LV,
            applicant_name="张明",
            applicant_type="resident",
            capacity_kva="12",
            address="呼和浩特市玉泉区南二环路66号",
        ),
        2,
        [
            ("submit", {}),
            (
                "return_for_materials",
                {
                    "missing": [{"kind": "property", "reason": "房产证照片不清晰，请重新拍摄上传"}],
                    "note": "其余资料齐全",
                },
            ),
        ],
    ),
    (
        "customer_demo",
        dict(_LV, applicant_name="青城文具店", capacity_kva="20", address="呼和浩特市新城区兴安北路9号"),
        None,
        [],
    ),
    (
        "customer_demo2",
        dict(
            _HV2,
            applicant_name="呼和浩特云谷数据有限公司",
            capacity_kva="4000",
            address="呼和浩特市和林格尔新区云谷大道1号",
        ),
        20,
        [("submit", {}), ("accept", {}), ("reply_plan", _PLAN_EXT)],
    ),
    (
        "customer_demo2",
        dict(_LV, applicant_name="李华便利店", capacity_kva="40", address="呼和浩特市赛罕区昭乌达路15号"),
        9,
        [("submit", {}), ("accept", {}), ("reply_plan", _PLAN_ROAD), ("finish_design", {})],
    ),
    (
        "customer_demo2",
        dict(_LV, applicant_name="李华汽修", capacity_kva="95", address="呼和浩特市金桥开发区宝力尔街3号"),
        8,
        [("submit", {}), ("accept", {}), ("reply_plan", _PLAN_EXT), ("finish_design", {})],
    ),
    (
        "customer_demo2",
        dict(
            _HV1,
            applicant_name="呼和浩特乳业制品有限公司",
            capacity_kva="1250",
            address="呼和浩特市土左旗金山大街88号",
        ),
        4,
        [("submit", {}), ("accept", {})],
    ),
]


def seed(*, stdout):
    staff = User.objects.filter(username="psb_demo").first()
    created = 0
    for index, (username, fields, days_ago, steps) in enumerate(CASES, start=1):
        customer = User.objects.filter(username=username).first()
        if customer is None or staff is None:
            continue
        if Application.objects.filter(customer=customer, address=fields["address"]).exists():
            continue
        data = {**fields, "contact_phone": customer.phone or "13847100001"}
        data["id_number"] = (
            _resident_id(index) if fields["applicant_type"] == "resident" else credit_code(index)
        )
        kinds = [DocumentKind.IDENTITY, DocumentKind.PROPERTY]
        if fields["voltage"] == "high":
            kinds += [DocumentKind.CAPACITY_LIST, DocumentKind.PROJECT_APPROVAL]
        start = timezone.now() - timedelta(days=days_ago or 0)
        at = office_hours(timezone.localtime(start).replace(hour=9, minute=30, second=0, microsecond=0))
        with transaction.atomic():
            data["documents"] = [d.pk for d in wallet_documents(customer, kinds)]
            application = services.application_create(customer=customer, data=data, at=at)
            for name, step_data in steps:
                actor = customer if name == "submit" else staff
                services.application_transition(
                    application_id=application.pk, name=name, actor=actor, data=step_data, at=at
                )
                step = timedelta(days=max(1, (days_ago or 1) // (len(steps) + 1)))
                at = min(office_hours(at + step), max(at, timezone.now() - timedelta(minutes=5)))
        created += 1
    slots = _open_meter_slots(staff) if staff is not None else 0
    stdout.write(f"applications: {created} demo cases created, {slots} meter-visit slots opened.")


def _open_meter_slots(staff, days=3) -> int:
    """Meter-visit slots on the next working days (mornings and afternoons), unless some are open."""
    from deadlines.calendar import is_working_day

    from .appointments import MeterVisitSlot

    now = timezone.now()
    if MeterVisitSlot.objects.filter(starts_at__gt=now).exists():
        return 0
    day, opened = timezone.localdate(), 0
    while opened < days * 2:
        day += timedelta(days=1)
        if not is_working_day(day):
            continue
        for start, end in ((time(9, 0), time(11, 30)), (time(14, 0), time(17, 0))):
            MeterVisitSlot.objects.create(
                starts_at=timezone.make_aware(datetime.combine(day, start)),
                ends_at=timezone.make_aware(datetime.combine(day, end)),
                capacity=2,
                opened_by=staff,
            )
            opened += 1
    return opened
