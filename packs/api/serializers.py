from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from audits.models import Audit
from processes.models import Process
from qms.clauses import Clause

from ..models import EvidencePack


class EvidencePackSerializer(serializers.ModelSerializer):
    """A pack and how far it has come; `download_url` once it is done."""

    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidencePack
        fields = [
            "id", "reference", "title", "audit", "processes", "clauses", "period_from", "period_to", "as_of",
            "requested_by", "requested_at", "status", "progress", "page_count", "size", "sha256", "finished_at",
            "error", "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, pack: EvidencePack) -> str | None:
        if not pack.is_done:
            return None
        url = reverse("evidencepack-download", args=[pack.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class PackRequestSerializer(serializers.Serializer):
    """For an audit (its scope and the year up to its end), or for processes, clauses and a period."""

    audit = serializers.PrimaryKeyRelatedField(queryset=Audit.objects.all(), required=False, allow_null=True)
    processes = serializers.PrimaryKeyRelatedField(queryset=Process.objects.all(), many=True, required=False)
    clauses = serializers.ListField(child=serializers.ChoiceField(choices=Clause.choices), required=False)
    period_from = serializers.DateField(required=False)
    period_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs.get("audit") is None and not (attrs.get("period_from") and attrs.get("period_to")):
            raise serializers.ValidationError(_("Give an audit, or a period (period_from and period_to)."))
        if attrs.get("audit") is not None and (attrs.get("processes") or attrs.get("clauses")):
            raise serializers.ValidationError(_("An audit's pack takes the audit's processes and clauses."))
        return attrs
