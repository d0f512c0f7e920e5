"""The approval-task API: thin views over the selectors and services.

Status codes as for case transitions (answered by ``hhht_power.exceptions.exception_handler``): 400
invalid fields (``{field: [message], "codes": {...}}``), 403 not your role or task, 404 outside your view
(or no such transition), 409 not allowed from the current state (of the task or of the case), joint
parts not done, or lost a race.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from hhht_power.drf import FormParser, MultiPartParser
from hhht_power.media import private_file_response

from . import selectors, services
from .models import ApprovalTask, TaskKind, TaskState
from .serializers import (
    TRANSITION_NAMES,
    CommentInputSerializer,
    CommentSerializer,
    SharedDocumentSerializer,
    SharedDocumentUploadSerializer,
    TaskDetailSerializer,
    TaskListSerializer,
    TaskTransitionInputSerializer,
)


class TaskPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class TaskFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=TaskKind.choices)
    state = filters.MultipleChoiceFilter(choices=TaskState.choices)
    application = filters.NumberFilter(field_name="application_id")
    level = filters.ChoiceFilter(
        field_name="clock__level",
        choices=[(v, v) for v in ("on_time", "warning", "overdue", "escalated")],
        label="clock level",
    )

    class Meta:
        model = ApprovalTask
        fields = ["kind", "state", "application", "level"]


def _data(request) -> dict:
    data = request.data
    if hasattr(data, "getlist"):
        return {k: data.get(k) for k in data}
    return dict(data)


def _text(request, name) -> str:
    value = request.data.get(name)
    return value if isinstance(value, str) else ""


def detail_data(request, pk) -> dict:
    task = selectors.task_detail(request.user, pk)  # ApprovalTask.DoesNotExist: 404
    context = {
        "request": request,
        "available_transitions": selectors.available_transitions(task, request.user),
        "documents": selectors.documents_of_case(request.user, task.application_id),
    }
    return TaskDetailSerializer(task, context=context).data


class TaskList(generics.ListAPIView):
    """A department's tasks (the window: the intake tasks), the tasks a supervisor coordinates, the tasks
    of the power bureau's cases. Filter by kind, state, case and clock level."""

    serializer_class = TaskListSerializer
    pagination_class = TaskPagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = TaskFilter

    def get_queryset(self):
        return selectors.task_list(self.request.user)


class TaskDetail(APIView):
    """One task: its state, the transitions the caller may run now, its clock, joint parts, comments,
    history and the case's shared documents."""

    @extend_schema(responses={200: TaskDetailSerializer})
    def get(self, request, pk):
        return Response(detail_data(request, pk))


class TaskTransition(APIView):
    """Run one task transition by name with its fields; 200 with the task."""

    @extend_schema(
        request=TaskTransitionInputSerializer,
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=TRANSITION_NAMES)],
        responses={
            200: TaskDetailSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            404: OpenApiTypes.OBJECT,
            409: OpenApiResponse(OpenApiTypes.OBJECT, "not from this state"),
        },
    )
    def post(self, request, pk, name):
        if name not in TRANSITION_NAMES:
            raise Http404
        get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        services.task_transition(task_id=pk, name=name, actor=request.user, data=_data(request))
        return Response(detail_data(request, pk))


class TaskComments(APIView):
    """The comments on a task; add one."""

    @extend_schema(responses={200: CommentSerializer(many=True)})
    def get(self, request, pk):
        task = get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        return Response(CommentSerializer(task.comments.select_related("author"), many=True).data)

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def post(self, request, pk):
        get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        comment = services.comment_add(task_id=pk, actor=request.user, text=_text(request, "text"))
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class TaskDocuments(APIView):
    """The case's shared permit documents (every version); upload one through this task (a document of
    the same kind and title becomes a new version)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: SharedDocumentSerializer(many=True)})
    def get(self, request, pk):
        task = get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        if not selectors.involved_in(request.user, task.application_id):
            raise Http404
        docs = selectors.documents_of_case(request.user, task.application_id)
        return Response(SharedDocumentSerializer(docs, many=True).data)

    @extend_schema(request=SharedDocumentUploadSerializer, responses={201: SharedDocumentSerializer})
    def post(self, request, pk):
        get_object_or_404(selectors.tasks_visible_to(request.user), pk=pk)
        doc = services.shared_document_upload(
            task_id=pk,
            actor=request.user,
            kind=request.data.get("kind"),
            title=_text(request, "title"),
            file=request.FILES.get("file"),
        )
        return Response(SharedDocumentSerializer(doc).data, status=status.HTTP_201_CREATED)


def shared_document_file_response(user, pk) -> HttpResponse:
    """The file of a shared permit document ``user`` may see (the API and the task page); 404 otherwise."""
    doc = get_object_or_404(selectors.shared_documents_visible_to(user), pk=pk)
    return private_file_response(
        doc.file,
        content_type=doc.content_type,
        filename=f"{doc.kind}-{doc.pk}-v{doc.version}{doc.extension}",
    )


class SharedDocumentFile(APIView):
    """Download a shared document: the departments of its case and the power bureau; 404 for others."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return shared_document_file_response(request.user, pk)
