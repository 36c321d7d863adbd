from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes.choices import ProcessStatus
from processes.models import Process

from .choices import ActionStatus, Role
from .filetypes import ACCEPT
from .models import Action, OrgUnit, SecuritySettings, User
from .pickers import PickerMixin, use_picker


def form_layout(form: forms.BaseForm) -> list[tuple[str | None, list[list[forms.BoundField]]]]:
    """The visible fields in the groups and rows of the form's `fieldsets`, if it has any; the
    fields those do not name follow in a last, untitled group, one per row."""
    visible = {bound.name: bound for bound in form.visible_fields()}
    groups = []
    for legend, rows in getattr(form, "fieldsets", []):
        rows = [[visible.pop(name) for name in ((r,) if isinstance(r, str) else r) if name in visible] for r in rows]
        groups.append((legend, [row for row in rows if row]))
    if visible:
        groups.append((None, [[bound] for bound in visible.values()]))
    return groups


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one of the form's
    fields, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ReadAtOnceChoices(ModelChoiceIterator):
    """The choices of a short list (themes, lead auditors) read with one plain query. Django's
    own iterator reads them through a server-side cursor, to spare memory on long lists: on
    PostgreSQL a DECLARE, a FETCH and a CLOSE for a few dozen rows, about 0.5 ms a page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for record in self.queryset.all():
            yield self.choice(record)


class ShortListChoiceField(forms.ModelChoiceField):
    """A choice of one record from a short list, offered whole (not through a picker)."""

    iterator = ReadAtOnceChoices


class StyledFormMixin:
    """Gives every widget its Bootstrap class, so templates render fields with one include."""

    def _style_widgets(self) -> None:
        # Fields, not bound fields: those are cached with their labels, which forms may still change.
        for field in self.fields.values():
            widget = field.widget
            if widget.is_hidden:
                continue
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            classes = widget.attrs.get("class", "").split()
            widget.attrs["class"] = " ".join(classes if css in classes else [*classes, css])
            if isinstance(widget, forms.SelectMultiple) and not isinstance(widget, PickerMixin):
                widget.attrs.setdefault("size", 6)

    # Optional layout, see form_layout(): [(legend, [name, or a tuple of names side by side, ...]), ...].
    fieldsets: list = []

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class RecordForm(StyledFormMixin, forms.ModelForm):
    """Base form of every QMS record: takes the acting user, offers only choices that make sense,
    and takes an optional change note that is kept in the record's history."""

    change_note = forms.CharField(
        label=_("Change note"),
        help_text=_("Optional: why you made this change. Kept in the history."),
        required=False,
        max_length=100,
    )
    # When the record was last saved as the editor saw it: a later save by someone else is a conflict.
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    # The fields picked from thousands (see qms.pickers), with the source each loads its choices from.
    pickers = {"owner": "record-people", "deputies": "record-people", "processes": "current-processes"}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at.isoformat()
        else:
            del self.fields["version"]
        for name in ("owner", "deputies"):
            if name in self.fields:
                self.fields[name].queryset = self.instance.choosable_people(name).select_related("org_unit")
        if "processes" in self.fields:
            linked = self.instance.processes.values("pk") if self.instance.pk else []
            self.fields["processes"].queryset = Process.objects.filter(
                ~Q(status=ProcessStatus.RETIRED) | Q(pk__in=linked)
            )
        for name, source in self.pickers.items():
            # A form that draws a field its own way (the audit team with its notes) keeps it.
            if name in self.fields and type(self.fields[name].widget) in (forms.Select, forms.SelectMultiple):
                use_picker(self.fields[name], source)
        if self.instance.pk:
            self.fields["change_note"].widget.attrs["placeholder"] = _("e.g. agreed at the weekly quality meeting")
        else:
            del self.fields["change_note"]
        self._style_widgets()

    def clean(self):
        cleaned = super().clean()
        current = self.instance.updated_at.isoformat() if self.instance.pk else None
        if current and cleaned.get("version") != current:
            by = self.instance.updated_by or _("someone else")
            # Show the editor's input again, now against the latest version, so a second save is deliberate.
            self.data = self.data.copy()
            self.data["version"] = current
            raise forms.ValidationError(
                _(
                    "%(who)s changed this record after you opened it. Your changes are below and nothing is saved "
                    "yet: check them against the record and save again."
                )
                % {"who": by},
                code="conflict",
            )
        return cleaned

    @property
    def has_conflict(self) -> bool:
        return any(error.code == "conflict" for error in self.non_field_errors().as_data())

    def save(self, commit: bool = True):
        self.instance._change_reason = self.cleaned_data.get("change_note", "")
        return super().save(commit)


class ActionForm(RecordForm):
    class Meta:
        model = Action
        fields = ["title", "description", "kind", "owner", "deputies", "processes", "due_date"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        changed = not self.instance.pk or due != self.instance.due_date
        if changed and due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


class ReasonForm(StyledFormMixin, forms.Form):
    """The reason or comment kept in history with a step that was confirmed (see qms.views.generic.Confirmation)."""

    reason = forms.CharField(
        label=_("Reason"), help_text=_("Optional: kept in the history."), required=False, max_length=100
    )

    def __init__(self, *args, label: str | None = None, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        if required:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Kept in the history.")
        self.fields["reason"].widget.attrs["autocomplete"] = "off"
        self._style_widgets()


class TwoFactorCodeForm(StyledFormMixin, forms.Form):
    """A code from the authenticator app, or (where `recovery` allows) one of the recovery codes."""

    code = forms.CharField(label=_("Code"), max_length=24)

    def __init__(self, *args, recovery: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if recovery:
            field.help_text = _("The six digits your authenticator app shows, or one of your recovery codes.")
        else:
            field.label = _("Code from the app")
            field.help_text = _("The six digits the app shows for this account.")
            field.widget.attrs["inputmode"] = "numeric"
        field.widget.attrs.update(
            {"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false", "autofocus": True}
        )
        self._style_widgets()


class SecuritySettingsForm(StyledFormMixin, forms.ModelForm):
    """What the quality manager sets for everyone's sign-in, with the reason history keeps."""

    reason = forms.CharField(
        label=_("Reason"), help_text=_("Optional: kept in the history."), required=False, max_length=100
    )

    class Meta:
        model = SecuritySettings
        fields = ["two_factor_required"]
        labels = {"two_factor_required": _("Require two-factor sign-in for Leadership and quality managers")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["autocomplete"] = "off"
        self._style_widgets()


class ApiTokenForm(StyledFormMixin, forms.Form):
    """A new API token: what it is for, and how long it lasts (bounded by API_TOKEN_MAX_DAYS)."""

    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("Where it is used, e.g. “Power BI report” or “nightly export”.")
    )
    days = forms.IntegerField(label=_("Expires after (days)"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        self.fields["days"].widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].initial = settings.API_TOKEN_DAYS
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self._style_widgets()


class ActionMoveForm(StyledFormMixin, forms.Form):
    """A step in an action's lifecycle, with the note history keeps: a reason to cancel (required),
    a comment on completion (optional)."""

    NOTE_LABELS = {
        ActionStatus.CANCELLED: (_("Why is it cancelled?"), _("Kept in the history. Required.")),
        ActionStatus.DONE: (_("Comment"), _("Optional: what was done, for whoever checks it. Kept in the history.")),
    }

    status = forms.ChoiceField(choices=ActionStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.data.get("status") or self.initial.get("status")
        if status in self.NOTE_LABELS:
            self.fields["note"].label, self.fields["note"].help_text = self.NOTE_LABELS[status]
        self.fields["note"].required = status == ActionStatus.CANCELLED
        self.fields["note"].error_messages["required"] = _("Say why the action is cancelled.")
        self.fields["note"].widget.attrs["autocomplete"] = "off"
        self._style_widgets()


class EffectivenessForm(StyledFormMixin, forms.Form):
    effective = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("yes", _("Effective: the problem has not come back")), ("no", _("Not effective"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Evidence"),
        help_text=_("What you looked at to judge it: data, records, a follow-up audit."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


# Evidence files
# ------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; what each may be is checked by the service, not here."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        clean_one = super().clean
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [clean_one(file, initial) for file in files]


class AttachmentForm(StyledFormMixin, forms.Form):
    """Files to attach to a record, with one optional description for them. `refused` are the
    refusals of the upload handler (a file over the size limit), reported as errors of the files."""

    files = MultipleFileField(label=_("Files"), required=False, allow_empty_file=True)
    description = forms.CharField(label=_("Description"), required=False, max_length=200)

    def __init__(self, *args, refused: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = refused or []
        self.fields["files"].widget.attrs.update(multiple=True, accept=ACCEPT)
        self.fields["description"].widget.attrs.update(autocomplete="off", placeholder=_("What the files show"))
        self._style_widgets()

    def clean_files(self) -> list:
        if self.refused:
            raise forms.ValidationError(self.refused)
        if not self.cleaned_data["files"]:
            raise forms.ValidationError(_("Choose the files to attach."))
        return self.cleaned_data["files"]


# People
# ------------------------------------------------------------------------------


class PersonForm(StyledFormMixin, forms.ModelForm):
    """A person's names, e-mail, job title, role and unit, as a quality manager changes them, with
    an optional note that history keeps."""

    change_note = forms.CharField(
        label=_("Change note"),
        help_text=_("Optional: why you made this change. Kept in the history."),
        required=False,
        max_length=100,
    )
    fieldsets = [
        (None, [("first_name", "last_name"), "email"]),
        (_("In the QMS"), [("role", "org_unit"), "job_title"]),
    ]

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "job_title", "role", "org_unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["org_unit"].queryset = OrgUnit.objects.all()
        self.fields["org_unit"].empty_label = _("— none —")
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self._style_widgets()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Someone else already has this e-mail address."), code="unique")
        return email


class PersonInviteForm(PersonForm):
    """A new person: who they are and their place in the QMS. They choose their own password from
    the invite."""

    fieldsets = [
        (None, ["username", ("first_name", "last_name"), "email"]),
        (_("In the QMS"), [("role", "org_unit"), "job_title"]),
    ]

    class Meta(PersonForm.Meta):
        fields = ["username", *PersonForm.Meta.fields]
        help_texts = {
            "username": _("What they sign in with: letters, digits and @ . + - _ only."),
            "email": _("The invite goes here, with a link to choose their password."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["change_note"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."), code="unique")
        return username


class HandOverForm(StyledFormMixin, forms.Form):
    """Whom a person's records go to, which of them, and why. `preview` shows the choices made as
    hidden fields, for the step that confirms them."""

    to = forms.ModelChoiceField(label=_("Hand over to"), queryset=User.objects.none())
    only_open = forms.BooleanField(label=_("Only open records"), required=False, initial=True)
    deputies = forms.BooleanField(label=_("Also where they are deputy"), required=False, initial=True)
    reason = forms.CharField(label=_("Reason"), help_text=_("Kept in the history of each record."), max_length=100)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, person: User, preview: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = User.objects.filter(is_active=True).exclude(role=Role.VIEWER).exclude(pk=person.pk)
        self.fields["to"].empty_label = _("Choose a person")
        self.fields["only_open"].help_text = _("Closed records stay with %(person)s, as they were closed.") % {
            "person": person
        }
        self.fields["deputies"].help_text = _("The new person takes %(person)s's place as deputy.") % {"person": person}
        self.fields["reason"].widget.attrs.update(autocomplete="off", placeholder=_("e.g. left the company"))
        if preview:
            for field in self.fields.values():
                field.widget = forms.HiddenInput()
        self._style_widgets()
