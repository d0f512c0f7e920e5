"""The applications API (SPEC section 6): thin views over the selectors and services.

Status codes: 400 invalid fields (``{field: [message], "codes": {field: [code]}}``), 403 not your role,
404 outside your view (or no such transition), 409 not allowed from the current state or lost a race.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, DateTimeField, Prefetch, Value
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from django_fsm import TransitionNotAllowed
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import Application, ApplicationState, Document, Voltage
from .serializers import (
    ApplicationDetailSerializer,
    ApplicationInputSerializer,
    ApplicationListSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    PauseInputSerializer,
    TransitionInputSerializer,
)

CONFLICT = "conflict"
FORBIDDEN = "forbidden"


def error_response(exc) -> Response:
    """Map a service error to its HTTP answer."""
    if isinstance(exc, DjangoValidationError):
        body, codes = {}, {}
        if hasattr(exc, "error_dict"):
            items = exc.error_dict.items()
        else:
            items = [("non_field_errors", exc.error_list)]
        for field, errors in items:
            body[field] = [msg for err in errors for msg in err.messages]
            codes[field] = [err.code or "invalid" for err in errors]
            for err in errors:
                if err.params and "id" in err.params and field == "address":
                    body["existing"] = {"id": err.params["id"], "number": str(err.params.get("ref", ""))}
        body["codes"] = codes
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(
            {"detail": str(exc) or "无权执行此操作。", "code": FORBIDDEN}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": str(exc), "code": CONFLICT}, status=status.HTTP_409_CONFLICT)
    raise exc


class ApplicationPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class ApplicationFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ApplicationState.choices)
    voltage = filters.ChoiceFilter(choices=Voltage.choices)
    level = filters.ChoiceFilter(
        field_name="current_level",
        choices=[
            ("on_time", "on_time"),
            ("warning", "warning"),
            ("overdue", "overdue"),
            ("escalated", "escalated"),
        ],
        label="stage level",
    )
    stage = filters.CharFilter(field_name="current_stage")
    account_manager = filters.NumberFilter(field_name="account_manager_id")
    submitted_after = filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_before = filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")
    due_after = filters.DateFilter(field_name="current_due_at", lookup_expr="date__gte")
    due_before = filters.DateFilter(field_name="current_due_at", lookup_expr="date__lte")
    ordering = filters.OrderingFilter(
        fields=(
            ("submitted_at", "submitted_at"),
            ("current_due_at", "due_at"),
            ("number", "number"),
            ("capacity_kva", "capacity_kva"),
            ("id", "id"),
        ),
    )


class ApplicationListCreate(generics.ListAPIView):
    """A customer's own applications; the power bureau's queue (own cases first); a department's and a
    supervisor's cases. Filter by state, level, stage, voltage, account manager, submission and due date."""

    serializer_class = ApplicationListSerializer
    pagination_class = ApplicationPagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ApplicationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # The schema needs the annotated fields' types, not a database.
            return Application.objects.none().annotate(
                current_stage=Value("", CharField()),
                current_due_at=Value(None, DateTimeField()),
                current_level=Value("", CharField()),
            )
        user = self.request.user
        qs = selectors.with_current_stage(selectors.applications_visible_to(user))
        qs = qs.select_related("account_manager")
        if "ordering" not in self.request.query_params:
            qs = qs.order_by("mine", "-id") if user.has_role("account_manager") else qs.order_by("-id")
        return qs

    @extend_schema(request=ApplicationInputSerializer, responses={201: ApplicationDetailSerializer})
    def post(self, request):
        try:
            application = services.application_create(customer=request.user, data=_plain(request.data))
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            return error_response(exc)
        return Response(detail_data(request, application.pk), status=status.HTTP_201_CREATED)


def _plain(data) -> dict:
    if hasattr(data, "getlist"):
        out = {k: data.get(k) for k in data}
        if "documents" in data:
            out["documents"] = data.getlist("documents")
        return out
    return dict(data) if isinstance(data, dict) else {}


def detail_queryset(user):
    return (
        selectors.applications_visible_to(user)
        .select_related("account_manager", "customer")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("kind", "-pk")))
    )


def detail_data(request, pk) -> dict:
    application = get_object_or_404(detail_queryset(request.user), pk=pk)
    context = {
        "request": request,
        "available_transitions": selectors.available_transitions(application, request.user),
        "stages": selectors.stages_of(application),
        "timeline": selectors.timeline(application),
    }
    return ApplicationDetailSerializer(application, context=context).data


class ApplicationDetail(APIView):
    """One case: state, the transitions the caller may run now, stages with deadlines, the timeline."""

    @extend_schema(responses={200: ApplicationDetailSerializer})
    def get(self, request, pk):
        return Response(detail_data(request, pk))

    @extend_schema(request=ApplicationInputSerializer, responses={200: ApplicationDetailSerializer})
    def patch(self, request, pk):
        """The customer edits its draft or returned application."""
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        try:
            services.application_update(application_id=pk, actor=request.user, data=_plain(request.data))
        except (DjangoValidationError, DjangoPermissionDenied, TransitionNotAllowed) as exc:
            return error_response(exc)
        return Response(detail_data(request, pk))


class ApplicationTransition(APIView):
    """Run one transition by name with its fields; 200 with the application."""

    @extend_schema(
        request=TransitionInputSerializer,
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(services.USER_TRANSITIONS))
        ],
        responses={
            200: ApplicationDetailSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            404: OpenApiTypes.OBJECT,
            409: OpenApiResponse(OpenApiTypes.OBJECT, "not from this state"),
        },
    )
    def post(self, request, pk, name):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        try:
            services.application_transition(
                application_id=pk, name=name, actor=request.user, data=_plain(request.data)
            )
        except services.UnknownTransition:
            raise Http404
        except (DjangoValidationError, DjangoPermissionDenied, TransitionNotAllowed) as exc:
            return error_response(exc)
        return Response(detail_data(request, pk))


class ApplicationPause(APIView):
    """Stop the clock while the case waits on the customer (a reason is required)."""

    @extend_schema(request=PauseInputSerializer, responses={200: ApplicationDetailSerializer})
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        try:
            services.application_pause(
                application_id=pk, actor=request.user, reason=str(request.data.get("reason") or "")
            )
        except (DjangoValidationError, DjangoPermissionDenied, TransitionNotAllowed) as exc:
            return error_response(exc)
        return Response(detail_data(request, pk))


class ApplicationResume(APIView):
    """Restart the clock."""

    @extend_schema(request=None, responses={200: ApplicationDetailSerializer})
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        try:
            services.application_resume(application_id=pk, actor=request.user)
        except (DjangoPermissionDenied, TransitionNotAllowed) as exc:
            return error_response(exc)
        return Response(detail_data(request, pk))


class DocumentListCreate(generics.ListAPIView):
    """The caller's document wallet; upload one document (checked by content, at most 10 MB)."""

    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return Document.objects.filter(owner=self.request.user)

    @extend_schema(request=DocumentUploadSerializer, responses={201: DocumentSerializer})
    def post(self, request):
        valid_until = None
        raw = request.data.get("valid_until")
        if raw:
            field = DocumentUploadSerializer().fields["valid_until"]
            try:
                valid_until = field.to_internal_value(raw)
            except Exception:
                return Response(
                    {
                        "valid_until": [field.error_messages["invalid"].format(format="YYYY-MM-DD")],
                        "codes": {"valid_until": ["invalid"]},
                    },
                    status=400,
                )
        try:
            doc = services.document_upload(
                owner=request.user,
                kind=request.data.get("kind"),
                file=request.FILES.get("file"),
                valid_until=valid_until,
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            return error_response(exc)
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)


class DocumentDetail(generics.RetrieveAPIView):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        return selectors.documents_visible_to(self.request.user)


def document_file_response(user, pk) -> FileResponse:
    """The file of a document ``user`` may see, never cached by shared caches; 404 otherwise."""
    doc = get_object_or_404(selectors.documents_visible_to(user), pk=pk)
    response = FileResponse(
        doc.file.open("rb"), content_type=doc.content_type, filename=f"{doc.kind}-{doc.pk}{doc.extension}"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DocumentFile(APIView):
    """Download a document: its owner, and staff working a case it is attached to."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return document_file_response(request.user, pk)
