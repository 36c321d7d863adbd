import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet, SortFilter, objective_filter, person_filter, process_filter

from .choices import Band, Category, RiskKind, RiskStatus
from .models import Risk


class RiskFilterSet(SearchFilterSet):
    search_fields = ("reference", "title", "description", "cause", "consequence")

    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine")
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=RiskKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RiskStatus.choices)
    band = django_filters.ChoiceFilter(label=_("Residual band"), field_name="residual_band", choices=Band.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    owner = person_filter()
    process = process_filter()
    objective = objective_filter()
    review_overdue = django_filters.BooleanFilter(label=_("Review overdue"), method="filter_review_overdue")
    open = django_filters.BooleanFilter(label=_("Open (not closed)"), method="filter_open")
    acceptance_pending = django_filters.BooleanFilter(
        label=_("Acceptance awaiting approval"), method="filter_acceptance_pending"
    )
    # A cell of the heat map: ?stage=residual&likelihood=3&impact=4
    stage = django_filters.ChoiceFilter(
        label=_("Scores"), choices=[("inherent", _("Inherent")), ("residual", _("Residual"))], method="filter_cell"
    )
    likelihood = django_filters.NumberFilter(label=_("Likelihood"), method="filter_cell")
    impact = django_filters.NumberFilter(label=_("Impact"), method="filter_cell")
    o = SortFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("residual_score", "residual"),
            ("inherent_score", "inherent"),
            ("next_review_date", "review"),
            ("status", "status"),
        ),
    )

    class Meta:
        model = Risk
        fields = [
            "q", "mine", "kind", "status", "band", "category", "owner", "process", "objective", "review_overdue",
            "open", "acceptance_pending",
        ]  # fmt: skip

    def filter_mine(self, queryset, name, value):
        return queryset.owned_by(self.request.user) if value else queryset

    def filter_review_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(next_review_date__lt=timezone.localdate()) & ~Q(status=RiskStatus.CLOSED)
        return queryset.filter(overdue if value else ~overdue)

    def filter_acceptance_pending(self, queryset, name, value):
        if value is None:
            return queryset
        pending = queryset.acceptance_pending()
        return pending if value else queryset.exclude(pk__in=pending.values("pk"))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.filter(status=RiskStatus.CLOSED)

    def filter_cell(self, queryset, name, value):
        return queryset  # applied together in filter_queryset, which sees all three values

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        stage = data.get("stage") or "residual"
        for axis in ("likelihood", "impact"):
            if data.get(axis) is not None:
                queryset = queryset.filter(**{f"{stage}_{axis}": data[axis]})
        return queryset
