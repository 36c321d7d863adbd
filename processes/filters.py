import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet, ShortListFilter, person_filter
from qms.models import OrgUnit

from .choices import ProcessStatus, ProcessType
from .models import Process


class ProcessFilterSet(SearchFilterSet):
    search_fields = ("reference", "name", "purpose")

    type = django_filters.ChoiceFilter(label=_("Type"), choices=ProcessType.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProcessStatus.choices)
    owner = person_filter()
    org_unit = ShortListFilter(label=_("Unit"), queryset=OrgUnit.objects.all())
    o = django_filters.OrderingFilter(
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
