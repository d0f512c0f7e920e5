"""The project's URLs plus two views to compare against: ``/bench/bare/``, a bare Django view returning a
small JSON body, and ``/bench/authenticated/``, a DRF view that only authenticates the API token (the
project's authentication and permission defaults) and returns the same body."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

BODY = {"status": "ok", "service": "hhht-power"}


def bare(request):
    return JsonResponse(BODY)


class Authenticated(APIView):
    def get(self, request):
        return Response(BODY)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/authenticated/", Authenticated.as_view()),
    path("", include("hhht_power.urls")),
]
