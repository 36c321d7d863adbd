from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action as api_action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from qms.api.views import RecordViewSet

from .. import services
from ..filters import RiskFilterSet
from ..models import Risk, RiskMatrix
from .serializers import RiskMatrixSerializer, RiskReviewSerializer, RiskSerializer


class RiskViewSet(RecordViewSet):
    """Risks and opportunities (ISO 9001 6.1) with their scores on the matrix, reviews and acceptance."""

    queryset = Risk.objects.select_related("owner")
    listed_ids = ("deputies", "processes", "objectives")
    serializer_class = RiskSerializer
    filterset_class = RiskFilterSet

    @extend_schema(responses=RiskReviewSerializer(many=True))
    @api_action(detail=True, methods=["get"], url_path="reviews", pagination_class=None)
    def reviews(self, request, pk=None):
        """The reviews of the risk, newest first: the history of its score."""
        risk = self.get_object()
        return Response(RiskReviewSerializer(risk.reviews.all(), many=True).data)

    @extend_schema(request=RiskReviewSerializer, responses={201: RiskReviewSerializer})
    @reviews.mapping.post
    def review_create(self, request, pk=None):
        """Record a review: its scores become the risk's residual scores and the next review date moves."""
        risk = self.get_object()
        payload = RiskReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review = services.risk_review_record(risk=risk, user=request.user, **payload.validated_data)
        return Response(RiskReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RiskSerializer)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def approve(self, request, pk=None):
        """Leadership approves accepting a high or critical risk, with the rationale as it stands."""
        risk = self.get_object()
        risk = services.risk_approve_acceptance(risk=risk, user=request.user)
        return Response(self.get_serializer(risk).data)


class RiskMatrixView(generics.RetrieveAPIView):
    """The scoring matrix: named levels (lowest first; level n is n on the axis), and the score each
    band starts at. A score is likelihood × impact (benefit, for opportunities)."""

    serializer_class = RiskMatrixSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self):
        return RiskMatrix.current()
