import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet

from .choices import PackStatus
from .models import EvidencePack


class EvidencePackFilterSet(SearchFilterSet):
    search_fields = ("audit__reference", "audit__title")

    status = django_filters.ChoiceFilter(label=_("Status"), choices=PackStatus.choices)
    mine = django_filters.ChoiceFilter(
        label=_("Requested by"), choices=[("me", _("Me"))], empty_label=_("Anyone"), method="requested_by_me"
    )

    class Meta:
        model = EvidencePack
        fields = ["q", "status", "mine"]

    def requested_by_me(self, queryset, name, value):
        return queryset.filter(requested_by=self.request.user) if value else queryset
