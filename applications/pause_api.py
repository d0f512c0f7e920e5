"""The customer's clock endpoints (SPEC 6): ask for a pause, answer a pause request, press (催办).

- ``POST applications/{id}/pause/`` ``{reason_code, note}`` (multipart with ``evidence`` too): by the
  case's customer, paused at once (200, the case); by staff, a request (202,
  ``{"pause_request": {"id", "state": "requested"}}``) and no due date moves.
- ``POST applications/{id}/pause-requests/{pid}/confirm/`` and ``.../decline/``: the case's customer, or
  for an external cause the coordinating supervisor (200, the case); anyone else 403, or 404 where the
  case must not be seen.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from hhht_power.drf import FormParser, JSONParser, MultiPartParser

from . import pause_services, selectors, urging
from .api import detail_data
from .pauses import PauseState
from .serializers import ApplicationDetailSerializer

PAUSE_INPUT = inline_serializer(
    "PauseInput",
    fields={
        "reason_code": serializers.CharField(),
        "note": serializers.CharField(required=False, allow_blank=True),
        "evidence": serializers.FileField(required=False),
    },
)
PAUSE_REQUESTED = inline_serializer(
    "PauseRequested",
    fields={
        "pause_request": inline_serializer(
            "PauseRequestRef", fields={"id": serializers.IntegerField(), "state": serializers.CharField()}
        )
    },
)


class ApplicationPauseAsk(APIView):
    """Ask for a pause of the case's clocks with a reason code from the closed list."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=PAUSE_INPUT,
        responses={
            200: ApplicationDetailSerializer,
            202: PAUSE_REQUESTED,
            400: OpenApiResponse(description="invalid reason, note or evidence"),
            403: OpenApiResponse(description="not the case's customer or staff"),
            409: OpenApiResponse(description="not pausable now"),
        },
    )
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        pause = pause_services.pause_ask(
            application_id=pk,
            actor=request.user,
            reason_code=request.data.get("reason_code"),
            note=request.data.get("note") or "",
            evidence=request.FILES.get("evidence"),
        )
        if pause.state == PauseState.REQUESTED:
            return Response(
                {"pause_request": {"id": pause.pk, "state": pause.state}}, status=status.HTTP_202_ACCEPTED
            )
        return Response(detail_data(request, pk))


class PauseRequestAnswer(APIView):
    """Confirm (the clocks stop now) or decline a pause request."""

    confirm = True

    @extend_schema(request=None, responses={200: ApplicationDetailSerializer})
    def post(self, request, pk, pid):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        pause_services.pause_answer(application_id=pk, pause_id=pid, actor=request.user, confirm=self.confirm)
        return Response(detail_data(request, pk))


class PauseRequestConfirm(PauseRequestAnswer):
    confirm = True


class PauseRequestDecline(PauseRequestAnswer):
    confirm = False


class ApplicationUrge(APIView):
    """``POST applications/{id}/urge/``: the customer presses for its case (催办), once per working day
    (200 with ``{"urged": n}``; 409 when pressed already today)."""

    @extend_schema(
        request=None,
        responses={200: inline_serializer("Urged", fields={"urged": serializers.IntegerField()})},
    )
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        n = urging.application_urge(application_id=pk, actor=request.user)
        return Response({"urged": n})
