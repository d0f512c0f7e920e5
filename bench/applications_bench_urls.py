"""The project's URLs plus ``/bench/bare/``: a bare Django view returning a small JSON body."""

from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"status": "ok", "service": "hhht-power"})


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("hhht_power.urls")),
]
