"""``POST applications/{id}/promised-materials/`` ``{documents: [ids]}``: the customer supplies what it
promised under its 告知承诺 (200, the case); 400 for documents invalid or of no promised kind."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import promise_services, selectors
from .api import detail_data
from .serializers import ApplicationDetailSerializer


class PromisedMaterialsSupply(APIView):
    @extend_schema(
        request=inline_serializer(
            "PromisedSupply", fields={"documents": serializers.ListField(child=serializers.IntegerField())}
        ),
        responses={200: ApplicationDetailSerializer},
    )
    def post(self, request, pk):
        get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
        documents = (
            request.data.getlist("documents")
            if hasattr(request.data, "getlist")
            else request.data.get("documents")
        )
        promise_services.promised_materials_supply(application_id=pk, actor=request.user, documents=documents)
        return Response(detail_data(request, pk))
