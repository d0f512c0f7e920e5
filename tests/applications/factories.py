"""Factories and helpers for cases and documents, reused by other apps' tests.

- ``DocumentFactory``: a wallet document (a real tiny PNG/PDF in private storage).
- ``ApplicationFactory``: a draft with valid identifiers; traits ``resident``, ``enterprise``,
  ``high_voltage``, ``dual_source``, ``with_documents`` (the materials the case needs, valid).
- ``case_in_state(state, ...)``: a case driven through the real services up to ``state`` (clocks, audit
  and notifications included), e.g. ``case_in_state("approving", road_excavation=True)``.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.cn import ric, uscc

from accounts.models import User
from applications import services
from applications.models import (
    GENERATED_KINDS,
    Application,
    ApplicationState,
    Document,
    DocumentKind,
    required_materials,
)
from tests.factories import UserFactory

# The smallest real files of each accepted type.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def resident_id(n: int = 1) -> str:
    """A valid resident ID (新城区, Hohhot, born 1990-01-01), check digit computed."""
    base = f"15010219900101{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def credit_code(n: int = 1) -> str:
    """A valid unified social credit code (an enterprise registered in Hohhot)."""
    base = f"91150100MA0N{n % 100000:05d}"
    return base + uscc.calc_check_digit(base)


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    owner = factory.SubFactory(UserFactory)
    kind = DocumentKind.IDENTITY
    file = factory.LazyFunction(lambda: ContentFile(PNG_BYTES, name="doc.png"))
    original_name = "doc.png"
    content_type = "image/png"
    size = len(PNG_BYTES)
    sha256 = hashlib.sha256(PNG_BYTES).hexdigest()
    valid_until = None

    class Params:
        expired = factory.Trait(
            valid_until=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
        )


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft (the state machine moves it further: see ``case_in_state``)."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    customer = factory.SubFactory(UserFactory)
    business = "new"
    voltage = "low"
    power_sources = None
    applicant_type = "small_micro"
    applicant_name = factory.Sequence(lambda n: f"呼和浩特测试商贸有限公司{n}")
    id_number = factory.Sequence(lambda n: credit_code(n))
    contact_phone = "13947100001"
    address = factory.Sequence(lambda n: f"内蒙古自治区呼和浩特市新城区测试路{n}号")
    capacity_kva = Decimal("50")

    class Params:
        resident = factory.Trait(
            applicant_type="resident",
            applicant_name="张三",
            id_number=factory.Sequence(lambda n: resident_id(n)),
            capacity_kva=Decimal("8"),
        )
        enterprise = factory.Trait(applicant_type="enterprise")
        high_voltage = factory.Trait(
            voltage="high", power_sources=1, applicant_type="enterprise", capacity_kva=Decimal("630")
        )
        dual_source = factory.Trait(
            voltage="high", power_sources=2, applicant_type="enterprise", capacity_kva=Decimal("2000")
        )

    @factory.post_generation
    def with_documents(self, create, extracted, **kwargs):
        """``with_documents=True``: a valid document of every kind the case needs."""
        if create and extracted:
            attach_materials(self)


def attach_materials(application: Application) -> list[Document]:
    """Give the case a valid document of every kind it needs (the application form is generated)."""
    docs = [
        DocumentFactory(owner=application.customer, kind=kind)
        for kind in required_materials(application.voltage)
        if kind not in GENERATED_KINDS
    ]
    application.documents.add(*docs)
    return docs


def grid_staff(username="psb_case_worker") -> User:
    user = User.objects.filter(username=username).first()
    return user or UserFactory(username=username, roles=["psb_staff", "account_manager"], org="psb")


# The path of each state, from draft (names of transitions and their data).
def _path(state, *, external_works, road_excavation, green_space):
    plan = {
        "external_works": external_works,
        "road_excavation": road_excavation,
        "green_space": green_space,
        "plan_summary": "自配电箱引出，低压接入",
    }
    steps = [("submit", {})]
    if state == ApplicationState.SUBMITTED:
        return steps
    if state == ApplicationState.RETURNED:
        return [*steps, ("return_for_materials", {"missing": ["property"], "note": "房产证不清晰"})]
    steps.append(("accept", {}))
    if state == ApplicationState.ACCEPTED:
        return steps
    steps.append(("reply_plan", plan))
    if state in (ApplicationState.DESIGNING,) or (
        state == ApplicationState.INSTALLING and not external_works
    ):
        return steps
    if external_works:
        steps.append(("finish_design", {}))
        if state in (ApplicationState.APPROVING,) or (
            state == ApplicationState.CONSTRUCTING and not (road_excavation or green_space)
        ):
            return steps
        if road_excavation or green_space:
            steps.append(("permits_granted", {}))
        if state == ApplicationState.CONSTRUCTING:
            return steps
        steps.append(("finish_construction", {}))
    if state == ApplicationState.INSTALLING:
        return steps
    steps.append(("connect", {"meter_number": "M-0001"}))
    if state == ApplicationState.CONNECTED:
        return steps
    raise ValueError(f"no path to {state}")


def case_in_state(
    state: str,
    *,
    customer=None,
    staff=None,
    external_works: bool = False,
    road_excavation: bool = False,
    green_space: bool = False,
    at=None,
    step=timedelta(hours=2),
    **fields,
) -> Application:
    """A case moved to ``state`` through the services (clocks started, audit written).

    ``at`` is the instant of the first step (default: just far enough in the past that the last step is
    before now); each further step happens ``step`` later.
    Extra keyword arguments go to ``ApplicationFactory`` (``high_voltage=True``, ``capacity_kva=...``).
    """
    if state in (ApplicationState.APPROVING,) and not (road_excavation or green_space):
        road_excavation = True
    if (
        road_excavation
        or green_space
        or state in (ApplicationState.DESIGNING, ApplicationState.APPROVING, ApplicationState.CONSTRUCTING)
    ):
        external_works = True
    customer = customer or UserFactory(roles=["customer"])
    application = ApplicationFactory(customer=customer, with_documents=True, **fields)
    if state == ApplicationState.DRAFT:
        return application
    staff = staff or grid_staff()
    terminal = None
    if state in (ApplicationState.WITHDRAWN, ApplicationState.TERMINATED):
        terminal, state = state, ApplicationState.SUBMITTED
    steps = _path(
        state, external_works=external_works, road_excavation=road_excavation, green_space=green_space
    )
    at = at or timezone.now() - step * (len(steps) + 1)
    for name, data in steps:
        if name == "permits_granted":
            services.application_permits_granted(application_id=application.pk, actor=staff, at=at)
        else:
            actor = customer if name == "submit" else staff
            services.application_transition(
                application_id=application.pk, name=name, actor=actor, data=data, at=at
            )
        at += step
    if terminal == ApplicationState.WITHDRAWN:
        services.application_transition(
            application_id=application.pk, name="withdraw", actor=customer, data={}, at=at
        )
    elif terminal == ApplicationState.TERMINATED:
        services.application_transition(
            application_id=application.pk,
            name="terminate",
            actor=staff,
            data={"reason": "客户要求终止"},
            at=at,
        )
    application.refresh_from_db()
    return application
