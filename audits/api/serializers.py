from django.utils.translation import gettext as _
from rest_framework import serializers

from qms.api.serializers import FrozenRecordMixin, IdField, ModelCleanMixin, ProcessLinkedSerializer, RecordSerializer
from qms.models import OrgUnit, User

from .. import services
from ..models import Audit, AuditProgramme, ChecklistItem, Finding


class AuditProgrammeSerializer(ModelCleanMixin, RecordSerializer):
    class Meta:
        model = AuditProgramme
        fields = ["id", "reference", "year", "title", "description", "owner", "deputies", "created_at", "updated_at"]


class AuditSerializer(FrozenRecordMixin, ModelCleanMixin, ProcessLinkedSerializer):
    """An audit's plan and report. Its status moves with POST .../status/; the lead auditor issues
    the report with POST .../issue/. Nobody on the team or as lead audits a process they own or
    deputise."""

    org_units = IdField(queryset=OrgUnit.objects.all(), many=True, required=False)
    team = IdField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    auditees = IdField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    report_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id", "reference", "programme", "title", "processes", "org_units", "clauses", "criteria", "owner",
            "deputies", "team", "auditees", "planned_start", "planned_end", "status", "report_overdue", "summary",
            "strengths", "conclusion", "issued_by", "issued_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "issued_by", "issued_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        current = self.instance
        errors = services.independence_errors(
            owner=attrs.get("owner", current.owner if current else None),
            team=attrs.get("team", current.team.all() if current else []),
            processes=attrs.get("processes", current.processes.all() if current else []),
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AuditMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Audit._meta.get_field("status").choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ChecklistItemSerializer(serializers.ModelSerializer):
    """One question of an audit's checklist; the audit team records its result and notes."""

    class Meta:
        model = ChecklistItem
        fields = [
            "id", "audit", "position", "clause", "process", "origin", "question", "guidance", "result", "notes",
            "answered_by", "answered_at",
        ]  # fmt: skip
        read_only_fields = ["audit", "position", "clause", "process", "origin", "question", "guidance"]


class FindingSerializer(serializers.ModelSerializer):
    """A finding. `raise_nonconformity` on creation raises the nonconformity of a major or minor
    nonconformity finding at once; once the report is issued a change needs a `reason`."""

    reference = serializers.CharField(read_only=True)
    raise_nonconformity = serializers.BooleanField(write_only=True, required=False, default=False)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=100)

    class Meta:
        model = Finding
        fields = [
            "id", "reference", "audit", "number", "checklist_item", "kind", "clause", "process", "title",
            "description", "evidence", "auditee_response", "responded_by", "responded_at", "nonconformity",
            "action", "created_by", "created_at", "raise_nonconformity", "reason",
        ]  # fmt: skip
        read_only_fields = ["number", "auditee_response", "responded_by", "responded_at", "created_by"]

    def validate(self, attrs):
        audit = self.instance.audit if isinstance(self.instance, Finding) else attrs.get("audit")
        process = attrs.get("process")
        current = self.instance.process_id if isinstance(self.instance, Finding) else None
        if audit and process and not audit.processes_for_findings(current).filter(pk=process.pk).exists():
            raise serializers.ValidationError({"process": _("A finding names a process in the audit's scope.")})
        return super().validate(attrs)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["audit"].read_only = True
            fields["checklist_item"].read_only = True
        return fields


class FindingResponseSerializer(serializers.Serializer):
    auditee_response = serializers.CharField(max_length=5000)
