from django.urls import path

from . import api

urlpatterns = [
    path("warnings/", api.WarningList.as_view(), name="api-warnings"),
]
