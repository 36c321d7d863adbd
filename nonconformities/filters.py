import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet

from .choices import NCStatus, Origin, Severity
from .models import Nonconformity


class NonconformityFilterSet(SearchFilterSet):
    search_fields = ("reference", "title", "description", "party")

    status = django_filters.ChoiceFilter(label=_("Status"), choices=NCStatus.choices)
    origin = django_filters.ChoiceFilter(label=_("Source"), choices=Origin.choices)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)
    o = django_filters.OrderingFilter(
        fields=(("reference", "reference"), ("title", "title"), ("detected_on", "found"), ("status", "status")),
    )

    class Meta:
        model = Nonconformity
        fields = ["q", "status", "origin", "severity"]
