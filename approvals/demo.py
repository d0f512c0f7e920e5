"""Demo data for ``manage.py seed_demo``: one case of customer_demo in ``approving`` with its permit tasks
in several states (intake accepted, planning permit granted, road permit in its joint site survey, green
permit returned for correction), a design drawing in two versions and a comment, all moved through the
real services at instants in the past. Idempotent: the case is created once (found by its address)."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from accounts.models import User
from applications import services as case_services
from applications.models import Application, Document, DocumentKind

from . import services
from .models import ApprovalTask

ADDRESS = "呼和浩特市新城区成吉思汗大街18号"
# A one-pixel PNG: the demo's stand-in for scanned drawings.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _credit_code():
    base = "91150100MA0P00018"
    return base + uscc.calc_check_digit(base)


def _wallet(customer):
    docs = []
    for kind in (DocumentKind.IDENTITY, DocumentKind.PROPERTY):
        doc = Document.objects.filter(owner=customer, kind=kind, rejected_at=None).first()
        if doc is None:
            doc = Document(
                owner=customer,
                kind=kind,
                original_name=f"{kind}.png",
                content_type="image/png",
                size=len(_PNG),
            )
            doc.sha256 = "demo"
            doc.file.save("demo", ContentFile(_PNG), save=False)
            doc.save()
        docs.append(doc)
    return docs


def seed(*, stdout):
    users = {u.username: u for u in User.objects.filter(username__endswith="_demo")}
    needed = ("customer_demo", "psb_demo", "window_demo", "zrzy_demo", "cgzf_demo", "zjj_demo")
    if any(name not in users for name in needed):
        stdout.write("approvals: demo accounts missing, nothing seeded.")
        return
    customer, staff = users["customer_demo"], users["psb_demo"]
    if Application.objects.filter(customer=customer, address=ADDRESS).exists():
        stdout.write("approvals: demo permit case already there.")
        return
    now = timezone.localtime()
    at = (now - timedelta(days=7)).replace(hour=9, minute=30, second=0, microsecond=0)

    def later(hours=2):
        nonlocal at
        at += timedelta(hours=hours)
        return at

    with transaction.atomic():
        application = case_services.application_create(
            customer=customer,
            data={
                "business": "new",
                "voltage": "low",
                "applicant_type": "small_micro",
                "applicant_name": "青城奶茶铺",
                "id_number": _credit_code(),
                "contact_phone": customer.phone or "13847100001",
                "address": ADDRESS,
                "capacity_kva": "60",
                "documents": [d.pk for d in _wallet(customer)],
            },
            at=at,
        )
        plan = {
            "external_works": True,
            "road_excavation": True,
            "green_space": True,
            "plan_summary": "低压电缆穿越成吉思汗大街，需移植行道树两株",
        }
        for name, data, actor in (
            ("submit", {}, customer),
            ("accept", {}, staff),
            ("reply_plan", plan, staff),
            ("finish_design", {"design_summary": "电缆沿人行道敷设，路口顶管穿越"}, staff),
        ):
            case_services.application_transition(
                application_id=application.pk, name=name, actor=actor, data=data, at=later(20)
            )

        def task(kind):
            return ApprovalTask.objects.filter(application=application, kind=kind).order_by("-id").first()

        def run(kind, name, actor, **data):
            services.task_transition(task_id=task(kind).pk, name=name, actor=actor, data=data, at=later())

        for version in (1, 2):
            services.shared_document_upload(
                task_id=task("window_intake").pk,
                actor=staff,
                kind="design_drawing",
                title="外线路径图",
                file=ContentFile(_PNG, name=f"route-v{version}.png"),
                at=later(1),
            )
        run("window_intake", "accept_filing", users["window_demo"], green_owner="public")
        run("planning_permit", "start_review", users["zrzy_demo"])
        run("planning_permit", "grant", users["zrzy_demo"], permit_number="规划许可〔2026〕示例1号")
        run("road_permit", "start_review", users["cgzf_demo"])
        run("road_permit", "record_part", users["cgzf_demo"], note="管线局：与燃气管线间距满足要求")
        run("road_permit", "record_part", users["zjj_demo"], note="市政工程管理局：路面按原结构恢复")
        run("green_permit", "start_review", users["window_demo"])
        run("green_permit", "return_for_correction", users["window_demo"], reason="请补充树木移植方案")
        services.comment_add(
            task_id=task("road_permit").pk,
            actor=users["cgzf_demo"],
            text="待交管支队踏勘后出件。",
            at=later(1),
        )
    application.refresh_from_db(fields=["number"])  # the number is given by the submit service
    stdout.write(f"approvals: demo permit case {application.number} created.")
