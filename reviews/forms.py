from django import forms
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.forms import ReasonForm, RecordForm, StyledFormMixin
from qms.models import User

from .choices import CATEGORIES, IssueSide, OutputKind, ReviewInput
from .models import ContextIssue, InterestedParty, ManagementReview, QmsStatement

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


# Management review
# ------------------------------------------------------------------------------

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ManagementReviewForm(RecordForm):
    """A review's plan: when, who chairs (Leadership), who attends, and the period its pack covers."""

    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Who is invited; attendance is recorded in the meeting."),
    )

    class Meta:
        model = ManagementReview
        fields = [
            "title", "planned_at", "duration_minutes", "location", "owner", "attendees", "period_start", "period_end",
            "interval_months",
        ]  # fmt: skip
        labels = {"owner": _("Chair")}
        help_texts = {"owner": _("A member of Leadership.")}
        widgets = {"planned_at": DATETIME, "period_start": DATE, "period_end": DATE}

    fieldsets = [
        (_("The meeting"), ["title", ("planned_at", "duration_minutes"), "location"]),
        (_("Who"), ["owner", "attendees"]),
        (_("The pack"), [("period_start", "period_end"), "interval_months"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        named = list(self.instance.attendance.values_list("person_id", flat=True)) if self.instance.pk else []
        self.fields["attendees"].queryset = User.objects.filter(is_active=True) | User.objects.filter(pk__in=named)
        if self.instance.pk:
            self.fields["attendees"].initial = named
        chair = [self.instance.owner_id] if self.instance.owner_id else []
        self.fields["owner"].queryset = User.objects.filter(is_active=True, role=Role.LEADERSHIP) | User.objects.filter(
            pk__in=chair
        )
        self.fields["planned_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class InputPrepareForm(StyledFormMixin, forms.Form):
    """The preparer's note on one input, and whether the meeting must decide on it."""

    decision_needed = forms.BooleanField(label=_("Decision needed"), required=False)
    preparation_note = forms.CharField(
        label=_("Preparer's note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class MeetingNoteForm(StyledFormMixin, forms.Form):
    meeting_note = forms.CharField(
        label=_("Chair's note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class DecisionForm(StyledFormMixin, forms.Form):
    """A decision of the meeting on one input; it becomes an action owned by the person named."""

    input = forms.ChoiceField(choices=ReviewInput.choices, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Type"), choices=OutputKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Decision"), max_length=200)
    description = forms.CharField(
        label=_("Details"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("Due date"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).exclude(role=Role.VIEWER)
        self._style_widgets()


class SignatureForm(StyledFormMixin, forms.Form):
    """The signer confirms with their password and says what the signature means."""

    meaning = forms.CharField(
        label=_("Meaning of your signature"),
        max_length=100,
        initial=_("Approved as chair"),
        help_text=_("Recorded with your name, the time and the SHA-256 of what you sign."),
    )
    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class AddendumForm(SignatureForm):
    text = forms.CharField(label=_("Correction"), max_length=8000, widget=forms.Textarea(attrs={"rows": 5}))

    field_order = ["text", "meaning", "password"]


class CommentaryForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Commentary"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("How the process performed in the period: what its measures say, and why."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
