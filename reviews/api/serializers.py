from django.utils.translation import gettext as _
from rest_framework import serializers

from qms.api.serializers import ModelCleanMixin, ProcessLinkedSerializer, RecordSerializer

from ..models import ContextIssue, InterestedParty, QmsStatement


class FrozenRecordMixin:
    """A retired context record, or an approved version, stays as it is: the API refuses to change
    it, as its edit page does."""

    def validate(self, attrs):
        if self.instance is not None and self.instance.is_frozen:
            raise serializers.ValidationError(
                _("%(record)s is %(status)s: it stays as it is.")
                % {"record": self.instance, "status": self.instance.get_status_display().lower()}
            )
        return super().validate(attrs)


class ContextIssueSerializer(FrozenRecordMixin, ModelCleanMixin, ProcessLinkedSerializer):
    """An internal or external issue (ISO 9001 4.1). Retired and brought back on its page."""

    class Meta:
        model = ContextIssue
        fields = [
            "id", "reference", "title", "side", "category", "effect", "description", "effect_detail", "status",
            "review_date", "owner", "deputies", "processes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status"]


class InterestedPartySerializer(FrozenRecordMixin, ModelCleanMixin, ProcessLinkedSerializer):
    """An interested party and its relevant requirements (ISO 9001 4.2)."""

    class Meta:
        model = InterestedParty
        fields = [
            "id", "reference", "name", "kind", "requirements", "monitoring", "status", "review_date", "owner",
            "deputies", "processes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status"]


class QmsStatementSerializer(FrozenRecordMixin, ModelCleanMixin, RecordSerializer):
    """A version of the quality policy or the QMS scope. Drafted by the quality manager (who owns
    it), approved with POST .../approve/ (with the text_marker read, to approve only that text) by a
    Leadership member other than its drafter, its deputies and its last editor; approved
    and superseded versions never change."""

    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    deputies = serializers.PrimaryKeyRelatedField(read_only=True, many=True)
    title = serializers.CharField(read_only=True)
    text_marker = serializers.CharField(read_only=True)

    class Meta:
        model = QmsStatement
        fields = [
            "id", "reference", "kind", "version", "title", "text", "change_summary", "status", "approved_by",
            "approved_at", "owner", "deputies", "created_at", "updated_at", "text_marker",
        ]  # fmt: skip
        read_only_fields = ["version", "status", "approved_by", "approved_at"]

    def validate_kind(self, kind):
        if self.instance is not None and kind != self.instance.kind:
            raise serializers.ValidationError(_("A version stays a version of what it was drafted for."))
        return kind

    def create(self, validated_data):
        return super().create(validated_data | {"owner": self.context["request"].user})


class StatementApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=100)
    text_marker = serializers.CharField(
        required=False, help_text="The draft's text_marker as read: refused when the text changed since."
    )


class ContextRetireSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=100, help_text="Why it no longer matters: the history keeps it.")
