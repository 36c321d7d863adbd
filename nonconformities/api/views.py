from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action as api_action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from qms.api.serializers import EffectivenessSerializer
from qms.api.views import RecordViewSet

from .. import services
from ..filters import NonconformityFilterSet
from ..models import Nonconformity
from .serializers import NonconformityMoveSerializer, NonconformitySerializer


class NonconformityViewSet(RecordViewSet):
    """Nonconformities (ISO 9001 10.2) with their gated workflow and effectiveness review."""

    queryset = Nonconformity.objects.select_related("owner", "source_type")
    listed_ids = ("deputies", "processes")
    serializer_class = NonconformitySerializer
    filterset_class = NonconformityFilterSet

    @extend_schema(request=NonconformityMoveSerializer, responses=NonconformitySerializer)
    @api_action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move it along its workflow, through its gates: contained, analysed, corrective_action,
        effectiveness_review, or cancelled (with a note saying why)."""
        nc = self.get_object()
        payload = NonconformityMoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        nc = services.nonconformity_move(nc=nc, user=request.user, **payload.validated_data)
        return Response(self.get_serializer(nc).data)

    @extend_schema(request=EffectivenessSerializer, responses=NonconformitySerializer)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def effectiveness(self, request, pk=None):
        """The effectiveness review, by quality, leadership or an auditor other than its owner and
        deputies: effective closes it, not effective sends it back to corrective action."""
        nc = self.get_object()
        payload = EffectivenessSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        nc = services.nonconformity_review_effectiveness(nc=nc, user=request.user, **payload.validated_data)
        return Response(self.get_serializer(nc).data)
