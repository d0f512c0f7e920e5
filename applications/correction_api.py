"""At acceptance:
- ``POST applications/{id}/correct/`` ``{applicant_type, voltage, power_sources, reason}``: staff correct
  the case (200, the case); 400 for bad values or no reason, 409 once the supply plan is answered;
- ``POST applications/{id}/second-return-approval/`` ``{reason}``: a supervisor allows a second return."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import correction_services, gates, selectors
from .api import _plain, detail_data
from .serializers import ApplicationDetailSerializer

CORRECTION_INPUT = inline_serializer(
    "CorrectionInput",
    fields={
        "applicant_type": serializers.CharField(required=False),
        "voltage": serializers.CharField(required=False),
        "power_sources": serializers.IntegerField(required=False, allow_null=True),
        "reason": serializers.CharField(),
    },
)


class ApplicationCorrect(APIView):
    @extend_schema(request=CORRECTION_INPUT, responses={200: ApplicationDetailSerializer})
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        correction_services.application_correct(
            application_id=pk, actor=request.user, data=_plain(request.data)
        )
        return Response(detail_data(request, pk))


class SecondReturnApproval(APIView):
    """``POST applications/{id}/second-return-approval/`` ``{reason}``: the supervisor coordinating the
    acceptance allows one more return with the one-time notice (201)."""

    @extend_schema(
        request=inline_serializer("SecondReturnInput", fields={"reason": serializers.CharField()}),
        responses={201: ApplicationDetailSerializer},
    )
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        gates.second_return_approve(application_id=pk, actor=request.user, reason=request.data.get("reason"))
        return Response(detail_data(request, pk), status=status.HTTP_201_CREATED)
