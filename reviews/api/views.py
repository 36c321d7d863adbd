from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action as api_action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from qms.api.views import RecordViewSet, record_etag

from .. import services
from ..choices import ContextStatus
from ..filters import ContextIssueFilterSet, InterestedPartyFilterSet
from ..models import ContextIssue, InterestedParty, QmsStatement
from .serializers import (
    ContextIssueSerializer,
    ContextRetireSerializer,
    InterestedPartySerializer,
    QmsStatementSerializer,
    StatementApproveSerializer,
)


class ContextStatusActions:
    """Retiring a context issue or an interested party that no longer matters, with the reason
    history keeps, and bringing a retired one back: as their pages do, by their owners and deputies."""

    @extend_schema(request=ContextRetireSerializer)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def retire(self, request, pk=None):
        payload = ContextRetireSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._set_status(ContextStatus.RETIRED, reason=payload.validated_data["reason"])

    @extend_schema(request=None)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reinstate(self, request, pk=None):
        return self._set_status(ContextStatus.ACTIVE)

    def _set_status(self, status: str, reason: str = "") -> Response:
        record = services.context_set_status(
            record=self.get_object(), user=self.request.user, status=status, reason=reason
        )
        return Response(self.get_serializer(record).data, headers={"ETag": record_etag(record)})


class ContextIssueViewSet(ContextStatusActions, RecordViewSet):
    """Internal and external issues (ISO 9001 4.1). Filter with ?changed_recently=true for those
    added or changed in the last six months."""

    queryset = ContextIssue.objects.select_related("owner").prefetch_related("deputies", "processes")
    serializer_class = ContextIssueSerializer
    filterset_class = ContextIssueFilterSet


class InterestedPartyViewSet(ContextStatusActions, RecordViewSet):
    """Interested parties and their relevant requirements (ISO 9001 4.2)."""

    queryset = InterestedParty.objects.select_related("owner").prefetch_related("deputies", "processes")
    serializer_class = InterestedPartySerializer
    filterset_class = InterestedPartyFilterSet


class QmsStatementViewSet(RecordViewSet):
    """Versions of the quality policy and the QMS scope, newest first. ?kind=policy or scope,
    ?status=draft, approved or superseded."""

    queryset = QmsStatement.objects.select_related("owner").prefetch_related("deputies")
    serializer_class = QmsStatementSerializer
    filterset_fields = ["kind", "status"]

    @extend_schema(request=StatementApproveSerializer, responses=QmsStatementSerializer)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def approve(self, request, pk=None):
        """A Leadership member other than its drafter approves the draft; the version approved
        until now is superseded."""
        statement = self.get_object()
        payload = StatementApproveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        statement = services.statement_approve(statement=statement, user=request.user, **payload.validated_data)
        return Response(self.get_serializer(statement).data, headers={"ETag": record_etag(statement)})
