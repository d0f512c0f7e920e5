"""办件查询 without signing in: a case found by its number and the last four digits of its contact phone
shows its steps, stages, promised and predicted dates, and nothing personal (no name, ID, address or
phone). The public page and ``GET /api/v1/lookup/`` answer from the same reader; both count every try
against one limit per client address (``accounts.ratelimit``, the group ``lookups``: 10 in 10 minutes).
"""

import re

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.ratelimit import RateLimitThrottle, over_limit
from applications import selectors
from applications.models import Application, ApplicationState
from approvals.selectors import permit_stage_summary
from deadlines.models import StageCode
from deadlines.risk import risks_for

from .case_page import customer_steps, planned_rules
from .common import PERMIT_STAGES, promised_day

GROUP = "lookups"
NUMBER_RE = re.compile(r"^HHHT-\d{4}-\d{6}$")
PHONE_RE = re.compile(r"^\d{4}$")


class LookupThrottle(RateLimitThrottle):
    group = GROUP


class LookupQuery(serializers.Serializer):
    number = serializers.CharField(
        label=gettext_lazy("申请编号"),
        max_length=20,
        help_text=gettext_lazy("例如 HHHT-2026-000123"),
    )
    phone = serializers.CharField(label=gettext_lazy("联系电话后四位"), max_length=4, min_length=4)

    def validate_number(self, value):
        value = value.strip().upper()
        if not NUMBER_RE.match(value):
            raise serializers.ValidationError(_("申请编号格式为 HHHT-年份-六位数字，例如 HHHT-2026-000123。"))
        return value

    def validate_phone(self, value):
        if not PHONE_RE.match(value.strip()):
            raise serializers.ValidationError(_("请输入联系电话的后四位数字。"))
        return value.strip()


class StageOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["done", "late", "returned", "running", "paused", "pending", "cancelled"],
        help_text="done / late: finished on time or late; returned: sent back for materials; running; "
        "paused: the clock waits; pending: to come; cancelled.",
    )
    status_label = serializers.CharField()
    started_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    finished_on = serializers.DateField(allow_null=True)
    limit_working_days = serializers.IntegerField(allow_null=True)
    paused_working_days = serializers.IntegerField(allow_null=True)


class StepOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["done", "current", "pending"])
    stages = StageOut(many=True)


class LookupOut(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    business = serializers.CharField()
    voltage = serializers.CharField()
    submitted_on = serializers.DateField(allow_null=True)
    promised_on = serializers.DateField(allow_null=True, help_text="承诺送电日期 (the overall commitment)")
    predicted_on = serializers.DateField(
        allow_null=True,
        help_text="预计送电日期: the case page's predicted completion (median of what stages take)",
    )
    paused = serializers.BooleanField()
    steps = StepOut(many=True)


def find_case(number: str, phone_last4: str) -> Application | None:
    """The submitted case with this number whose contact phone ends in these four digits, else None."""
    case = (
        Application.objects.exclude(state=ApplicationState.DRAFT)
        .filter(number=number, contact_phone__endswith=phone_last4)
        .first()
    )
    return case


def _local_day(instant):
    return timezone.localtime(instant).date() if instant else None


def _stage_out(row) -> dict:
    clock = row.get("clock")
    return {
        "code": str(row["code"]),
        "label": str(row["label"]),
        "status": row["status"],
        "status_label": str(row["status_label"]),
        "started_on": _local_day(clock.started_at) if clock else None,
        "due_on": row.get("due_day"),
        "finished_on": _local_day(clock.finished_at) if clock else None,
        "limit_working_days": row.get("limit"),
        "paused_working_days": row.get("paused_days"),
    }


def _predicted(application, clocks) -> object:
    """The predicted completion of an open case, as the case page shows it (``deadlines.risk``)."""
    if not application.is_open or application.submitted_at is None:
        return None
    risk = risks_for([application], today=timezone.localdate(), clocks={application.pk: clocks})
    return risk[application.pk].predicted if application.pk in risk else None


def public_progress(application) -> dict:
    """What anyone with the number and phone digits may read: no name, ID, address or phone."""
    clocks = selectors.stages_of(application)
    summary = permit_stage_summary(application) if any(c.stage in PERMIT_STAGES for c in clocks) else None
    history = selectors.timeline(application)
    returned_at = frozenset(e.at for e in history if e.transition == "return_for_materials")
    steps, overall = customer_steps(
        application, clocks, summary, returned_at=returned_at, rules=planned_rules(application)
    )
    return {
        "number": application.number,
        "state": application.state,
        "state_label": str(application.get_state_display()),
        "business": str(application.get_business_display()),
        "voltage": str(application.get_voltage_display()),
        "submitted_on": _local_day(application.submitted_at),
        "promised_on": promised_day(overall["clock"].due_at) if overall else None,
        "predicted_on": _predicted(application, clocks),
        "paused": application.paused_at is not None and application.is_open,
        "steps": [
            {
                "code": step["code"],
                "label": str(step["label"]),
                "status": step["status"],
                "stages": [_stage_out(r) for r in step["stages"] if r["code"] != StageCode.OVERALL],
            }
            for step in steps
        ],
    }


class LookupView(APIView):
    """办件查询: a case's progress by its number and the last four digits of its contact phone."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LookupThrottle]

    @extend_schema(
        parameters=[LookupQuery],
        responses={
            200: LookupOut,
            400: OpenApiResponse(description="Bad number or phone format (field by field)."),
            404: OpenApiResponse(description="No case with this number and phone digits."),
            429: OpenApiResponse(description="More than 10 tries from this address in 10 minutes."),
        },
        auth=[],
    )
    def get(self, request):
        query = LookupQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        case = find_case(query.validated_data["number"], query.validated_data["phone"])
        if case is None:
            return Response({"detail": _("未找到该申请：请核对申请编号和联系电话后四位。")}, status=404)
        return Response(LookupOut(public_progress(case)).data)


@require_GET
def page(request):
    """The public 办件查询 page: the form, and the case's progress once the pair matches."""
    context = {"number": (request.GET.get("number") or "").strip().upper(), "phone": ""}
    status = 200
    if "phone" in request.GET:
        query = LookupQuery(data=request.GET)
        context["phone"] = (request.GET.get("phone") or "").strip()
        if over_limit(request, GROUP):
            context["problem"] = _("查询次数过多，请10分钟后再试。")
            status = 429
        elif not query.is_valid():
            context["errors"] = {f: " ".join(str(m) for m in msgs) for f, msgs in query.errors.items()}
            status = 400
        else:
            case = find_case(query.validated_data["number"], query.validated_data["phone"])
            if case is None:
                context["problem"] = _("未找到该申请：请核对申请编号和联系电话后四位。")
                status = 404
            else:
                context["result"] = public_progress(case)
    response = render(request, "applications/lookup.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response
