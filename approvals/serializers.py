"""Shapes of the approval-task API. Input is validated by the services; the input serializers here
describe the fields for the OpenAPI schema."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    ApprovalTask,
    GreenOwner,
    SharedDocument,
    SharedDocumentKind,
    TaskAuditEntry,
    TaskComment,
    TaskPart,
)
from .transitions import USER_TRANSITIONS


class ClockSerializer(serializers.Serializer):
    """The task's stage clock (``deadlines.models.StageClock``)."""

    stage = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.SerializerMethodField()
    level = serializers.CharField()
    limit_working_days = serializers.IntegerField(allow_null=True)
    elapsed_working_days = serializers.IntegerField(allow_null=True)
    provisional = serializers.BooleanField()

    def get_paused(self, clock) -> bool:
        return clock.paused_at is not None


class OrganisationRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TaskListSerializer(serializers.ModelSerializer):
    application_number = serializers.CharField(source="application.number", read_only=True)
    application_state = serializers.CharField(source="application.state", read_only=True)
    address = serializers.CharField(source="application.address", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    department = OrganisationRefSerializer(read_only=True)
    clock = ClockSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ApprovalTask
        fields = [
            "id",
            "application",
            "application_number",
            "application_state",
            "address",
            "kind",
            "kind_display",
            "round",
            "department",
            "state",
            "state_display",
            "created_at",
            "closed_at",
            "clock",
        ]
        read_only_fields = fields


class PartSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    done_by = serializers.SerializerMethodField()

    class Meta:
        model = TaskPart
        fields = ["id", "kind", "kind_display", "organisation", "done_at", "done_by", "note"]
        read_only_fields = fields

    def get_done_by(self, part) -> str | None:
        return str(part.done_by) if part.done_by_id else None


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = TaskComment
        fields = ["id", "author", "at", "text"]
        read_only_fields = fields

    def get_author(self, comment) -> str:
        return str(comment.author)


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(label=_("内容"), max_length=2000)


class HistorySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TaskAuditEntry
        fields = ["at", "actor", "transition", "from_state", "to_state", "reason", "data"]
        read_only_fields = fields

    def get_actor(self, entry) -> str | None:
        return str(entry.actor) if entry.actor_id else None


class SharedDocumentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    task_kind = serializers.CharField(source="task.kind", read_only=True, allow_null=True)
    uploaded_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = SharedDocument
        fields = [
            "id",
            "application",
            "task",
            "task_kind",
            "kind",
            "kind_display",
            "title",
            "version",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "url",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, doc) -> str:
        return str(doc.uploaded_by)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, doc) -> str:
        return reverse("api-approval-document-file", kwargs={"pk": doc.pk})


class SharedDocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(label=_("材料类别"), choices=SharedDocumentKind.choices)
    title = serializers.CharField(label=_("名称（同名即新版本）"), max_length=100, required=False)
    file = serializers.FileField(label=_("文件（PDF、JPEG或PNG，不超过10MB）"))


class TaskDetailSerializer(TaskListSerializer):
    available_transitions = serializers.SerializerMethodField()
    parts = PartSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    history = HistorySerializer(source="audit_entries", many=True, read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta(TaskListSerializer.Meta):
        fields = [
            *TaskListSerializer.Meta.fields,
            "green_owner",
            "permit_number",
            "decision_reason",
            "relocated_at",
            "available_transitions",
            "parts",
            "comments",
            "documents",
            "history",
        ]
        read_only_fields = fields

    def get_available_transitions(self, task) -> list[str]:
        return list(self.context.get("available_transitions", []))

    @extend_schema_field(SharedDocumentSerializer(many=True))
    def get_documents(self, task):
        return SharedDocumentSerializer(self.context.get("documents", []), many=True).data


class TaskTransitionInputSerializer(serializers.Serializer):
    """The fields of every task transition; each reads only its own."""

    reason = serializers.CharField(
        label=_("理由（不予许可、退回补正时必填）"), required=False, allow_blank=True, max_length=2000
    )
    note = serializers.CharField(label=_("意见"), required=False, allow_blank=True, max_length=2000)
    permit_number = serializers.CharField(
        label=_("许可文号"), required=False, allow_blank=True, max_length=60
    )
    green_owner = serializers.ChoiceField(
        label=_("绿地权属（受理时）"), choices=GreenOwner.choices, required=False
    )


TRANSITION_NAMES = list(USER_TRANSITIONS)
