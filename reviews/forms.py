from django import forms
from django.utils.translation import gettext_lazy as _

from qms.forms import ReasonForm, RecordForm

from .choices import CATEGORIES, IssueSide
from .models import ContextIssue, InterestedParty, QmsStatement

DATE = forms.DateInput(attrs={"type": "date"})


def category_choices() -> list:
    """The categories grouped by side, so the list says which belong to internal issues."""
    return [("", "—")] + [
        (IssueSide(side).label, [(c.value, c.label) for c in categories]) for side, categories in CATEGORIES.items()
    ]


class ContextIssueForm(RecordForm):
    class Meta:
        model = ContextIssue
        fields = [
            "title", "side", "category", "effect", "description", "effect_detail", "owner", "deputies", "processes",
            "review_date",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "effect_detail": forms.Textarea(attrs={"rows": 3}),
            "review_date": DATE,
            "side": forms.RadioSelect,
        }

    fieldsets = [
        (_("The issue"), ["title", ("side", "category", "effect"), "description", "effect_detail"]),
        (_("Who and where"), [("owner", "deputies"), "processes", "review_date"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = IssueSide.choices  # two radio buttons, no blank one
        self.fields["category"].choices = category_choices()


class InterestedPartyForm(RecordForm):
    class Meta:
        model = InterestedParty
        fields = ["name", "kind", "requirements", "monitoring", "owner", "deputies", "processes", "review_date"]
        widgets = {
            "requirements": forms.Textarea(attrs={"rows": 4}),
            "monitoring": forms.Textarea(attrs={"rows": 3}),
            "review_date": DATE,
        }

    fieldsets = [
        (_("The party"), [("name", "kind"), "requirements", "monitoring"]),
        (_("Who and where"), [("owner", "deputies"), "processes", "review_date"]),
    ]


class QmsStatementForm(RecordForm):
    """A draft of the policy or the scope. Its kind comes from where it was started; its drafter
    owns it."""

    class Meta:
        model = QmsStatement
        fields = ["text", "change_summary"]
        widgets = {"text": forms.Textarea(attrs={"rows": 14})}


class StatementApproveForm(ReasonForm):
    """The approval's comment, with the marker of the text the approver was shown."""

    text_marker = forms.CharField(widget=forms.HiddenInput)
