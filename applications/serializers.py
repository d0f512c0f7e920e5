"""Shapes of the applications API (SPEC section 6). Input is validated by the services, so the input
serializers here describe the fields for the OpenAPI schema and parse nothing themselves."""

import functools

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.masking import mask_id_number, mask_phone
from accounts.models import RoleCode

from .models import (
    ApplicantType,
    Application,
    ApplicationState,
    AuditEntry,
    Business,
    Document,
    DocumentKind,
    Voltage,
    may,
    required_materials,
)


class DocumentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "kind_display",
            "original_name",
            "content_type",
            "size",
            "valid_until",
            "uploaded_at",
            "rejected_at",
            "rejected_reason",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return reverse("api-document-file", kwargs={"pk": obj.pk})


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(label=_("资料类别"), choices=DocumentKind.choices)
    file = serializers.FileField(label=_("文件（PDF、JPEG或PNG，不超过10MB）"))
    valid_until = serializers.DateField(label=_("有效期至"), required=False, allow_null=True)


class ApplicationInputSerializer(serializers.Serializer):
    """A draft's fields; every one is checked by the service, all problems reported at once."""

    business = serializers.ChoiceField(label=_("业务类型"), choices=Business.choices)
    voltage = serializers.ChoiceField(label=_("电压等级"), choices=Voltage.choices)
    power_sources = serializers.ChoiceField(
        label=_("电源数（高压）"), choices=[1, 2], required=False, allow_null=True
    )
    applicant_type = serializers.ChoiceField(label=_("申请人类型"), choices=ApplicantType.choices)
    applicant_name = serializers.CharField(label=_("申请人名称"), max_length=100)
    id_number = serializers.CharField(label=_("身份证号码或统一社会信用代码"), max_length=18)
    contact_phone = serializers.CharField(label=_("手机号码"), max_length=20)
    address = serializers.CharField(label=_("用电地址"), max_length=200)
    capacity_kva = serializers.DecimalField(label=_("申请容量（kVA）"), max_digits=10, decimal_places=2)
    account_number = serializers.CharField(label=_("原有户号（增容）"), max_length=20, required=False)
    existing_capacity_kva = serializers.DecimalField(
        label=_("原有容量（kVA，增容）"), max_digits=10, decimal_places=2, required=False
    )
    documents = serializers.ListField(
        label=_("资料库中的资料编号"), child=serializers.IntegerField(), required=False
    )


class TransitionInputSerializer(serializers.Serializer):
    """The fields of every transition; each transition reads only its own."""

    missing = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="return_for_materials: every missing or invalid kind at once (a kind, or {kind, reason})",
    )
    note = serializers.CharField(required=False, help_text="return_for_materials")
    external_works = serializers.BooleanField(required=False, help_text="reply_plan")
    road_excavation = serializers.BooleanField(required=False, help_text="reply_plan")
    green_space = serializers.BooleanField(required=False, help_text="reply_plan")
    plan_summary = serializers.CharField(required=False, help_text="reply_plan")
    customer_cost = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="reply_plan (not for zero-investment cases)",
    )
    design_summary = serializers.CharField(required=False, help_text="finish_design")
    meter_number = serializers.CharField(required=False, help_text="connect")
    reason = serializers.CharField(required=False, help_text="terminate (required), withdraw")
    documents = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="submit: wallet documents to attach first"
    )


class PauseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("暂停原因"))


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class CurrentStageSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    level = serializers.CharField(allow_null=True)


class StageSerializer(serializers.Serializer):
    code = serializers.CharField(source="stage")
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    level = serializers.CharField()
    provisional = serializers.BooleanField()
    limit_working_days = serializers.IntegerField(allow_null=True)
    finished_late = serializers.BooleanField(allow_null=True)


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = ["at", "actor", "transition", "from_state", "to_state", "reason", "data"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, obj) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class MaterialSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    generated = serializers.BooleanField()
    document = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(allow_null=True)


class NoticeItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)


_STATE_LABELS = dict(ApplicationState.choices)


@functools.cache
def _state_labels(language: str) -> dict[str, str]:
    """The states' display names in ``language`` (active when first asked), translated once."""
    return {state: str(label) for state, label in _STATE_LABELS.items()}


def _datetime(value, tz=None):
    """The instant in the current time zone, which the API's renderer (``hhht_power.drf.JSONRenderer``)
    writes as DRF's ``DateTimeField`` would (ISO 8601, ``Z`` for UTC) in C, where ``isoformat`` and the
    suffix check cost a third of a case's serializer; no field built and no time zone looked up per value."""
    return None if value is None else value.astimezone(tz or timezone.get_current_timezone())


def _money(value):
    """A Decimal amount with two decimals; a list row's amounts come as text already (``sql_reads``)."""
    return value if value is None or type(value) is str else f"{value:.2f}"


_DATE = serializers.DateField()
_KIND_LABELS = dict(DocumentKind.choices)


def _date(value):
    return None if value is None else _DATE.to_representation(value)


_PK = 2_147_483_647


def _pk_url(name: str, pk: int) -> str:
    """``reverse(name, kwargs={"pk": pk})`` from the URL reversed once per script prefix: a case holds a
    URL per document and material, and ``reverse`` resolves its pattern anew every time."""
    return _pk_urls(name)(pk)


def _pk_urls(name: str):
    """``_pk_url`` for many keys: the script prefix (a context variable) is read once."""
    head, tail = _pk_url_parts(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{pk}{tail}"


@functools.cache
def _pk_url_parts(name: str, prefix: str, urlconf) -> tuple[str, str]:
    head, _pk, tail = reverse(name, kwargs={"pk": _PK}, urlconf=urlconf).partition(str(_PK))
    return head, tail


@functools.cache
def _kind_labels(language: str) -> dict[str, str]:
    """The document kinds' display names in ``language`` (active when first asked), translated once."""
    return {kind: str(label) for kind, label in _KIND_LABELS.items()}


def _materials(application, documents, labels, form_url, file_url) -> list[dict]:
    """The materials the case's voltage requires, each with the attached document (or the generated
    form at ``form_url``) and where to read it (``file_url(document id)``)."""
    attached = {d.kind: d for d in documents}
    rows = []
    for kind in required_materials(application.voltage):
        generated = kind == DocumentKind.APPLICATION_FORM
        doc = attached.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": labels[kind],
                "generated": generated,
                "document": doc.pk if doc else None,
                "url": form_url if generated else (file_url(doc.pk) if doc else None),
            }
        )
    return rows


def _document_row(doc, tz=None, labels=None, file_url=None) -> dict:
    """``DocumentSerializer(doc).data`` built directly (same fields and formats): the detail shows a few
    documents per request and DRF would build the ModelSerializer's fields anew for each request."""
    return {
        "id": doc.pk,
        "kind": doc.kind,
        "kind_display": (labels or _kind_labels(translation.get_language())).get(doc.kind, doc.kind),
        "original_name": doc.original_name,
        "content_type": doc.content_type,
        "size": doc.size,
        "valid_until": _date(doc.valid_until),
        "uploaded_at": _datetime(doc.uploaded_at, tz),
        "rejected_at": _datetime(doc.rejected_at, tz),
        "rejected_reason": doc.rejected_reason,
        "url": (file_url or _pk_urls("api-document-file"))(doc.pk),
    }


def _audit_row(entry, tz=None) -> dict:
    """``AuditEntrySerializer(entry).data`` built directly (same fields and formats)."""
    return {
        "at": _datetime(entry.at, tz),
        "actor": str(entry.actor) if entry.actor_id else None,
        "transition": entry.transition,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "reason": entry.reason,
        "data": entry.data,
    }


def _stage_row(clock, tz=None) -> dict:
    """``StageSerializer(clock).data`` built directly (same fields and formats)."""
    return {
        "code": clock.stage,
        "started_at": _datetime(clock.started_at, tz),
        "due_at": _datetime(clock.due_at, tz),
        "finished_at": _datetime(clock.finished_at, tz),
        "cancelled_at": _datetime(clock.cancelled_at, tz),
        "paused_at": _datetime(clock.paused_at, tz),
        "level": clock.level,
        "provisional": bool(clock.provisional),
        "limit_working_days": clock.limit_working_days,
        "finished_late": None if clock.finished_late is None else bool(clock.finished_late),
    }


class ApplicationListSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    id_number = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    account_manager = serializers.SerializerMethodField()
    current_stage = serializers.SerializerMethodField()
    paused = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "state",
            "state_display",
            "business",
            "voltage",
            "power_sources",
            "applicant_type",
            "applicant_name",
            "id_number",
            "contact_phone",
            "address",
            "capacity_kva",
            "account_manager",
            "submitted_at",
            "connected_at",
            "current_stage",
            "paused",
            "zero_investment",
            "customer_cost",
        ]
        read_only_fields = fields

    def _unmasked(self, obj) -> bool:
        user = self.context["request"].user
        return may(user, "applications.see_personal_data", obj)

    def to_representation(self, obj):
        """The list row built directly (the same fields and formats as the declared ones, which the
        schema documents): DRF's generic field machinery costs more than the queries of a page."""
        user_id, grid, tz, labels = self._page_facts()
        unmasked = grid or obj.customer_id == user_id
        manager = obj.account_manager if obj.account_manager_id else None
        code = getattr(obj, "current_stage", None)
        return {
            "id": obj.pk,
            "number": obj.number,
            "state": obj.state,
            "state_display": labels[obj.state],
            "business": obj.business,
            "voltage": obj.voltage,
            "power_sources": obj.power_sources,
            "applicant_type": obj.applicant_type,
            "applicant_name": obj.applicant_name,
            "id_number": obj.id_number if unmasked else mask_id_number(obj.id_number),
            "contact_phone": obj.contact_phone if unmasked else mask_phone(obj.contact_phone),
            "address": obj.address,
            "capacity_kva": _money(obj.capacity_kva),
            "account_manager": {"id": manager.pk, "name": str(manager)} if manager else None,
            "submitted_at": _datetime(obj.submitted_at, tz),
            "connected_at": _datetime(obj.connected_at, tz),
            "current_stage": {
                "code": code,
                "due_at": _datetime(obj.current_due_at, tz),
                "level": obj.current_level,
            }
            if code
            else None,
            "paused": obj.paused_at is not None,
            "zero_investment": obj.zero_investment,
            "customer_cost": _money(obj.customer_cost),
        }

    def _page_facts(self) -> tuple:
        """What is the same for every row of a page, decided once per serializer (a page's rows are
        all written by one: ``rows``)."""
        page = self.__dict__.get("_page")
        if page is None:
            user = self.context["request"].user
            page = self._page = (
                user.pk,
                # Same rule as "applications.see_personal_data" (the owner, grid staff).
                user.has_role(RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER),
                timezone.get_current_timezone(),
                _state_labels(translation.get_language()),
            )
        return page

    def rows(self, objs) -> list[dict]:
        """``type(self)(objs, many=True, context=...).data`` written by this one serializer: DRF's list
        serializer is built anew, and each row asks it for the context, on every page."""
        return [self.to_representation(obj) for obj in objs]

    def get_id_number(self, obj) -> str:
        return obj.id_number if self._unmasked(obj) else mask_id_number(obj.id_number)

    def get_contact_phone(self, obj) -> str:
        return obj.contact_phone if self._unmasked(obj) else mask_phone(obj.contact_phone)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_account_manager(self, obj):
        manager = obj.account_manager
        return {"id": manager.pk, "name": str(manager)} if manager else None

    @extend_schema_field(CurrentStageSerializer(allow_null=True))
    def get_current_stage(self, obj):
        code = getattr(obj, "current_stage", None)
        if not code:
            return None
        return {"code": code, "due_at": obj.current_due_at, "level": obj.current_level}

    def get_paused(self, obj) -> bool:
        return obj.paused_at is not None


class ApplicationDetailSerializer(ApplicationListSerializer):
    available_transitions = serializers.SerializerMethodField()
    stages = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    notice = NoticeItemSerializer(many=True, read_only=True)
    form_url = serializers.SerializerMethodField()
    pauses = serializers.SerializerMethodField()
    promised_materials = serializers.SerializerMethodField()

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields,
            "external_works",
            "road_excavation",
            "green_space",
            "plan_summary",
            "meter_number",
            "created_at",
            "closed_at",
            "paused_at",
            "notice",
            "materials",
            "documents",
            "available_transitions",
            "stages",
            "timeline",
            "form_url",
            "pauses",
            "promised_materials",
        ]
        read_only_fields = fields

    def to_representation(self, obj):
        data = super().to_representation(obj)
        tz = self._page_facts()[2]
        documents = obj.attached_documents()
        kinds = _kind_labels(translation.get_language())
        form_url, file_url = _pk_url("applications:form", obj.pk), _pk_urls("api-document-file")
        data.update(
            external_works=obj.external_works,
            road_excavation=obj.road_excavation,
            green_space=obj.green_space,
            plan_summary=obj.plan_summary,
            meter_number=obj.meter_number,
            created_at=_datetime(obj.created_at, tz),
            closed_at=_datetime(obj.closed_at, tz),
            paused_at=_datetime(obj.paused_at, tz),
            notice=[{"kind": i["kind"], "reason": i.get("reason", "")} for i in obj.notice or []],
            materials=_materials(obj, documents, kinds, form_url, file_url),
            documents=[_document_row(doc, tz, kinds, file_url) for doc in documents],
            available_transitions=self.get_available_transitions(obj),
            stages=[_stage_row(clock, tz) for clock in self.context["stages"]],
            timeline=[_audit_row(entry, tz) for entry in self.context["timeline"]],
            form_url=form_url,
            pauses=self.get_pauses(obj, tz),
            promised_materials=self.get_promised_materials(obj, tz),
        )
        return data

    def get_pauses(self, obj, tz=None) -> list[dict]:
        from .pause_selectors import pause_rows

        return pause_rows(obj, tz)

    def get_promised_materials(self, obj, tz=None) -> list[dict]:
        from .promise_selectors import promised_rows

        return promised_rows(obj, tz)

    def get_available_transitions(self, obj) -> list[str]:
        return self.context["available_transitions"]

    @extend_schema_field(StageSerializer(many=True))
    def get_stages(self, obj):
        return [_stage_row(clock) for clock in self.context["stages"]]

    @extend_schema_field(AuditEntrySerializer(many=True))
    def get_timeline(self, obj):
        return [_audit_row(entry) for entry in self.context["timeline"]]

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, obj):
        return [_document_row(doc) for doc in obj.attached_documents()]

    @extend_schema_field(MaterialSerializer(many=True))
    def get_materials(self, obj):
        return _materials(
            obj,
            obj.attached_documents(),
            _kind_labels(translation.get_language()),
            _pk_url("applications:form", obj.pk),
            _pk_urls("api-document-file"),
        )

    def get_form_url(self, obj) -> str:
        return _pk_url("applications:form", obj.pk)


STATE_CHOICES = ApplicationState.choices
