from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import ActionStatus
from qms.exports import plain_number
from qms.forms import RecordForm, StyledFormMixin
from qms.models import Action, User
from qms.pickers import use_picker

from .choices import ObjectiveStatus
from .models import KPI, EffectivenessMeasure, Measurement, Objective, StrategicTheme
from .periods import Period


class ThemeForm(RecordForm):
    class Meta:
        model = StrategicTheme
        fields = ["title", "description", "owner", "deputies", "order", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class DecimalCommaField(forms.DecimalField):
    """A number that may be typed with a decimal comma, as many people do."""

    def to_python(self, value):
        if isinstance(value, str) and value.count(",") == 1 and "." not in value:
            value = value.replace(",", ".")
        return super().to_python(value)


class ObjectiveForm(RecordForm):
    fieldsets = [
        (_("The objective"), ["theme", "title", "description", "resources", "evaluation"]),
        (_("Who and when"), [("owner", "deputies"), "processes", ("due_date", "status")]),
        (_("Progress"), ["main_kpi", ("baseline", "target")]),
    ]

    class Meta:
        model = Objective
        fields = [
            "theme", "title", "description", "resources", "evaluation", "owner", "deputies", "processes",
            "due_date", "status", "main_kpi", "baseline", "target",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "resources": forms.Textarea(attrs={"rows": 2}),
            "evaluation": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "baseline": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            "target": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        }
        field_classes = {"baseline": DecimalCommaField, "target": DecimalCommaField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = [self.instance.theme_id] if self.instance.pk else []
        themes = StrategicTheme.objects.filter(is_active=True) | StrategicTheme.objects.filter(pk__in=current)
        self.fields["theme"].queryset = themes.order_by("order", "reference")
        # The main KPI is one of the KPIs measuring the objective; those are linked from the KPI.
        main = self.fields["main_kpi"]
        main.queryset = self.instance.kpis.order_by("reference") if self.instance.pk else KPI.objects.none()
        main.empty_label = _("None: progress is the share of its KPIs on target")
        if not self.instance.pk:
            main.help_text = _("Once KPIs measure this objective, choose the one whose way to its target is progress.")
        for name in ("baseline", "target"):
            value = getattr(self.instance, name)
            if value is not None and not self.is_bound:
                self.initial[name] = plain_number(value)
        if self.instance.pk and self.instance.main_kpi_id is not None:
            kpi, baseline = self.instance.main_kpi, self.instance.default_baseline
            self.fields["target"].widget.attrs["placeholder"] = _("Empty: %(value)s, the KPI's target") % {
                "value": plain_number(kpi.target_from(baseline))
            }
            if baseline is not None:
                self.fields["baseline"].widget.attrs["placeholder"] = _("Empty: %(value)s") % {
                    "value": plain_number(baseline)
                }

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        changed = not self.instance.pk or due != self.instance.due_date
        if changed and due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


def objectives_to_measure(user: User):
    """The objectives a KPI may be linked to by `user`: the active ones they may change."""
    return Objective.objects.restrict(user, "change").filter(status=ObjectiveStatus.ACTIVE)


class KPIForm(RecordForm):
    fieldsets = [
        (_("What it measures"), ["name", "description", ("unit", "nature"), "review_topic"]),
        (_("Who and where"), [("owner", "deputies"), ("processes", "objectives")]),
        (
            _("Target"),
            [("frequency", "direction"), ("target", "target_upper", "warning"), ("valid_min", "valid_max")],
        ),
        (_("Values"), [("source", "formula"), ("measured_from", "raise_action_after"), "is_active"]),
    ]

    class Meta:
        model = KPI
        fields = [
            "name", "description", "unit", "nature", "review_topic", "owner", "deputies", "processes", "objectives",
            "frequency", "direction", "target", "target_upper", "warning", "source", "formula", "valid_min",
            "valid_max", "measured_from", "raise_action_after", "is_active",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "measured_from": forms.DateInput(attrs={"type": "date"}),
            "formula": forms.TextInput(attrs={"placeholder": "KPI-012 / KPI-013 * 100", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A KPI moves the progress of the objectives it measures: it is linked to an objective by
        # those who may change that objective. Links made earlier stay.
        linked = self.instance.objectives.values("pk") if self.instance.pk else []
        mine = objectives_to_measure(self.user)
        self.fields["objectives"].queryset = Objective.objects.filter(Q(pk__in=mine.values("pk")) | Q(pk__in=linked))
        use_picker(self.fields["objectives"], "objectives-to-measure")
        self.fields["objectives"].help_text = _(
            "The active objectives you may change; an objective's owner links the KPIs that measure it."
        )


class PeriodField(forms.CharField):
    """A period of one frequency, shown as the app shows periods (Sep 2026) and read in any form
    Period.parse takes."""

    def __init__(self, *, frequency: str, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.frequency = frequency

    def prepare_value(self, value):
        return value.label if isinstance(value, Period) else value

    def clean(self, value) -> Period | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return Period.parse(self.frequency, text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class MeasurementValueForm(StyledFormMixin, forms.Form):
    """A value and its comment, as typed: a decimal comma is read as a decimal point."""

    value = forms.CharField(label=_("Value"), max_length=30)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(self, *args, kpi: KPI, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        self.fields["value"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self._style_widgets()

    def clean_value(self) -> Decimal:
        text = self.cleaned_data["value"].strip().replace(" ", "").replace("\u202f", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma, as many people type it
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                _("“%(text)s” is not a number.") % {"text": self.cleaned_data["value"]}
            ) from None
        if not value.is_finite() or abs(value) >= Decimal("1e16"):
            raise forms.ValidationError(_("That number is too large."))
        return value.quantize(Decimal("0.0001"))


class MeasurementForm(MeasurementValueForm):
    """One value for one period, as typed on My measures or the KPI page."""

    field_order = ["period", "value", "comment"]

    def __init__(self, *args, kpi: KPI, **kwargs):
        super().__init__(*args, kpi=kpi, **kwargs)
        self.fields["period"] = PeriodField(frequency=kpi.frequency, label=_("Period"))
        self.order_fields(self.field_order)
        self._style_widgets()


class MeasurementCorrectionForm(MeasurementValueForm):
    """A stored value corrected in place. `version` is when the value was last entered as the
    person saw it: a correction saved meanwhile by someone else is a conflict, not overwritten."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, measurement: Measurement, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "value": plain_number(measurement.value),
                "comment": measurement.comment,
                "version": measurement.entered_at.isoformat(),
            },
        )
        super().__init__(*args, kpi=measurement.kpi, **kwargs)
        self.measurement = measurement
        self.fields["value"].widget.attrs["autofocus"] = True

    def clean(self):
        cleaned = super().clean()
        current = self.measurement.entered_at.isoformat()
        if cleaned.get("version") != current:
            # Show the typed value again, now against the stored one, so a second save is deliberate.
            self.data = self.data.copy()
            self.data["version"] = current
            raise forms.ValidationError(
                _("%(who)s changed this value to %(value)s after you opened it. Save again to replace it.")
                % {"who": self.measurement.entered_by or _("Someone"), "value": plain_number(self.measurement.value)},
                code="conflict",
            )
        return cleaned

    @property
    def has_conflict(self) -> bool:
        return any(error.code == "conflict" for error in self.non_field_errors().as_data())


def actions_to_judge(user: User, kpi: KPI):
    """The actions a KPI may be named to judge: open or done ones of its processes or raised from
    it, not judged yet, that `user` may change."""
    return (
        Action.objects.restrict(user, "change")
        .filter(status__in=[*ActionStatus.active(), ActionStatus.DONE], effectiveness_measure__isnull=True)
        .filter(
            Q(processes__in=kpi.processes.all())
            | Q(source_type=ContentType.objects.get_for_model(KPI), source_id=kpi.pk)
        )
        .distinct()
        .order_by("reference")
    )


class EffectivenessMeasureForm(StyledFormMixin, forms.ModelForm):
    """Name this KPI as the measure that judges whether an action worked: one of the actions the
    user may change, so nobody settles the fate of someone else's action."""

    class Meta:
        model = EffectivenessMeasure
        fields = ["action", "periods"]

    def __init__(self, *args, kpi: KPI, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kpi = kpi
        self.fields["action"].queryset = actions_to_judge(user, kpi)
        use_picker(self.fields["action"], "actions-to-judge", record=kpi)
        self.fields["action"].label = _("Action")
        self._style_widgets()
