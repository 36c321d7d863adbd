import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet, SortFilter, person_filter, process_filter

from .choices import NCStatus, Origin, Severity
from .models import Nonconformity
from .selectors import AGE_BANDS


class NonconformityFilterSet(SearchFilterSet):
    """The register opens on the open ones (see the list view's defaults), newest first."""

    SHOW_CHOICES = [("open", _("Open")), ("closed", _("Closed or cancelled")), ("all", _("All"))]
    search_fields = ("reference", "title", "description", "party")

    show = django_filters.ChoiceFilter(label=_("Show"), choices=SHOW_CHOICES, method="filter_show", empty_label=None)
    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=NCStatus.choices)
    origin = django_filters.ChoiceFilter(label=_("Source"), choices=Origin.choices)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)
    owner = person_filter()
    process = process_filter()
    age = django_filters.ChoiceFilter(
        label=_("Age"), choices=[(band.key, band.label) for band in AGE_BANDS.values()], method="filter_age"
    )
    awaiting_review = django_filters.BooleanFilter(label=_("Awaiting my review"), method="filter_awaiting_review")
    o = SortFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("detected_on", "found"),
            ("status", "status"),
            ("severity", "severity"),
            ("owner__last_name", "owner"),
        ),
    )

    class Meta:
        model = Nonconformity
        fields = ["q", "show", "mine", "status", "origin", "severity", "owner", "process", "age", "awaiting_review"]

    def filter_show(self, queryset, name, value):
        """Open or closed ones; a status asked for by name wins."""
        if value == "all" or self.data.get("status"):
            return queryset
        return queryset.open() if value == "open" else queryset.exclude(status__in=NCStatus.open())

    def filter_mine(self, queryset, name, value):
        return queryset.owned_by(self.request.user) if value else queryset

    def filter_age(self, queryset, name, value):
        return queryset.filter(AGE_BANDS[value].condition())

    def filter_awaiting_review(self, queryset, name, value):
        return queryset.awaiting_review_by(self.request.user) if value else queryset
