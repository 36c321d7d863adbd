import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet

from .choices import AuditStatus
from .models import Audit


class AuditFilterSet(SearchFilterSet):
    search_fields = ("reference", "title")

    year = django_filters.NumberFilter(label=_("Year"), field_name="programme__year")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AuditStatus.choices)
    o = django_filters.OrderingFilter(
        fields=(("reference", "reference"), ("title", "title"), ("planned_start", "start"), ("status", "status")),
    )

    class Meta:
        model = Audit
        fields = ["q", "year", "status"]
