from django.utils.translation import gettext as _
from rest_framework import serializers

from qms.api.serializers import FrozenRecordMixin, ModelCleanMixin, ProcessLinkedSerializer

from ..choices import NCStatus
from ..models import MAX_WHYS, Nonconformity


class NonconformitySerializer(FrozenRecordMixin, ModelCleanMixin, ProcessLinkedSerializer):
    """A nonconformity. Its status moves along the workflow (POST .../status/) and it closes with
    its effectiveness review (POST .../effectiveness/), never by writing the status."""

    status = serializers.CharField(read_only=True)
    age_days = serializers.IntegerField(read_only=True)
    response_days = serializers.IntegerField(read_only=True, allow_null=True)
    source_type = serializers.SerializerMethodField(help_text=_("The kind of record it was raised from, as app.model."))
    whys = serializers.ListField(child=serializers.CharField(max_length=300), max_length=MAX_WHYS, required=False)

    class Meta:
        model = Nonconformity
        fields = [
            "id", "reference", "title", "description", "origin", "severity", "status", "detected_on", "age_days",
            "party", "received_on", "responded_on", "response_days", "containment", "root_cause_method", "whys",
            "root_cause", "effective", "effectiveness_note", "reviewed_by", "reviewed_at", "closed_on", "source_type",
            "source_id", "owner", "deputies", "processes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["effective", "effectiveness_note", "reviewed_by", "reviewed_at", "closed_on", "source_id"]

    def get_source_type(self, nc: Nonconformity) -> str | None:
        content_type = nc.source_type
        return f"{content_type.app_label}.{content_type.model}" if content_type else None


class NonconformityMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=NCStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=100)
