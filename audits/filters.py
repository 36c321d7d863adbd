import django_filters
from django.utils.translation import gettext_lazy as _

from qms.clauses import Clause
from qms.filters import SearchFilterSet, ShortListFilter, SortFilter, process_filter
from qms.models import User
from qms.params import MAX_RECORD_ID

from .choices import AuditStatus, FindingKind
from .models import AUDIT_ROLES, Audit, AuditProgramme, Finding


def lead_auditors():
    return User.objects.filter(is_active=True, role__in=AUDIT_ROLES)


class AuditProgrammeFilterSet(SearchFilterSet):
    search_fields = ("reference", "title")

    class Meta:
        model = AuditProgramme
        fields = ["q"]


class AuditFilterSet(SearchFilterSet):
    search_fields = ("reference", "title")

    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine")
    year = django_filters.NumberFilter(label=_("Year"), field_name="programme__year")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AuditStatus.choices)
    process = process_filter()
    owner = ShortListFilter(label=_("Lead auditor"), queryset=lead_auditors())
    o = SortFilter(
        fields=(("reference", "reference"), ("title", "title"), ("planned_start", "start"), ("status", "status")),
    )

    class Meta:
        model = Audit
        fields = ["q", "mine", "year", "status", "process", "owner"]

    def filter_mine(self, queryset, name, value):
        """Audits I lead, deputise, audit in or am audited in."""
        return queryset.involving(self.request.user) if value else queryset


class FindingFilterSet(SearchFilterSet):
    search_fields = ("title", "description", "evidence")

    audit = django_filters.NumberFilter(label=_("Audit"), field_name="audit", min_value=1, max_value=MAX_RECORD_ID)
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=FindingKind.choices)
    clause = django_filters.ChoiceFilter(label=_("Clause"), choices=Clause.choices)
    process = process_filter(field_name="process")
    year = django_filters.NumberFilter(label=_("Year"), field_name="audit__programme__year")
    to_answer = django_filters.BooleanFilter(label=_("For me to answer"), method="filter_to_answer")
    o = SortFilter(
        fields=(("audit__planned_start", "audit"), ("kind", "kind"), ("clause", "clause"), ("title", "title")),
    )

    class Meta:
        model = Finding
        fields = ["q", "audit", "kind", "clause", "process", "year", "to_answer"]

    def filter_to_answer(self, queryset, name, value):
        """Findings of audits I am audited in that have no answer yet."""
        if not value:
            return queryset
        return queryset.to_answer_by(self.request.user)
