from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qms.api.views import AnyMediaRenderer, RecordViewSet, record_etag
from qms.uploads import attachment_disposition

from .. import services
from ..choices import ContextStatus
from ..filters import ContextIssueFilterSet, InterestedPartyFilterSet
from ..ics import review_invitation
from ..minutes import minutes_file_response
from ..models import ContextIssue, InterestedParty, ManagementReview, QmsStatement, ReviewAttendance, ReviewDecision
from .serializers import (
    ContextIssueSerializer,
    ContextRetireSerializer,
    DecisionRecordSerializer,
    InterestedPartySerializer,
    ManagementReviewSerializer,
    QmsStatementSerializer,
    ReviewDecisionSerializer,
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

    queryset = ContextIssue.objects.select_related("owner")
    listed_ids = ("deputies", "processes")
    serializer_class = ContextIssueSerializer
    filterset_class = ContextIssueFilterSet


class InterestedPartyViewSet(ContextStatusActions, RecordViewSet):
    """Interested parties and their relevant requirements (ISO 9001 4.2)."""

    queryset = InterestedParty.objects.select_related("owner")
    listed_ids = ("deputies", "processes")
    serializer_class = InterestedPartySerializer
    filterset_class = InterestedPartyFilterSet


class QmsStatementViewSet(RecordViewSet):
    """Versions of the quality policy and the QMS scope, newest first. ?kind=policy or scope,
    ?status=draft, approved or superseded."""

    queryset = QmsStatement.objects.select_related("owner")
    listed_ids = ("deputies",)
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


# Management review
# ------------------------------------------------------------------------------


class ManagementReviewViewSet(RecordViewSet):
    """Management reviews (ISO 9001 9.3), the next first. ?status=planned, prepared, in_meeting or
    issued. Leadership and quality managers plan them; the chair, the deputies and quality
    managers change the plan until the meeting starts; issued minutes refuse every change (403)."""

    queryset = ManagementReview.objects.select_related("owner").prefetch_related(
        Prefetch("attendance", ReviewAttendance.objects.select_related("person"))
    )
    listed_ids = ("deputies",)
    serializer_class = ManagementReviewSerializer
    filterset_fields = ["status"]

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS and not obj.user_can_edit(request.user):
            raise PermissionDenied(
                _("%(review)s is %(status)s: its plan stays as it is.")
                % {"review": obj.reference, "status": obj.get_status_display().lower()}
            )

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    @api_action(detail=True, methods=["get"])
    def pack(self, request, pk=None):
        """The pack as the meeting saw it: the stored JSON, byte for byte, its SHA-256 as ETag and in
        X-Content-SHA256 (404 until the meeting starts and freezes it)."""
        review = self.get_object()
        if not review.is_pack_frozen:
            raise NotFound(_("The pack is frozen when the meeting starts."))
        response = HttpResponse(review.frozen_pack.encode(), content_type="application/json")
        response["ETag"] = f'"{review.frozen_pack_sha256}"'
        response["X-Content-SHA256"] = review.frozen_pack_sha256
        response["Last-Modified"] = http_date(review.frozen_at.timestamp())
        return response

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @api_action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyMediaRenderer])
    def minutes(self, request, pk=None):
        """The minutes PDF, byte for byte as stored after they were issued (404 until it is made)."""
        return minutes_file_response(self.get_object())

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY})
    @api_action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyMediaRenderer])
    def invitation(self, request, pk=None):
        """The calendar invitation (RFC 5545) as the signed-in person would receive it."""
        review = self.get_object()
        response = HttpResponse(review_invitation(review, request.user), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = attachment_disposition(f"{review.reference}.ics")
        return response


class ReviewDecisionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Decisions of the reviews (outputs of ISO 9001 9.3.3), each with the action it became.
    ?review=, ?input=, ?kind=, ?owner=. Recorded in the meeting (POST) by Leadership or a quality
    manager; each becomes an action owned by the person it names at once. Issued minutes refuse
    them (403)."""

    queryset = ReviewDecision.objects.select_related("action", "owner", "review")
    serializer_class = ReviewDecisionSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["review", "input", "kind", "owner"]

    def get_queryset(self):
        visible = ManagementReview.objects.restrict(self.request.user, "view")
        return self.queryset.filter(review__in=visible)

    @extend_schema(request=DecisionRecordSerializer, responses={201: ReviewDecisionSerializer})
    @transaction.atomic
    def create(self, request, *args, **kwargs):
        payload = DecisionRecordSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        decision = services.review_record_decision(user=request.user, **payload.validated_data)
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)
