from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Level, StageCode, Warning

APPLICATION_MODEL = ("applications", "application")


class WarningSerializer(serializers.ModelSerializer):
    """A warning as SPEC section 6 names it (``application``, ``stage``, ``level``, ``raised_at``,
    ``due_at``), with labels and units."""

    application = serializers.SerializerMethodField()
    stage = serializers.ChoiceField(choices=StageCode.choices)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    level = serializers.ChoiceField(choices=Level.choices)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    responsible_org = serializers.CharField(source="responsible_org.name", default=None, read_only=True)
    coordinating_org = serializers.CharField(source="coordinating_org.name", default=None, read_only=True)
    subject_type = serializers.SerializerMethodField()
    clock_open = serializers.SerializerMethodField()
    current_level = serializers.CharField(source="clock.level", read_only=True)

    class Meta:
        model = Warning
        fields = [
            "id",
            "application",
            "subject_type",
            "subject_id",
            "stage",
            "stage_label",
            "level",
            "level_label",
            "raised_at",
            "due_at",
            "provisional",
            "responsible_org",
            "coordinating_org",
            "clock_open",
            "current_level",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_application(self, obj) -> int | None:
        ct = obj.subject_type
        return obj.subject_id if (ct.app_label, ct.model) == APPLICATION_MODEL else None

    def get_subject_type(self, obj) -> str:
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}"

    def get_clock_open(self, obj) -> bool:
        return obj.clock.is_open
