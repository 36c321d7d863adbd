from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from qms.api.views import RecordViewSet

from .. import services
from ..filters import AuditFilterSet, AuditProgrammeFilterSet, FindingFilterSet
from ..models import Audit, AuditProgramme, ChecklistItem, Finding
from .serializers import (
    AuditMoveSerializer,
    AuditProgrammeSerializer,
    AuditSerializer,
    ChecklistItemSerializer,
    FindingResponseSerializer,
    FindingSerializer,
)


class AuditProgrammeViewSet(RecordViewSet):
    """Audit programmes, one per year; quality managers create them."""

    queryset = AuditProgramme.objects.select_related("owner")
    listed_ids = ("deputies",)
    serializer_class = AuditProgrammeSerializer
    filterset_class = AuditProgrammeFilterSet


class AuditViewSet(RecordViewSet):
    """Internal audits (ISO 9001 9.2): plan, team, status and report. Everyone reads; the lead
    auditor, deputies and quality managers change the plan and move it; the team works it."""

    queryset = Audit.objects.select_related("owner", "issued_by")
    listed_ids = ("deputies", "processes", "org_units", "team", "auditees")
    serializer_class = AuditSerializer
    filterset_class = AuditFilterSet

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        # A record that stands as it is hears why from its serializer (400), whoever asks.
        if request.method in ("PUT", "PATCH") and not (obj.frozen_reason() or obj.user_can_edit_plan(request.user)):
            raise PermissionDenied(
                _("The lead auditor, the deputies and quality managers change the plan of %(ref)s.")
                % {"ref": obj.reference}
            )

    @extend_schema(request=AuditMoveSerializer, responses=AuditSerializer)
    @api_action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move the audit: prepared, in_progress, planned, closed (once reported) or cancelled (with a note)."""
        audit = self.get_object()
        payload = AuditMoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        audit = services.audit_move(audit=audit, user=request.user, **payload.validated_data)
        return Response(self.get_serializer(audit).data)

    @extend_schema(request=None, responses=AuditSerializer)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def issue(self, request, pk=None):
        """The lead auditor issues the report; its findings then stand as issued."""
        audit = services.audit_issue_report(audit=self.get_object(), user=request.user)
        return Response(self.get_serializer(audit).data)

    @extend_schema(request=None, responses=ChecklistItemSerializer(many=True))
    @api_action(detail=True, methods=["post"], url_path="checklist/build")
    def checklist_build(self, request, pk=None):
        """Add the questions of the clauses in scope and of the processes' turtle to the checklist."""
        audit = self.get_object()
        services.checklist_build(audit=audit, user=request.user)
        return Response(ChecklistItemSerializer(audit.checklist.all(), many=True).data, status=status.HTTP_201_CREATED)


class ChecklistItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checklist questions of the audits the user may view (?audit= for one audit). PATCH records a
    result and notes, for the audit team until the report is issued."""

    queryset = ChecklistItem.objects.select_related("audit").order_by("audit", "position", "pk")
    serializer_class = ChecklistItemSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["audit", "result", "clause", "process"]

    def get_queryset(self):
        return self.queryset.filter(audit__in=Audit.objects.restrict(self.request.user, "view").values("pk"))

    @extend_schema(request=ChecklistItemSerializer, responses=ChecklistItemSerializer)
    def partial_update(self, request, pk=None):
        item = self.get_object()
        payload = ChecklistItemSerializer(item, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        item = services.checklist_answer(
            item=item,
            user=request.user,
            result=payload.validated_data.get("result", item.result),
            notes=payload.validated_data.get("notes", item.notes),
        )
        return Response(ChecklistItemSerializer(item).data)


class FindingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Findings of the audits the user may view. The audit team records and corrects them (after
    the report is issued only with a reason); auditees answer them with POST .../respond/."""

    queryset = Finding.objects.select_related("audit").order_by("-audit__planned_start", "audit", "number")
    serializer_class = FindingSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = FindingFilterSet

    def get_queryset(self):
        return self.queryset.restrict(self.request.user, "view")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("reason", None)
        audit = get_object_or_404(Audit.objects.restrict(self.request.user, "view"), pk=data.pop("audit").pk)
        serializer.instance = services.finding_record(audit=audit, user=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("raise_nonconformity", None)
        reason = data.pop("reason", "")
        if not serializer.instance.user_can_change(self.request.user):
            raise PermissionDenied("Only the audit team and quality managers change its findings.")
        serializer.instance = services.finding_correct(
            finding=serializer.instance, user=self.request.user, reason=reason, **data
        )

    @extend_schema(request=FindingResponseSerializer, responses=FindingSerializer)
    @api_action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """An auditee answers the finding."""
        finding = self.get_object()
        payload = FindingResponseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        finding = services.finding_respond(
            finding=finding, user=request.user, response=payload.validated_data["auditee_response"]
        )
        return Response(self.get_serializer(finding).data)

    @extend_schema(request=None, responses=FindingSerializer)
    @api_action(detail=True, methods=["post"], url_path="raise-nonconformity")
    def raise_nonconformity(self, request, pk=None):
        """Raise the nonconformity of a major or minor nonconformity finding."""
        finding = self.get_object()
        services.finding_raise_nonconformity(finding=finding, user=request.user)
        finding.refresh_from_db()
        return Response(self.get_serializer(finding).data)

    @extend_schema(request=None, responses=FindingSerializer)
    @api_action(detail=True, methods=["post"], url_path="raise-action")
    def raise_action(self, request, pk=None):
        """Raise an improvement action from an opportunity for improvement."""
        finding = self.get_object()
        services.finding_raise_action(finding=finding, user=request.user)
        finding.refresh_from_db()
        return Response(self.get_serializer(finding).data)
