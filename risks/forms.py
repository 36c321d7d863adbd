from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from objectives.choices import ObjectiveStatus
from objectives.models import Objective
from qms.forms import RecordForm, StyledFormMixin
from qms.pickers import use_picker

from .choices import STRATEGIES, Band, RiskKind
from .models import Risk, RiskMatrix, RiskReview


def level_choices(levels: list[str]) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(i), f"{i} · {name}") for i, name in enumerate(levels, start=1)]


class LevelsMixin:
    """Offers the matrix's named levels for every likelihood and impact field (benefit for opportunities)."""

    def use_matrix_levels(self, matrix: RiskMatrix, opportunity: bool) -> None:
        impact = matrix.benefit_levels if opportunity else matrix.impact_levels
        for name, field in self.fields.items():
            if name.endswith("likelihood"):
                field.widget = forms.Select(choices=level_choices(matrix.likelihood_levels))
            elif name.endswith("impact"):
                field.widget = forms.Select(choices=level_choices(impact))
                if opportunity:
                    field.label = str(field.label).replace(str(_("impact")), str(_("benefit")))


class RiskForm(LevelsMixin, RecordForm):
    """A risk or an opportunity, in the words of its kind: an opportunity has a benefit instead of
    an impact, our actions instead of controls, its own strategies and no acceptance to approve."""

    OPPORTUNITY_LABELS = {
        "cause": _("What creates it"),
        "consequence": _("What we would gain"),
        "controls": _("What we already do"),
        "inherent_likelihood": _("Likelihood before our actions"),
        "inherent_impact": _("Benefit before our actions"),
        "residual_likelihood": _("Likelihood with our actions"),
        "residual_impact": _("Benefit with our actions"),
        "target_impact": _("Target benefit"),
        "strategy": _("How we pursue it"),
    }

    class Meta:
        model = Risk
        fields = [
            "kind", "title", "description", "cause", "consequence", "category", "owner", "deputies", "processes",
            "objectives", "status", "next_review_date", "inherent_likelihood", "inherent_impact", "controls",
            "strategy", "residual_likelihood", "residual_impact", "target_likelihood", "target_impact",
            "acceptance_rationale",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "consequence": forms.Textarea(attrs={"rows": 3}),
            "controls": forms.Textarea(attrs={"rows": 2}),
            "acceptance_rationale": forms.Textarea(attrs={"rows": 2}),
            "next_review_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kind"].disabled = True  # its reference says RSK or OPP for good
            self.kind = self.instance.kind
        else:
            kind = self.data.get("kind") or self.initial.get("kind") or self.instance.kind
            self.kind = kind if kind in RiskKind.values else RiskKind.RISK
            # Choosing the other kind redraws the form in its words, keeping what was typed.
            self.fields["kind"].widget.attrs.update(
                {
                    "hx-get": "",
                    "hx-include": "closest form",
                    "hx-target": "#record-form",
                    "hx-select": "#record-form",
                    "hx-swap": "outerHTML",
                }
            )
        opportunity = self.kind == RiskKind.OPPORTUNITY
        self.use_matrix_levels(RiskMatrix.current(), opportunity=opportunity)
        if opportunity:
            for name, label in self.OPPORTUNITY_LABELS.items():
                self.fields[name].label = label
            del self.fields["acceptance_rationale"]
        linked = self.instance.objectives.values("pk") if self.instance.pk else []
        self.fields["objectives"].queryset = Objective.objects.filter(
            Q(status=ObjectiveStatus.ACTIVE) | Q(pk__in=linked)
        )
        use_picker(self.fields["objectives"], "active-objectives")
        self.fields["strategy"].choices = [("", "—")] + [(s.value, s.label) for s in STRATEGIES[self.kind]]
        self._style_widgets()  # again, for the level widgets just put in

    @property
    def fieldsets(self) -> list:
        opportunity = self.kind == RiskKind.OPPORTUNITY
        return [
            (
                _("What could go well") if opportunity else _("What could happen"),
                ["kind", "title", "description", ("cause", "consequence"), ("category", "status")],
            ),
            (_("Who and where"), [("owner", "deputies"), ("processes", "objectives"), "next_review_date"]),
            (
                _("Scores and how we pursue it") if opportunity else _("Scores and treatment"),
                [
                    ("inherent_likelihood", "inherent_impact"),
                    "controls",
                    ("strategy", "residual_likelihood", "residual_impact"),
                    ("target_likelihood", "target_impact"),
                    "acceptance_rationale",
                ],
            ),
        ]


class RiskReviewForm(LevelsMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = RiskReview
        fields = ["likelihood", "impact", "note", "next_review_date"]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
            "next_review_date": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"likelihood": _("likelihood with controls"), "impact": _("impact with controls")}

    def __init__(self, *args, risk: Risk, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_matrix_levels(RiskMatrix.current(), opportunity=risk.is_opportunity)
        self._style_widgets()


class LinesField(forms.CharField):
    """A list of names, one per line."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class RiskMatrixForm(StyledFormMixin, forms.ModelForm):
    likelihood_levels = LinesField(label=_("Likelihood levels, lowest first"))
    impact_levels = LinesField(label=_("Impact levels, lowest first"))
    benefit_levels = LinesField(label=_("Benefit levels (opportunities), lowest first"))
    medium_from = forms.IntegerField(label=_("Medium from score"), min_value=2)
    high_from = forms.IntegerField(label=_("High from score"), min_value=3)
    critical_from = forms.IntegerField(label=_("Critical from score"), min_value=4)

    class Meta:
        model = RiskMatrix
        fields = ["likelihood_levels", "impact_levels", "benefit_levels"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for band in (Band.MEDIUM, Band.HIGH, Band.CRITICAL):
            self.fields[f"{band}_from"].initial = self.instance.band_thresholds.get(band)
        self._style_widgets()

    def clean(self):
        cleaned = super().clean()
        self.instance.band_thresholds = {
            band: cleaned.get(f"{band}_from") for band in (Band.MEDIUM, Band.HIGH, Band.CRITICAL)
        }
        return cleaned

    def add_error(self, field, error):
        # The model names its band error after its JSON field; here the bands are three fields.
        if isinstance(error, ValidationError) and "band_thresholds" in getattr(error, "error_dict", {}):
            error.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(error.error_dict.pop("band_thresholds"))
        super().add_error(field, error)
