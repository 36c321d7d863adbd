from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.clauses import Clause
from qms.forms import RecordForm, StyledFormMixin
from qms.models import User
from qms.params import record_id

from . import services
from .choices import FindingKind, Result
from .models import AUDIT_ROLES, Audit, AuditProgramme, ChecklistItem, Finding, ProcessAuditInterval
from .selectors import independence_conflicts


class AuditProgrammeForm(RecordForm):
    class Meta:
        model = AuditProgramme
        fields = ["year", "title", "description", "owner", "deputies"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class IntervalForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProcessAuditInterval
        fields = ["months", "reason"]
        widgets = {"reason": forms.TextInput(attrs={"placeholder": _("e.g. new line starts in spring")})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class NotedOptionsMixin:
    """A people picker that names why someone may not be chosen, and does not offer them."""

    notes: dict[int, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        pk = getattr(value, "value", value)
        if pk in self.notes:
            option["label"] = f"{label} — {self.notes[pk]}"
            if not selected:  # a choice already made stays visible, and the form says why it is refused
                option["attrs"]["disabled"] = True
        return option


class PersonSelect(NotedOptionsMixin, forms.Select):
    pass


class PeopleSelect(NotedOptionsMixin, forms.SelectMultiple):
    pass


class AuditForm(RecordForm):
    """An audit's plan: scope (processes, units, clauses), criteria, lead auditor, team, auditees
    and dates. Nobody audits a process they own or deputise: the pickers say who is left out and
    why, and choosing processes redraws them."""

    clauses = forms.MultipleChoiceField(
        label=_("Clauses"), choices=Clause.choices, required=False, help_text=_("The ISO 9001 clauses in scope.")
    )
    fieldsets = [
        (_("What"), ["programme", "title", "processes", "org_units", "clauses", "criteria"]),
        (_("Who"), ["owner", "team", "auditees"]),
        (_("When"), [("planned_start", "planned_end")]),
    ]

    class Meta:
        model = Audit
        fields = [
            "programme", "title", "processes", "org_units", "clauses", "criteria", "owner", "team", "auditees",
            "planned_start", "planned_end",
        ]  # fmt: skip
        widgets = {
            "criteria": forms.Textarea(attrs={"rows": 3}),
            "planned_start": forms.DateInput(attrs={"type": "date"}),
            "planned_end": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"owner": _("Lead auditor")}
        help_texts = {
            "owner": _("Leads the audit and issues its report."),
            "processes": _("The processes audited: the checklist walks each one's own turtle."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Q(is_active=True) & ~Q(role=Role.VIEWER)
        on_team = self.instance.team.values("pk") if self.instance.pk else []
        heard = self.instance.auditees.values("pk") if self.instance.pk else []
        self.fields["owner"].queryset = self.fields["owner"].queryset.filter(
            Q(role__in=AUDIT_ROLES) | Q(pk=self.instance.owner_id)
        )
        self.fields["team"].queryset = User.objects.filter(active | Q(pk__in=on_team)).select_related("org_unit")
        self.fields["auditees"].queryset = User.objects.filter(active | Q(pk__in=heard)).select_related("org_unit")
        self.fields["programme"].queryset = AuditProgramme.objects.order_by("-year")
        self.fields["clauses"].widget.attrs["size"] = 10
        conflicts = independence_conflicts(
            [p.pk for p in self.fields["team"].queryset] + [self.instance.owner_id], self._chosen_processes()
        )
        notes = {pk: ", ".join(reasons) for pk, reasons in conflicts.items()}
        for name, widget_class in (("owner", PersonSelect), ("team", PeopleSelect)):
            field = self.fields[name]
            field.widget = widget_class(attrs=field.widget.attrs, choices=field.choices)
            field.widget.notes = notes
        self.fields["processes"].widget.attrs.update(
            {
                "hx-get": "",
                "hx-include": "closest form",
                "hx-target": "#record-form",
                "hx-select": "#record-form",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        self.fields["team"].help_text = _("Nobody audits a process they own or deputise: they are not offered.")
        self._style_widgets()

    def _chosen_processes(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist("processes") if hasattr(self.data, "getlist") else self.data.get("processes", [])
        elif "processes" in self.initial:
            raw = [getattr(p, "pk", p) for p in self.initial["processes"]]
        elif self.instance.pk:
            return list(self.instance.processes.values_list("pk", flat=True))
        else:
            return []
        return [pk for pk in map(record_id, raw) if pk is not None]

    def clean(self):
        cleaned = super().clean()
        processes = cleaned.get("processes") or []
        for field, messages in services.independence_errors(
            owner=cleaned.get("owner"), team=cleaned.get("team") or [], processes=processes
        ).items():
            self.add_error(field, messages)
        return cleaned


class ChecklistAnswerForm(StyledFormMixin, forms.ModelForm):
    """One question's result and notes, answered in place."""

    class Meta:
        model = ChecklistItem
        fields = ["result", "notes"]
        widgets = {"result": forms.RadioSelect, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = list(Result.choices)
        self.fields["result"].required = True
        self.fields["result"].error_messages["required"] = _("Choose a result.")
        self.fields["notes"].widget.attrs.update(placeholder=_("What you saw, heard or read"))
        self._style_widgets()


class ChecklistQuestionForm(StyledFormMixin, forms.ModelForm):
    """The auditor's own question."""

    class Meta:
        model = ChecklistItem
        fields = ["question", "clause", "process"]

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = audit.processes.all()
        self.fields["clause"].choices = [("", "—"), *Clause.choices]
        self.fields["question"].widget.attrs.update(placeholder=_("Your own question"), autocomplete="off")
        self._style_widgets()


class FindingForm(StyledFormMixin, forms.ModelForm):
    """A finding, freely or from a checklist question. Once the report is issued, a correction
    needs a reason."""

    raise_nonconformity = forms.BooleanField(
        label=_("Raise a nonconformity now"),
        required=False,
        initial=True,
        help_text=_("For a major or minor nonconformity: the process owner takes it through cause and correction."),
    )
    reason = forms.CharField(label=_("Why is it corrected?"), max_length=100, required=False)
    fieldsets = [
        (None, [("kind", "clause"), "process", "title", "description", "evidence", "raise_nonconformity", "reason"]),
    ]

    class Meta:
        model = Finding
        fields = ["kind", "clause", "process", "title", "description", "evidence", "checklist_item"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "evidence": forms.Textarea(attrs={"rows": 3}),
            "checklist_item": forms.HiddenInput,
        }

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = audit.processes_for_findings(self.instance.process_id)
        self.fields["checklist_item"].queryset = audit.checklist.all()
        self.fields["kind"].choices = [("", "—"), *FindingKind.choices]
        if self.instance.pk:
            del self.fields["raise_nonconformity"]
            del self.fields["checklist_item"]
            if audit.is_issued:
                self.fields["reason"].required = True
                self.fields["reason"].help_text = _("The report is issued: the history keeps the reason.")
            else:
                del self.fields["reason"]
        else:
            del self.fields["reason"]
        self._style_widgets()


class FindingResponseForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Finding
        fields = ["auditee_response"]
        widgets = {"auditee_response": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auditee_response"].required = True
        self.fields["auditee_response"].widget.attrs["placeholder"] = _("How you see it and what you will do")
        self._style_widgets()


class ReportForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Audit
        fields = ["summary", "strengths", "conclusion"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ("summary", "strengths", "conclusion")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
