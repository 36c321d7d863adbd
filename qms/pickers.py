"""One autocomplete picker for every field that picks a person, process, objective, KPI or action,
and for the filters by organisational unit.

A page renders only the values chosen; the rest load as the user types, 20 at a time, from one
endpoint (`qms:picker`) that reads a named source below. The source is the queryset the field
offers (forms build their querysets from the same functions), narrowed by the permission rule.
The field itself keeps its full queryset, so a submitted id is validated as before: rendering is
what the picker saves, not checking.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .params import record_id

RESULTS = 20


@dataclass(frozen=True)
class Source:
    """What a picker offers: `choices(user, record)` is the queryset (`record` is the object named
    by `?for=`, of the model `record_model`, when the choices depend on one), searched in `search`
    and sorted by `order`."""

    choices: Callable[..., models.QuerySet]
    search: tuple[str, ...]
    order: tuple[str, ...]
    record_model: Callable[[], type[models.Model]] | None = None


def active_people() -> models.QuerySet:
    return get_user_model().objects.filter(is_active=True)


def people_who_may_own() -> models.QuerySet:
    """Whom a record may name as owner or deputy (see OwnedRecord.choosable_people)."""
    return active_people().exclude(role=Role.VIEWER)


def _processes():
    from processes.models import Process

    return Process.objects.all()


def _current_processes():
    from processes.choices import ProcessStatus

    return _processes().exclude(status=ProcessStatus.RETIRED)


def _objectives():
    from objectives.models import Objective

    return Objective.objects.all()


def _active_objectives():
    from objectives.choices import ObjectiveStatus

    return _objectives().filter(status=ObjectiveStatus.ACTIVE)


def _kpis():
    from objectives.models import KPI

    return KPI.objects.all()


def _org_units():
    from .models import OrgUnit

    return OrgUnit.objects.all()


def _kpi_model():
    from objectives.models import KPI

    return KPI


def _actions_to_judge(user, kpi):
    from objectives.forms import actions_to_judge

    return actions_to_judge(user, kpi)


def _objectives_to_measure(user, record):
    from objectives.forms import objectives_to_measure

    return objectives_to_measure(user)


PERSON = (("first_name", "last_name", "username"), ("last_name", "first_name", "username"))
NAMED = (("reference", "name"), ("reference",))

SOURCES: dict[str, Source] = {
    "people": Source(lambda user, record: active_people(), *PERSON),
    "record-people": Source(lambda user, record: people_who_may_own(), *PERSON),
    "processes": Source(lambda user, record: _processes(), *NAMED),
    "current-processes": Source(lambda user, record: _current_processes(), *NAMED),
    "objectives": Source(lambda user, record: _objectives(), ("reference", "title"), ("reference",)),
    "active-objectives": Source(lambda user, record: _active_objectives(), ("reference", "title"), ("reference",)),
    "objectives-to-measure": Source(_objectives_to_measure, ("reference", "title"), ("reference",)),
    "kpis": Source(lambda user, record: _kpis(), *NAMED),
    "org-units": Source(lambda user, record: _org_units(), ("name",), ("name", "pk")),
    "actions-to-judge": Source(_actions_to_judge, ("reference", "title"), ("reference",), _kpi_model),
}


def search(source: Source, user, record, term: str) -> list[models.Model]:
    """The first RESULTS choices of `source` the user may see whose searched fields contain every
    word of `term`."""
    queryset = source.choices(user, record)
    if hasattr(queryset, "restrict"):
        queryset = queryset.restrict(user, "view")
    for word in term.split():
        condition = Q()
        for field in source.search:
            condition |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(condition)
    return list(queryset.order_by(*source.order)[:RESULTS])


class PickerMixin:
    """A select that renders only its chosen options and names the source the others load from;
    static/js/picker.js turns it into a searchable combobox (Tom Select)."""

    def __init__(self, source: str, *, record: models.Model | None = None, attrs=None):
        if source not in SOURCES:
            raise ValueError(f"Unknown picker source {source!r}")
        super().__init__(attrs)
        self.source = source
        self.record = record

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        url = reverse("qms:picker", args=[self.source])
        if self.record is not None:
            url = f"{url}?for={self.record.pk}"
        context["widget"]["attrs"].update({"data-picker": url, "data-placeholder": _("Type to search")})
        return context

    def optgroups(self, name, value, attrs=None):
        # Only ids a record can have: a submitted 2**64 is a form error, and must not break the page that shows it.
        chosen = [pk for v in value if (pk := record_id(v)) is not None]
        options = []
        if not self.allow_multiple_selected and not self.is_required:
            options.append(self.create_option(name, "", "", not chosen, 0))
        if chosen:
            field = self.choices.field
            for index, obj in enumerate(field.queryset.filter(pk__in=chosen), start=1):
                options.append(self.create_option(name, obj.pk, field.label_from_instance(obj), True, index))
        return [(None, options, 0)]


class PickerSelect(PickerMixin, forms.Select):
    pass


class PickerSelectMultiple(PickerMixin, forms.SelectMultiple):
    pass


def use_picker(field: forms.ModelChoiceField, source: str, *, record: models.Model | None = None) -> None:
    """Turn a model choice field of a form into a picker of `source`, keeping its queryset (which
    validates what is submitted), its attributes and whether it is required."""
    widget_class = PickerSelectMultiple if isinstance(field, forms.ModelMultipleChoiceField) else PickerSelect
    widget = widget_class(source, record=record, attrs=dict(field.widget.attrs))
    widget.attrs.pop("size", None)
    widget.is_required = field.required
    widget.choices = field.choices
    field.widget = widget
