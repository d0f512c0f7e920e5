"""The applications API (SPEC section 6): thin views over the selectors and services; errors are
answered by ``hhht_power.exceptions.exception_handler``.

Status codes: 400 invalid fields (``{field: [message], "codes": {field: [code]}}``), 403 not your role,
404 outside your view (or no such transition), 409 not allowed from the current state or lost a race.
"""

from django.db import connection
from django.db.models import CharField, DateTimeField, Prefetch, Value
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.middleware import client_ip
from hhht_power.drf import FormParser, MultiPartParser
from hhht_power.logs import bind_case
from hhht_power.media import private_file_response

from . import selectors, services
from .models import Application, ApplicationState, AuditEntry, Document, Voltage
from .serializers import (
    ApplicationDetailSerializer,
    ApplicationInputSerializer,
    ApplicationListSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    TransitionInputSerializer,
)

INVALID_PAGE = "invalid_page"
MESSAGE_INVALID_PAGE = _("页码须为不超过 %(max)s 的正整数。")
# The largest row offset PostgreSQL takes (bigint).
MAX_OFFSET = 2**63 - 1


class ApplicationPagination(PageNumberPagination):
    """Pages of the case list however large the queue: the count, the page and one row more.

    ``count`` is exact up to ``count_cap`` cases; above it the answer says ``"count_exact": false`` (the
    clerk narrows the list with the filters), and the pages go on as long as there are rows (the row
    read past the page says whether a next page exists). With ``own_first`` (an account manager's
    default queue) the page is the merge of the manager's own cases and the others, each read newest
    first from its index, instead of sorting the whole queue.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    count_cap = 1_000

    def page_bounds(self, request) -> tuple[int, int]:
        """``(offset, size)`` of the requested page; 400 for a page number that is not one."""
        self.request = request
        size = self.get_page_size(request)
        largest = MAX_OFFSET // size - 2  # the offset and the rows read past it fit a bigint
        raw = request.query_params.get(self.page_query_param, "1")
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= largest):
            message = MESSAGE_INVALID_PAGE % {"max": largest}
            raise ValidationError({self.page_query_param: [message]}, code=INVALID_PAGE)
        self.number = int(raw)
        return (self.number - 1) * size, size

    def set_page(self, counted: int, rows: list, size: int) -> list:
        """Record the count and whether a next page exists from ``rows`` (the page and one more); 404 for
        a page past the last."""
        self.count, self.count_exact = min(counted, self.count_cap), counted <= self.count_cap
        if self.number > 1 and not rows:
            raise NotFound(self.invalid_page_message.format(page_number=self.number, message=""))
        self.has_next = len(rows) > size
        return rows[:size]

    def paginate_queryset(self, queryset, request, view=None):
        offset, size = self.page_bounds(request)
        counted = queryset.order_by().values("pk")[: self.count_cap + 1].count()
        if getattr(view, "own_first", False):
            rows = self._own_first(queryset, request.user, offset, size + 1)
        else:
            rows = list(queryset[offset : offset + size + 1])
        return self.set_page(counted, rows, size)

    @staticmethod
    def _own_first(queryset, user, offset, size):
        if not connection.features.supports_slicing_ordering_in_compound:  # SQLite (make run)
            return list(queryset.order_by("mine", "-id")[offset : offset + size])
        depth = offset + size
        own = queryset.filter(account_manager_id=user.pk).order_by("-id")[:depth]
        rest = queryset.exclude(account_manager_id=user.pk).order_by("-id")[:depth]
        return list(own.union(rest, all=True).order_by("mine", "-id")[offset : offset + size])

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_exact"] = {"type": "boolean"}
        response["required"] = [*response.get("required", []), "count_exact"]
        return response


class ApplicationFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ApplicationState.choices, distinct=False)  # no join
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


STAGE_PARAMS = frozenset({"level", "stage", "due_after", "due_before"})
FILTER_PARAMS = frozenset(ApplicationFilter.base_filters)
# The columns a list row shows (``ApplicationListSerializer``) and the masking rule reads: the detail's
# columns and the manager's password, dates and flags are not read for every row of a page.
LIST_COLUMNS = (
    "number",
    "state",
    "business",
    "voltage",
    "power_sources",
    "applicant_type",
    "applicant_name",
    "id_number",
    "contact_phone",
    "address",
    "capacity_kva",
    "customer",
    "account_manager__username",
    "account_manager__real_name",
    "submitted_at",
    "connected_at",
    "paused_at",
    "zero_investment",
    "customer_cost",
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
        params = self.request.query_params
        qs = selectors.applications_visible_to(user).select_related("account_manager").only(*LIST_COLUMNS)
        if STAGE_PARAMS.intersection(params) or "due_at" in params.get("ordering", ""):
            # Filtering or sorting by the current stage needs it in SQL; the page shows it either way.
            qs = selectors.with_current_stage(qs)
        # An account manager's queue shows its own cases first (see ApplicationPagination).
        self.own_first = "ordering" not in params and user.has_role("account_manager")
        return qs if "ordering" in params else qs.order_by("-id")

    def filter_queryset(self, queryset):
        if not FILTER_PARAMS.intersection(self.request.query_params):
            return queryset  # no filter asked: the filter form is not built
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.attach_current_stage(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ApplicationInputSerializer, responses={201: ApplicationDetailSerializer})
    def post(self, request):
        application = services.application_create(customer=request.user, data=_plain(request.data))
        return Response(detail_data(request, application.pk), status=status.HTTP_201_CREATED)


def _plain(data) -> dict:
    """The request's fields as the services take them (a form's ``documents`` as a list)."""
    if hasattr(data, "getlist"):
        out = {k: data.get(k) for k in data}
        if "documents" in data:
            out["documents"] = data.getlist("documents")
        return out
    return dict(data)


def detail_queryset(user):
    """The cases ``user`` sees, each with its manager, documents (by kind, newest first), timeline and
    promised materials."""
    return (
        selectors.applications_visible_to(user)
        .select_related("account_manager")
        .prefetch_related(
            "promised_materials",
            Prefetch("documents", queryset=Document.objects.order_by("kind", "-pk")),
            Prefetch(
                "audit_entries",
                queryset=AuditEntry.objects.select_related("actor").order_by("at", "pk"),
                to_attr="timeline",
            ),
        )
    )


def detail_data(request, pk) -> dict:
    """The case as the API shows it to ``request.user``; 404 outside its view."""
    application = detail_queryset(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    bind_case(application)
    application.stages = selectors.stages_of(application)
    return ApplicationDetailSerializer(application, context={"request": request}).data


def _visible_or_404(request, pk) -> None:
    get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)


class ApplicationDetail(APIView):
    """One case: state, the transitions the caller may run now, stages with deadlines, the timeline."""

    @extend_schema(responses={200: ApplicationDetailSerializer})
    def get(self, request, pk):
        return Response(detail_data(request, pk))

    @extend_schema(request=ApplicationInputSerializer, responses={200: ApplicationDetailSerializer})
    def patch(self, request, pk):
        """The customer edits its draft or returned application."""
        _visible_or_404(request, pk)
        services.application_update(application_id=pk, actor=request.user, data=_plain(request.data))
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
        if name not in services.USER_TRANSITIONS:
            raise Http404
        _visible_or_404(request, pk)
        data = _plain(request.data)
        data["request_address"] = client_ip(request)  # recorded with a signed 告知承诺
        services.application_transition(application_id=pk, name=name, actor=request.user, data=data)
        return Response(detail_data(request, pk))


class ApplicationResume(APIView):
    """Restart the clock."""

    @extend_schema(request=None, responses={200: ApplicationDetailSerializer})
    def post(self, request, pk):
        _visible_or_404(request, pk)
        services.application_resume(application_id=pk, actor=request.user)
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
        valid_until = request.data.get("valid_until") or None
        if valid_until is not None:  # the service checks the rest, every problem at once
            field = DocumentUploadSerializer().fields["valid_until"]
            try:
                valid_until = field.run_validation(valid_until)
            except ValidationError as exc:
                raise ValidationError({"valid_until": exc.detail}) from None
        doc = services.document_upload(
            owner=request.user,
            kind=request.data.get("kind"),
            file=request.FILES.get("file"),
            valid_until=valid_until,
        )
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)


class DocumentDetail(generics.RetrieveAPIView):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        return selectors.documents_visible_to(self.request.user)


def document_file_response(user, pk) -> HttpResponse:
    """The file of a document ``user`` may see; 404 otherwise."""
    doc = get_object_or_404(selectors.documents_visible_to(user), pk=pk)
    return private_file_response(
        doc.file, content_type=doc.content_type, filename=f"{doc.kind}-{doc.pk}{doc.extension}"
    )


class DocumentFile(APIView):
    """Download a document: its owner, and staff working a case it is attached to."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return document_file_response(request.user, pk)
