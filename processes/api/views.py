from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from qms.api.serializers import plain_rows_prefetches
from qms.api.views import RecordViewSet

from ..filters import ProcessFilterSet
from ..models import HandOff, Process
from ..process_map import process_map
from .serializers import HandOffSerializer, ProcessMapQuerySerializer, ProcessMapSerializer, ProcessSerializer


class ProcessViewSet(RecordViewSet):
    """Processes with their turtle (inputs, outputs, resources, methods) and hand-offs. Processes are
    retired, never deleted."""

    queryset = Process.objects.select_related("org_unit").prefetch_related(*plain_rows_prefetches(ProcessSerializer))
    listed_ids = ("deputies",)
    serializer_class = ProcessSerializer
    filterset_class = ProcessFilterSet

    @extend_schema(
        parameters=[
            OpenApiParameter("org_unit", int, description="Only processes of this unit and the units below it."),
            OpenApiParameter("focus", int, description="One process and its direct neighbours."),
        ],
        responses=ProcessMapSerializer,
    )
    @api_action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def map(self, request):
        """The process map as nodes (processes) and edges (hand-offs), for integrations."""
        query = ProcessMapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        focus = query.validated_data.get("focus")
        visible = Process.objects.restrict(request.user, "view")
        focus = visible.filter(pk=focus).first() if focus is not None else None
        return Response(process_map(org_unit=query.validated_data.get("org_unit"), focus=focus).as_json())


class HandOffViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Hand-offs between processes. The owner of either process (or a quality manager) records or
    removes one."""

    queryset = HandOff.objects.select_related("source", "target")
    serializer_class = HandOffSerializer
    filterset_fields = ["source", "target"]

    @transaction.atomic
    def perform_create(self, serializer):
        if not HandOff(**serializer.validated_data).user_can_change(self.request.user):
            raise PermissionDenied("Only the owner of one of the two processes records a hand-off between them.")
        serializer.save()

    @transaction.atomic
    def perform_destroy(self, instance):
        if not instance.user_can_change(self.request.user):
            raise PermissionDenied("Only the owner of one of the two processes removes a hand-off between them.")
        instance.delete()
