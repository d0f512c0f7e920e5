"""Shapes of the applications API (SPEC section 6). Input is validated by the services, so the input
serializers here describe the fields for the OpenAPI schema and parse nothing themselves."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import selectors
from .models import (
    ApplicantType,
    ApplicationState,
    Business,
    Document,
    DocumentKind,
    Voltage,
    required_materials,
)
from .pause_selectors import pause_rows
from .promise_selectors import promised_rows


class DocumentSerializer(serializers.ModelSerializer):
    kind_display = serializers.SerializerMethodField()
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

    def get_kind_display(self, obj) -> str:
        # The enum's label: Django's get_FOO_display hashes and translates every choice on each call.
        return str(DocumentKind(obj.kind).label)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return _document_url(obj.pk)


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


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return str(obj)


class CurrentStageSerializer(serializers.Serializer):
    """The running stage (``selectors.attach_current_stage``), or null when none runs."""

    code = serializers.CharField(source="current_stage")
    due_at = serializers.DateTimeField(source="current_due_at", allow_null=True)
    level = serializers.CharField(source="current_level", allow_null=True)

    def to_representation(self, instance):
        return super().to_representation(instance) if getattr(instance, "current_stage", None) else None


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


class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    data = serializers.JSONField()


class MaterialSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    generated = serializers.BooleanField()
    document = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(allow_null=True)


class NoticeItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, default="")


class PauseSerializer(serializers.Serializer):
    """A pause of the case's clocks, or a staff request for one (the pause ledger)."""

    id = serializers.IntegerField()
    reason_code = serializers.CharField()
    reason = serializers.CharField()
    state = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    requested_by = serializers.CharField(allow_null=True)
    confirmed_by = serializers.CharField(allow_null=True)
    requested_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    working_days = serializers.IntegerField(allow_null=True)


class PromisedMaterialSerializer(serializers.Serializer):
    """A material promised with a 告知承诺 (一证受理)."""

    kind = serializers.CharField()
    due_at = serializers.DateTimeField()
    supplied_at = serializers.DateTimeField(allow_null=True)
    missed_at = serializers.DateTimeField(allow_null=True)


class ApplicationListSerializer(serializers.Serializer):
    """A row of the case list. ID and phone numbers are masked unless the caller may see them
    (``applications.see_personal_data``)."""

    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    state = serializers.ChoiceField(choices=ApplicationState.choices)
    state_display = serializers.SerializerMethodField()
    business = serializers.ChoiceField(choices=Business.choices)
    voltage = serializers.ChoiceField(choices=Voltage.choices)
    power_sources = serializers.IntegerField(allow_null=True)
    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices)
    applicant_name = serializers.CharField()
    id_number = serializers.CharField()
    contact_phone = serializers.CharField()
    address = serializers.CharField()
    capacity_kva = serializers.DecimalField(max_digits=10, decimal_places=2)
    account_manager = PersonSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    current_stage = CurrentStageSerializer(source="*", allow_null=True)
    paused = serializers.SerializerMethodField()
    zero_investment = serializers.BooleanField()
    customer_cost = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.update(selectors.personal_data_seen(instance, self.context["request"].user))
        return data

    def get_state_display(self, obj) -> str:
        return str(ApplicationState(obj.state).label)

    def get_paused(self, obj) -> bool:
        return obj.paused_at is not None


class ApplicationDetailSerializer(ApplicationListSerializer):
    """One case. ``stages`` are the case's clocks, which the view sets on the case (``stages_of``);
    ``timeline`` and ``documents`` are prefetched (``api.detail_queryset``)."""

    external_works = serializers.BooleanField(allow_null=True)
    road_excavation = serializers.BooleanField(allow_null=True)
    green_space = serializers.BooleanField(allow_null=True)
    plan_summary = serializers.CharField()
    meter_number = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    notice = NoticeItemSerializer(many=True)
    materials = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True)
    available_transitions = serializers.SerializerMethodField()
    stages = StageSerializer(many=True)
    timeline = AuditEntrySerializer(many=True)
    form_url = serializers.SerializerMethodField()
    pauses = serializers.SerializerMethodField()
    promised_materials = serializers.SerializerMethodField()

    def get_available_transitions(self, obj) -> list[str]:
        return selectors.available_transitions(obj, self.context["request"].user)

    @extend_schema_field(MaterialSerializer(many=True))
    def get_materials(self, obj):
        """The materials the case's voltage requires, each with its attached document (or the form the
        portal generates) and where to read it."""
        attached = {doc.kind: doc for doc in obj.documents.all()}
        labels = dict(DocumentKind.choices)
        rows = []
        for kind in required_materials(obj.voltage):
            generated = kind == DocumentKind.APPLICATION_FORM
            doc = attached.get(kind)
            url = self.get_form_url(obj) if generated else (_document_url(doc.pk) if doc else None)
            rows.append(
                {
                    "kind": kind,
                    "label": labels[kind],
                    "generated": generated,
                    "document": doc.pk if doc else None,
                    "url": url,
                }
            )
        return MaterialSerializer(rows, many=True).data

    def get_form_url(self, obj) -> str:
        return reverse("applications:form", kwargs={"pk": obj.pk})

    @extend_schema_field(PauseSerializer(many=True))
    def get_pauses(self, obj):
        return PauseSerializer(pause_rows(obj), many=True).data

    @extend_schema_field(PromisedMaterialSerializer(many=True))
    def get_promised_materials(self, obj):
        return PromisedMaterialSerializer(promised_rows(obj), many=True).data


def _document_url(pk: int) -> str:
    return reverse("api-document-file", kwargs={"pk": pk})
