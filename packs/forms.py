from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes.models import Process
from qms.clauses import Clause
from qms.forms import StyledFormMixin


class PackScopeForm(StyledFormMixin, forms.Form):
    """The scope of a pack not tied to an audit: processes, clauses and period (none chosen: all)."""

    processes = forms.ModelMultipleChoiceField(
        label=_("Processes"),
        queryset=Process.objects.order_by("reference"),
        required=False,
        help_text=_("None chosen: every process. Ctrl or Cmd + click chooses several."),
    )
    clauses = forms.MultipleChoiceField(
        label=_("Clauses"),
        choices=Clause.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("None chosen: every clause, 4.1 to 10.3. Ctrl or Cmd + click chooses several."),
    )
    period_from = forms.DateField(label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label=_("Period to"), widget=forms.DateInput(attrs={"type": "date"}))

    fieldsets = [(None, ["processes", "clauses", ("period_from", "period_to")])]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["period_from"].initial = today.replace(month=1, day=1)
        self.fields["period_to"].initial = today
        self._style_widgets()

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            raise ValidationError({"period_to": _("The period cannot end before it starts.")})
        return data
