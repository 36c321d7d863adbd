from django.utils.translation import gettext as _
from rest_framework import serializers

from qms.api.serializers import IdField, ModelCleanMixin, ProcessLinkedSerializer, RecordSerializer
from qms.models import User

from .. import services
from ..models import (
    ContextIssue,
    InterestedParty,
    ManagementReview,
    QmsStatement,
    ReviewAttendance,
    ReviewDecision,
)


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
    deputies = IdField(read_only=True, many=True)
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


# Management review
# ------------------------------------------------------------------------------


class ReviewAttendanceSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="person.__str__", read_only=True)

    class Meta:
        model = ReviewAttendance
        fields = ["person", "display_name", "present"]
        read_only_fields = fields


class ManagementReviewSerializer(ModelCleanMixin, RecordSerializer):
    """A management review (ISO 9001 9.3): its plan, status and signature. The owner is the chair,
    a member of Leadership. The plan changes until the meeting starts; issued minutes never change
    (403). The pack as the meeting saw it is at .../pack/ once frozen, the minutes PDF at
    .../minutes/ once made."""

    attendance = ReviewAttendanceSerializer(many=True, read_only=True)
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        write_only=True,
        help_text="Who is invited, by id: the attendance then lists them (left as it is when not sent).",
    )
    has_frozen_pack = serializers.SerializerMethodField()
    has_minutes_pdf = serializers.SerializerMethodField()

    class Meta:
        model = ManagementReview
        fields = [
            "id", "reference", "title", "status", "planned_at", "duration_minutes", "location", "period_start",
            "period_end", "interval_months", "owner", "deputies", "attendees", "attendance", "calendar_uid",
            "calendar_sequence", "has_frozen_pack", "frozen_at", "frozen_pack_sha256", "minutes_issued_at",
            "minutes_issued_by", "signature_meaning", "minutes_sha256", "has_minutes_pdf", "minutes_pdf_sha256",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "status", "calendar_uid", "calendar_sequence", "frozen_at", "frozen_pack_sha256", "minutes_issued_at",
            "minutes_issued_by", "signature_meaning", "minutes_sha256", "minutes_pdf_sha256",
        ]  # fmt: skip

    def create(self, validated_data):
        return self._save(ManagementReview(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, review: ManagementReview, data: dict) -> ManagementReview:
        """Through the service the review's form uses: the same rules, history and invitation list."""
        attendees = data.pop("attendees", None)
        deputies = data.pop("deputies", None)
        for name, value in data.items():
            setattr(review, name, value)
        if attendees is None:
            attendees = [row.person for row in review.attendance.all()] if review.pk else []
        review = services.review_save(review=review, user=self.context["request"].user, attendees=attendees)
        if deputies is not None:
            review.deputies.set(deputies)
        return review

    def get_has_frozen_pack(self, review) -> bool:
        return review.is_pack_frozen

    def get_has_minutes_pdf(self, review) -> bool:
        return bool(review.minutes_pdf)


class ReviewDecisionSerializer(serializers.ModelSerializer):
    """A decision of a review (an output of ISO 9001 9.3.3) on one input, with the action it became."""

    action_reference = serializers.CharField(source="action.reference", read_only=True, default=None)
    action_status = serializers.CharField(source="action.status", read_only=True, default=None)

    class Meta:
        model = ReviewDecision
        fields = [
            "id", "review", "input", "kind", "title", "description", "owner", "due_date", "action",
            "action_reference", "action_status", "created_at", "created_by",
        ]  # fmt: skip
        read_only_fields = ["action", "created_at", "created_by"]


class DecisionRecordSerializer(serializers.ModelSerializer):
    """A decision recorded in the meeting: it becomes an action owned by `owner` at once."""

    review = serializers.PrimaryKeyRelatedField(queryset=ManagementReview.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = ReviewDecision
        fields = ["review", "input", "kind", "title", "description", "owner", "due_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # a review the user may not see is "not found", as everywhere
            self.fields["review"].queryset = ManagementReview.objects.restrict(request.user, "view")
