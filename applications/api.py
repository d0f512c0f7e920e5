"""The applications API (SPEC section 6): thin views over the selectors and services.

Status codes: 400 invalid fields (``{field: [message], "codes": {field: [code]}}``), 403 not your role,
404 outside your view (or no such transition), 409 not allowed from the current state or lost a race.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import CharField, DateTimeField, Prefetch, Value
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from django_fsm import TransitionNotAllowed
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.authentication import TokenAuthentication, forget, remembered
from hhht_power.media import private_file_response

from . import selectors, services, sql_reads
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
        """``(offset, size)`` of the requested page; 404 for a page number that is not one."""
        self.request = request
        size = self.get_page_size(request)
        try:
            self.number = int(request.query_params.get(self.page_query_param, 1))
            if self.number < 1:
                raise ValueError
        except (TypeError, ValueError):
            raise NotFound(self.invalid_page_message.format(page_number="?", message=""))
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


STAGE_PARAMS = frozenset({"level", "stage", "due_after", "due_before"})
FILTER_PARAMS = frozenset(ApplicationFilter.base_filters)
# The columns a list row reads (ApplicationListSerializer.to_representation, the masking rule): the
# notice, the plan and the other detail columns, and the manager's password, dates and flags, are not
# loaded and turned into objects for every row of a page.
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


class RememberedTokenReads:
    """Authentication of the API's hot reads (``accounts.authentication.remembered``): a GET with a token
    authenticated before in this process is not authenticated by a query of its own; the read's
    statement carries ``token_guard`` and reads nothing when the remembered user is out of date, and
    the view then calls ``authenticate_again`` and reads again."""

    token_guard = None

    def perform_authentication(self, request):
        # The authenticator DRF would record on success (it names the scheme of a later 401).
        authenticator = next((a for a in request.authenticators if isinstance(a, TokenAuthentication)), None)
        # Django's request itself: DRF's reaches its attributes through a failed lookup each.
        http = request._request
        found = remembered(http) if http.method == "GET" and authenticator else None
        if found is None:
            request.user  # DRF's authentication  # noqa: B018
            return
        request.user, request.auth, self.token_guard = found
        request._authenticator = authenticator

    def authenticate_again(self, request):
        """Forget the remembered token and authenticate it the usual way (401 if it is no longer valid;
        remembered again if it is)."""
        forget(self.token_guard.key)
        self.token_guard = None
        request._authenticate()
        self.check_permissions(request)


class ApplicationListCreate(RememberedTokenReads, generics.ListAPIView):
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
        self.own_first = "ordering" not in self.request.query_params and user.has_role("account_manager")
        return qs if "ordering" in self.request.query_params else qs.order_by("-id")

    def filter_queryset(self, queryset):
        if not FILTER_PARAMS.intersection(self.request.query_params):
            return queryset  # building the filter form costs more than the page's queries
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        seen = selectors.visibility(request.user)
        if sql_reads.ready(seen) and not FILTER_PARAMS.intersection(request.query_params):
            # The default queue (no filter, newest first): hand-written SQL, one statement.
            paginator = self.paginator
            offset, size = paginator.page_bounds(request)
            found = sql_reads.queue_page(
                seen, offset=offset, limit=size + 1, cap=paginator.count_cap + 1, guard=self.token_guard
            )
            if found is None:  # the remembered authentication is out of date
                self.authenticate_again(request)
                return self.list(request, *args, **kwargs)
            page = paginator.set_page(*found, size)
        else:
            if self.token_guard is not None:  # the ORM path checks no remembered authentication
                self.authenticate_again(request)
                return self.list(request, *args, **kwargs)
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            selectors.attach_current_stage(page)
        return self.get_paginated_response(self.get_serializer().rows(page))

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


def detail_data(request, pk, guard=None) -> dict | None:
    """The case as the API shows it to ``request.user``; 404 outside its view. With ``guard`` (a
    remembered authentication), None when nothing was read: the guard is out of date, the case is
    outside the view, or the user's view is not one the guarded read serves."""
    seen = selectors.visibility(request.user)
    if sql_reads.ready(seen):
        found = sql_reads.case(seen, pk, guard)
        if found is None:
            if guard is not None:
                return None
            raise Http404
        application, stages, timeline = found
    elif guard is not None:  # the ORM path checks no remembered authentication
        return None
    else:
        application = detail_queryset(request.user).filter(pk=pk).first()
        if application is None:
            raise Http404
        stages, timeline = selectors.stages_of(application), selectors.timeline(application)
    context = {
        "request": request,
        "available_transitions": selectors.available_transitions(application, request.user),
        "stages": stages,
        "timeline": timeline,
    }
    return ApplicationDetailSerializer(context=context).to_representation(application)


class ApplicationDetail(RememberedTokenReads, APIView):
    """One case: state, the transitions the caller may run now, stages with deadlines, the timeline."""

    @extend_schema(responses={200: ApplicationDetailSerializer})
    def get(self, request, pk):
        data = detail_data(request, pk, self.token_guard)
        if data is None:  # not read under the remembered authentication: authenticate as usual, read again
            self.authenticate_again(request)
            data = detail_data(request, pk)
        return Response(data)

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
        data = _plain(request.data)
        data["request_address"] = request.META.get("REMOTE_ADDR")  # recorded with a signed 告知承诺
        try:
            services.application_transition(application_id=pk, name=name, actor=request.user, data=data)
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


def document_file_response(user, pk) -> HttpResponse:
    """The file of a document ``user`` may see, never cached by shared caches; 404 otherwise."""
    doc = get_object_or_404(selectors.documents_visible_to(user), pk=pk)
    response = private_file_response(
        doc.file, content_type=doc.content_type, filename=f"{doc.kind}-{doc.pk}{doc.extension}"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DocumentFile(APIView):
    """Download a document: its owner, and staff working a case it is attached to."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return document_file_response(request.user, pk)
