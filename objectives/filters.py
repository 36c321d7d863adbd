import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet, ShortListFilter, SortFilter, objective_filter, person_filter, process_filter

from .choices import Frequency, KPIStatus, Nature, ObjectiveStatus
from .models import KPI, Objective, StrategicTheme


class KPIFilterSet(SearchFilterSet):
    search_fields = ("reference", "name", "description")

    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine")
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=KPIStatus.choices)
    nature = django_filters.ChoiceFilter(label=_("Measures"), choices=Nature.choices)
    frequency = django_filters.ChoiceFilter(label=_("Frequency"), choices=Frequency.choices)
    owner = person_filter()
    process = process_filter()
    objective = objective_filter()
    o = SortFilter(
        fields=(("reference", "reference"), ("name", "name"), ("status", "status"), ("owner__last_name", "owner")),
    )

    class Meta:
        model = KPI
        fields = ["q", "mine", "status", "nature", "frequency", "owner", "process", "objective"]

    def filter_mine(self, queryset, name, value):
        return queryset.owned_by(self.request.user) if value else queryset

    @property
    def qs(self):
        queryset = super().qs
        return queryset if self.data and self.data.get("o") else queryset.outcome_first()


class ObjectiveFilterSet(SearchFilterSet):
    search_fields = ("reference", "title", "description")

    theme = ShortListFilter(label=_("Theme"), queryset=StrategicTheme.objects.all())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ObjectiveStatus.choices)
    owner = person_filter()
    process = process_filter()
    o = SortFilter(
        fields=(("reference", "reference"), ("title", "title"), ("due_date", "due"), ("status", "status")),
    )

    class Meta:
        model = Objective
        fields = ["q", "theme", "status", "owner", "process"]
