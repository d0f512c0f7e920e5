"""Demo data for ``manage.py seed_demo``: one case of customer_demo in ``approving`` with its permit tasks
in several states (intake accepted, planning permit granted, road permit in its joint site survey, green
permit returned for correction), a design drawing in two versions and a comment, all moved through the
real services at instants in the past. Idempotent: the case is created once (found by its address)."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from applications import services as case_services
from applications.demo import PNG, credit_code, office_hours, wallet_documents
from applications.models import Application, DocumentKind

from . import services
from .models import ApprovalTask

ADDRESS = "呼和浩特市新城区成吉思汗大街18号"
WALLET_KINDS = (DocumentKind.IDENTITY, DocumentKind.PROPERTY)


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
    at = office_hours((now - timedelta(days=12)).replace(hour=9, minute=30, second=0, microsecond=0))

    def later(hours=2):
        """The next step, in office hours, never after now."""
        nonlocal at
        at = min(office_hours(at + timedelta(hours=hours)), max(at, now - timedelta(minutes=5)))
        return at

    with transaction.atomic():
        application = case_services.application_create(
            customer=customer,
            data={
                "business": "new",
                "voltage": "low",
                "applicant_type": "small_micro",
                "applicant_name": "青城奶茶铺",
                "id_number": credit_code(90001),
                "contact_phone": customer.phone or "13847100001",
                "address": ADDRESS,
                "capacity_kva": "60",
                "documents": [d.pk for d in wallet_documents(customer, WALLET_KINDS)],
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
                file=ContentFile(PNG, name=f"route-v{version}.png"),
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
