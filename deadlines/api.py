"""``GET /api/v1/warnings/`` (SPEC section 6): the warnings the caller's organisation should see."""

from datetime import UTC

from django import forms
from django_filters import fields as filter_fields
from django_filters import rest_framework as filters
from rest_framework import generics

from accounts.permissions import HasRolePermission

from .models import Level, StageCode, Warning
from .selectors import warnings_visible_to
from .serializers import WarningSerializer


class InstantField(filter_fields.IsoDateTimeField):
    """An ISO 8601 instant, in UTC: an offset PostgreSQL does not take (beyond ±15:59), or an instant
    outside years 1 to 9999 once in UTC, is an invalid value, not a database error."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return None if value is None else value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class InstantFilter(filters.IsoDateTimeFilter):
    field_class = InstantField


class WarningFilter(filters.FilterSet):
    level = filters.MultipleChoiceFilter(choices=[c for c in Level.choices if c[0] != Level.ON_TIME])
    stage = filters.MultipleChoiceFilter(choices=StageCode.choices)
    application = filters.NumberFilter(field_name="subject_id", label="application id")
    open = filters.BooleanFilter(method="filter_open", label="clock still open")
    raised_after = InstantFilter(field_name="raised_at", lookup_expr="gte")

    class Meta:
        model = Warning
        fields = ["level", "stage", "application", "open", "raised_after"]

    def filter_open(self, queryset, name, value):
        open_q = {"clock__finished_at__isnull": True, "clock__cancelled_at__isnull": True}
        return queryset.filter(**open_q) if value else queryset.exclude(**open_q)


class WarningList(generics.ListAPIView):
    """Newest first. Filters: ``level`` (repeatable), ``stage``, ``application``, ``open``,
    ``raised_after``."""

    serializer_class = WarningSerializer
    permission_classes = [HasRolePermission]
    required_perm = "deadlines.view_warnings"
    filterset_class = WarningFilter
    ordering_fields = ["raised_at", "due_at"]
    ordering = ["-raised_at", "-id"]
    queryset = Warning.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Warning.objects.none()
        return warnings_visible_to(self.request.user).order_by("-raised_at", "-id")
