from django.urls import path

from . import api

urlpatterns = [
    path("approval-tasks/", api.TaskList.as_view(), name="api-approval-tasks"),
    path("approval-tasks/<int:pk>/", api.TaskDetail.as_view(), name="api-approval-task"),
    path(
        "approval-tasks/<int:pk>/transitions/<slug:name>/",
        api.TaskTransition.as_view(),
        name="api-approval-task-transition",
    ),
    path("approval-tasks/<int:pk>/comments/", api.TaskComments.as_view(), name="api-approval-task-comments"),
    path(
        "approval-tasks/<int:pk>/documents/", api.TaskDocuments.as_view(), name="api-approval-task-documents"
    ),
    path(
        "approval-documents/<int:pk>/file/",
        api.SharedDocumentFile.as_view(),
        name="api-approval-document-file",
    ),
]
