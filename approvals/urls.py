from django.urls import path

from . import pages

app_name = "approvals"
urlpatterns = [
    # The browser portal (pages.py): departments' and the one-stop window's permit tasks.
    path("", pages.queue, name="queue"),
    path("tasks/<int:pk>/", pages.task, name="task"),
    path("tasks/<int:pk>/actions/<str:name>/", pages.task_action, name="task-action"),
    path("tasks/<int:pk>/upload/", pages.upload, name="upload"),
    path("tasks/<int:pk>/comment/", pages.comment, name="comment"),
    path("documents/<int:pk>/", pages.document, name="document"),
]
