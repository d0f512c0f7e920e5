from django.urls import path

from . import pages, views

app_name = "applications"
urlpatterns = [
    path("<int:pk>/form/", views.application_form, name="form"),
    path("documents/<int:pk>/file/", views.document_file, name="document-file"),
    # The browser portal (pages.py).
    path("mine/", pages.mine, name="mine"),
    path("new/", pages.create, name="create"),
    path("new/check/", pages.validate_field, name="validate-field"),
    path("wallet/", pages.wallet, name="wallet"),
    path("queue/", pages.queue, name="queue"),
    path("<int:pk>/", pages.detail, name="detail"),
    path("<int:pk>/edit/", pages.edit, name="edit"),
    path("<int:pk>/preview/", pages.preview, name="preview"),
    path("<int:pk>/preview/form/", pages.form_frame, name="form-frame"),
    path("<int:pk>/actions/<str:name>/", pages.transition, name="transition"),
    path("<int:pk>/supply/", pages.supply, name="supply"),
    path("<int:pk>/pause/", pages.pause, name="pause"),
    path("<int:pk>/resume/", pages.resume, name="resume"),
    path("<int:pk>/assign/", pages.assign, name="assign"),
    path("<int:pk>/rate/", pages.rate, name="rate"),
    path("documents/<int:pk>/preview/", pages.document_preview, name="document-preview"),
]
