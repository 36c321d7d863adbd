from django import forms
from django.utils.translation import gettext_lazy as _

from qms.forms import RecordForm, StyledFormMixin

from .choices import NCStatus, Origin
from .models import MAX_WHYS, Nonconformity


class WhysWidget(forms.MultiWidget):
    """Five answers, one field each: Tab moves from one why to the next."""

    def __init__(self, attrs=None):
        answers = [
            forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "placeholder": _("Why %(n)d?") % {"n": number},
                    "aria-label": _("Why %(n)d") % {"n": number},
                }
            )
            for number in range(1, MAX_WHYS + 1)
        ]
        super().__init__(answers, {"class": "mb-1", **(attrs or {})})

    def decompress(self, value):
        answers = list(value or [])
        return (answers + [""] * MAX_WHYS)[:MAX_WHYS]


class WhysField(forms.MultiValueField):
    """The 5 whys, each answer asking why of the one before; empty answers are left out."""

    widget = WhysWidget

    def __init__(self, **kwargs):
        fields = [forms.CharField(required=False, max_length=300) for _number in range(MAX_WHYS)]
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        return [answer.strip() for answer in data_list or [] if answer and answer.strip()]


class NonconformityForm(RecordForm):
    """A nonconformity as it is recorded and worked: what was found, where and by whom, how it was
    contained and, once it is being analysed, its root cause. A customer complaint adds the
    customer and its dates, a supplier's the supplier; choosing the source redraws the form."""

    whys = WhysField(
        label=_("5 whys"),
        help_text=_("Why did it happen? Then why did that happen? One answer each, at least two for this method."),
    )

    class Meta:
        model = Nonconformity
        fields = [
            "origin", "title", "description", "severity", "detected_on", "party", "received_on", "responded_on",
            "owner", "deputies", "processes", "containment", "root_cause_method", "whys", "root_cause",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "containment": forms.Textarea(attrs={"rows": 3}),
            "root_cause": forms.Textarea(attrs={"rows": 3}),
            "detected_on": forms.DateInput(attrs={"type": "date"}),
            "received_on": forms.DateInput(attrs={"type": "date"}),
            "responded_on": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"root_cause": _("Root cause"), "containment": _("What was done at once")}
        help_texts = {"root_cause": _("The cause that, removed, stops it from happening again.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        origin = self.data.get("origin") or self.initial.get("origin") or self.instance.origin
        self.origin = origin if origin in Origin.values else Origin.PROCESS
        # Audit findings raise theirs from the audit; here only the sources people record by hand.
        self.fields["origin"].choices = [
            (value, label) for value, label in Origin.choices if value != Origin.AUDIT_FINDING or value == origin
        ]
        if self.instance.source_type_id:
            self.fields["origin"].disabled = True  # it says where it was raised from
        else:
            # Choosing another source redraws the form with that source's fields, keeping what was typed.
            self.fields["origin"].widget.attrs.update(
                {
                    "hx-get": "",
                    "hx-include": "closest form",
                    "hx-target": "#record-form",
                    "hx-select": "#record-form",
                    "hx-swap": "outerHTML",
                }
            )
        if self.origin == Origin.CUSTOMER_COMPLAINT:
            self.fields["party"].label, self.fields["party"].help_text = _("Customer"), _("Who complained.")
            self.fields["party"].required = True
            self.fields["received_on"].required = True
        elif self.origin == Origin.SUPPLIER:
            self.fields["party"].label, self.fields["party"].help_text = _("Supplier"), _("Who supplied it.")
            del self.fields["received_on"], self.fields["responded_on"]
        else:
            del self.fields["party"], self.fields["received_on"], self.fields["responded_on"]
        if not self.instance.pk:
            # The cause is looked for once it is recorded (and contained).
            for name in ("root_cause_method", "whys", "root_cause"):
                del self.fields[name]
        else:
            self.fields["root_cause_method"].choices = [
                ("", _("— not yet —")),
                *self.fields["root_cause_method"].choices[1:],
            ]
        self._style_widgets()

    @property
    def fieldsets(self) -> list:
        found_with = {Origin.CUSTOMER_COMPLAINT: _("The complaint"), Origin.SUPPLIER: _("The supplier")}
        groups = [
            (_("What was found"), ["origin", "title", "description", ("severity", "detected_on")]),
            (found_with.get(self.origin), ["party", ("received_on", "responded_on")]),
            (_("Who and where"), [("owner", "deputies"), "processes"]),
            (_("Containment and correction"), ["containment"]),
            (_("Root cause"), ["root_cause_method", "whys", "root_cause"]),
        ]
        # A group whose fields this source or stage leaves out is left out with its title.
        present = set(self.fields)
        return [(legend, rows) for legend, rows in groups if present & set(_names(rows))]


class NonconformityMoveForm(StyledFormMixin, forms.Form):
    """A step in the workflow, with the note history keeps: required to cancel."""

    status = forms.ChoiceField(choices=NCStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), help_text=_("Optional: kept in the history."), required=False, max_length=100
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if (self.data.get("status") or self.initial.get("status")) == NCStatus.CANCELLED:
            self.fields["note"].label, self.fields["note"].required = _("Why is it cancelled?"), True
            self.fields["note"].help_text = _("Kept in the history. Required.")
            self.fields["note"].error_messages["required"] = _("Say why the nonconformity is cancelled.")
        self.fields["note"].widget.attrs["autocomplete"] = "off"
        self._style_widgets()


def _names(rows: list) -> list[str]:
    return [name for row in rows for name in ((row,) if isinstance(row, str) else row)]
