from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from objectives.choices import ObjectiveStatus
from objectives.models import Objective
from qms.api.serializers import IdField, ModelCleanMixin, ProcessLinkedSerializer

from ..models import Risk, RiskMatrix, RiskReview


class RiskSerializer(ModelCleanMixin, ProcessLinkedSerializer):
    """A risk or opportunity. Scores and bands are worked out from the levels on the matrix; the
    residual levels move with reviews (POST .../reviews/) once the risk is assessed."""

    objectives = IdField(queryset=Objective.objects.all(), many=True, required=False)
    acceptance_pending = serializers.BooleanField(
        read_only=True,
        help_text=gettext_lazy("Accepted at a high or critical score, not yet approved by Leadership."),
    )
    review_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Risk
        fields = [
            "id", "reference", "kind", "title", "description", "cause", "consequence", "category", "status",
            "next_review_date", "review_overdue", "inherent_likelihood", "inherent_impact", "inherent_score",
            "inherent_band", "controls", "strategy", "residual_likelihood", "residual_impact", "residual_score",
            "residual_band", "target_likelihood", "target_impact", "acceptance_rationale", "rationale_written_by",
            "rationale_written_at", "acceptance_pending", "accepted_by", "accepted_at", "owner", "deputies",
            "processes", "objectives", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "inherent_score", "inherent_band", "residual_score", "residual_band", "accepted_by", "accepted_at",
            "rationale_written_by", "rationale_written_at",
        ]  # fmt: skip

    def validate_kind(self, kind):
        if self.instance is not None and kind != self.instance.kind:
            raise serializers.ValidationError(_("A risk stays a risk and an opportunity an opportunity."))
        return kind

    def validate_objectives(self, objectives):
        linked = set(self.instance.objectives.values_list("pk", flat=True)) if self.instance else set()
        if closed := [o.reference for o in objectives if o.pk not in linked and o.status != ObjectiveStatus.ACTIVE]:
            raise serializers.ValidationError(
                _("Only active objectives take new risks: %(refs)s is not.") % {"refs": ", ".join(closed)}
            )
        return objectives


class RiskReviewSerializer(serializers.ModelSerializer):
    """A review: its likelihood and impact become the risk's residual scores."""

    class Meta:
        model = RiskReview
        fields = ["id", "reviewed_on", "reviewer", "likelihood", "impact", "score", "band", "note", "next_review_date"]
        read_only_fields = ["reviewed_on", "reviewer", "score", "band"]


class RiskMatrixSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskMatrix
        fields = ["likelihood_levels", "impact_levels", "benefit_levels", "band_thresholds"]
