import django_filters
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.validators import EMPTY_VALUES
from django.db.models import Q
from django.forms import Select
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from processes.models import Process

from .choices import ActionKind, ActionStatus, Role
from .forms import ShortListChoiceField
from .models import Action, OrgUnit, User
from .pickers import PickerSelect, active_people


class ShortListFilter(django_filters.ModelChoiceFilter):
    """A filter by one record of a short list (a theme, a lead auditor), its choices read at once."""

    field_class = ShortListChoiceField


class SortFilter(django_filters.OrderingFilter):
    """Sorts a list by the column asked for and then by id, the same way round, so that rows alike in
    that column keep one order, a page neither repeats a row of another nor skips one, and an index
    on (column, id) serves the sort either way."""

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or () if param not in EMPTY_VALUES]
        if not ordering:
            return qs
        return qs.order_by(*ordering, "-pk" if ordering[-1].startswith("-") else "pk")


def person_filter(label=None, **kwargs) -> django_filters.ModelChoiceFilter:
    """A filter by one active person, picked by name (see qms.pickers)."""
    return django_filters.ModelChoiceFilter(
        label=label or _("Owner"), queryset=active_people(), widget=PickerSelect("people"), **kwargs
    )


def unit_filter(**kwargs) -> django_filters.ModelChoiceFilter:
    """A filter by one organisational unit, picked by name: an enterprise has dozens to hundreds,
    and a select drew every one of them on every page of the list (1.8 ms for 55)."""
    return django_filters.ModelChoiceFilter(
        label=_("Unit"), queryset=OrgUnit.objects.all(), widget=PickerSelect("org-units"), **kwargs
    )


def process_filter(field_name="processes", **kwargs) -> django_filters.ModelChoiceFilter:
    """A filter by one process, picked by reference or name."""
    return django_filters.ModelChoiceFilter(
        label=_("Process"),
        field_name=field_name,
        queryset=Process.objects.all(),
        widget=PickerSelect("processes"),
        **kwargs,
    )


def objective_filter(field_name="objectives", **kwargs) -> django_filters.ModelChoiceFilter:
    """A filter by one objective, picked by reference or title."""
    from objectives.models import Objective

    return django_filters.ModelChoiceFilter(
        label=_("Objective"),
        field_name=field_name,
        queryset=Objective.objects.all(),
        widget=PickerSelect("objectives"),
        **kwargs,
    )


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a free-text `q` over the fields named in `search_fields`, and compact
    Bootstrap widgets for the filter bar above each list."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(label=_("Search"), method="search")

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        return form

    def search(self, queryset, name, value):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(condition)


def _source_type_choices():
    from .models import OwnedRecord

    # From the content types' cache: ContentType.objects.all() would ask the database on every list.
    records = [model for model in apps.get_models() if issubclass(model, OwnedRecord)]
    types = ContentType.objects.get_for_models(*records)
    return sorted(((types[model].pk, capfirst(model._meta.verbose_name)) for model in records), key=lambda c: c[1])


class ActionFilterSet(SearchFilterSet):
    search_fields = ("reference", "title", "description")
    SHOW_CHOICES = [
        ("current", _("Open and awaiting a check")),
        ("closed", _("Closed (checked or cancelled)")),
        ("all", _("All")),
    ]

    show = django_filters.ChoiceFilter(label=_("Show"), choices=SHOW_CHOICES, method="filter_show", empty_label=None)
    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine")
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=ActionStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ActionKind.choices)
    owner = person_filter()
    process = process_filter()
    source_type = django_filters.ChoiceFilter(
        label=_("Raised from"), choices=_source_type_choices, method="filter_source_type"
    )
    o = SortFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("due_date", "due"),
            ("status", "status"),
            ("owner__last_name", "owner"),
        ),
    )

    class Meta:
        model = Action
        fields = ["q", "show", "mine", "overdue", "status", "kind", "owner", "process", "source_type"]

    def filter_show(self, queryset, name, value):
        """Current or closed actions; a status asked for by name wins (the dashboard links to them)."""
        if value == "all" or self.data.get("status"):
            return queryset
        return queryset.closed() if value == "closed" else queryset.filter(status__in=ActionStatus.current())

    def filter_source_type(self, queryset, name, value):
        """Actions raised from records of one kind, or from their parts that raise actions in their
        name (ACTIONS_RAISED_THROUGH: a management review's through its decisions)."""
        model = ContentType.objects.get_for_id(value).model_class()
        parts = [apps.get_model(label) for label in getattr(model, "ACTIONS_RAISED_THROUGH", ())]
        types = [int(value), *(ContentType.objects.get_for_model(part).pk for part in parts)]
        return queryset.filter(source_type__in=types)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.owned_by(self.request.user)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(status__in=ActionStatus.active(), due_date__lt=timezone.localdate())
        return queryset.filter(overdue if value else ~overdue)


class UserFilterSet(SearchFilterSet):
    search_fields = ("username", "first_name", "last_name", "job_title", "email")

    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices)
    org_unit = unit_filter()
    o = SortFilter(
        fields=(("last_name", "name"), ("job_title", "job_title"), ("role", "role"), ("org_unit__name", "unit")),
    )

    class Meta:
        model = User
        fields = ["q", "role", "org_unit"]


class PeopleFilterSet(UserFilterSet):
    """The people list: active people unless asked for the deactivated ones too. (The API lists
    active people only, so the filter is the page's.)"""

    STATUSES = (("active", _("Active")), ("deactivated", _("Deactivated")), ("all", _("Everyone")))

    status = django_filters.ChoiceFilter(label=_("Status"), choices=STATUSES, method="filter_status", empty_label=None)

    class Meta(UserFilterSet.Meta):
        fields = ["q", "role", "org_unit", "status"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else QueryDict(mutable=True)
        data.setdefault("status", "active")
        super().__init__(data, *args, **kwargs)

    def filter_status(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(is_active=value != "deactivated")
