from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("<int:pk>/form/", views.application_form, name="form"),
    path("documents/<int:pk>/file/", views.document_file, name="document-file"),
]
