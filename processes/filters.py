import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet, SortFilter, person_filter, unit_filter

from .choices import ProcessStatus, ProcessType
from .models import Process


class ProcessFilterSet(SearchFilterSet):
    search_fields = ("reference", "name", "purpose")

    type = django_filters.ChoiceFilter(label=_("Type"), choices=ProcessType.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProcessStatus.choices)
    owner = person_filter()
    org_unit = unit_filter()
    o = SortFilter(
        fields=(
            ("reference", "reference"),
            ("name", "name"),
            ("type", "type"),
            ("status", "status"),
            ("next_review_date", "review"),
        ),
    )

    class Meta:
        model = Process
        fields = ["q", "type", "status", "owner", "org_unit"]
