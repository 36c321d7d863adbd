from django import forms
from django.utils.translation import gettext_lazy as _

from qms.forms import RecordForm, StyledFormMixin
from qms.models import OrgUnit
from qms.pickers import use_picker

from .choices import ProcessStatus
from .models import HandOff, Process, ProcessDocument, ProcessInput, ProcessOutput, ProcessResource


class ProcessForm(RecordForm):
    class Meta:
        model = Process
        fields = ["name", "purpose", "type", "status", "owner", "deputies", "org_unit", "next_review_date"]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "next_review_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not Process.user_can_set_status(self.user):
            # Owners keep their process current; bringing it into force or retiring it is the quality manager's call.
            self.fields["status"].disabled = True
            self.fields["status"].help_text = _("Only a quality manager changes the status of a process.")


class ProcessPartForm(StyledFormMixin, forms.ModelForm):
    """The small inline forms that add one line to a process's turtle."""

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.process = process
        for field in self.fields.values():
            field.widget.attrs.setdefault("placeholder", field.label)
        self._style_widgets()


class ProcessInputForm(ProcessPartForm):
    class Meta:
        model = ProcessInput
        fields = ["name", "supplier"]


class ProcessOutputForm(ProcessPartForm):
    class Meta:
        model = ProcessOutput
        fields = ["name", "customer"]


class ProcessResourceForm(ProcessPartForm):
    class Meta:
        model = ProcessResource
        fields = ["kind", "description"]


class ProcessDocumentForm(ProcessPartForm):
    url = forms.URLField(label=_("Link"), max_length=500, assume_scheme="https")

    class Meta:
        model = ProcessDocument
        fields = ["title", "url"]


class HandOffForm(StyledFormMixin, forms.ModelForm):
    """Records a hand-off from this process's side: to another process, or from one."""

    DIRECTIONS = [("to", _("hands over to")), ("from", _("receives from"))]

    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, initial="to")
    other = forms.ModelChoiceField(label=_("Process"), queryset=Process.objects.none())

    class Meta:
        model = HandOff
        fields = ["item"]

    def __init__(self, *args, process: Process, **kwargs):
        super().__init__(*args, **kwargs)
        self.process = process
        self.fields["other"].queryset = Process.objects.exclude(status=ProcessStatus.RETIRED)
        use_picker(self.fields["other"], "current-processes")
        self.fields["item"].widget.attrs["placeholder"] = _("What is handed over, e.g. released drawings")
        self.order_fields(["direction", "other", "item"])
        self._style_widgets()

    def clean(self):
        cleaned = super().clean()
        other = cleaned.get("other")
        if other == self.process:
            raise forms.ValidationError({"other": _("A process cannot hand over to itself.")})
        if other is not None:
            incoming = cleaned.get("direction") == "from"
            self.instance.source, self.instance.target = (other, self.process) if incoming else (self.process, other)
        return cleaned


class ProcessMapFilterForm(StyledFormMixin, forms.Form):
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.all(), required=False)
    focus = forms.ModelChoiceField(
        label=_("Focus on"),
        queryset=Process.objects.exclude(status=ProcessStatus.RETIRED),
        required=False,
        empty_label=_("All processes"),
        help_text=_("One process and the processes it exchanges hand-offs with."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(self.fields["org_unit"], "org-units")  # typed, not an option per unit
        use_picker(self.fields["focus"], "current-processes")  # nor one per process
        self._style_widgets()
