"""The project's URLs plus three views to compare against: ``/bench/bare/``, a bare Django view returning a
small JSON body; ``/bench/authenticated/``, a DRF view that only authenticates the API token (the
project's authentication and permission defaults) and returns the same body; and ``/bench/one-query/<pk>/``,
the same view reading three columns of one case with one ORM query (the floor of any endpoint that reads
the database through the ORM)."""

from django.http import Http404, JsonResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Application

BODY = {"status": "ok", "service": "hhht-power"}


def bare(request):
    return JsonResponse(BODY)


class Authenticated(APIView):
    def get(self, request):
        return Response(BODY)


class OneQuery(APIView):
    def get(self, request, pk):
        row = Application.objects.filter(pk=pk).values("id", "number", "state").first()
        if row is None:
            raise Http404
        return Response(row)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/authenticated/", Authenticated.as_view()),
    path("bench/one-query/<int:pk>/", OneQuery.as_view()),
    path("", include("hhht_power.urls")),
]
