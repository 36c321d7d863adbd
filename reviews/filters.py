import django_filters
from django.utils.translation import gettext_lazy as _

from qms.filters import SearchFilterSet, SortFilter, person_filter, process_filter

from .choices import ContextStatus, Effect, IssueCategory, IssueSide, PartyKind
from .models import ContextIssue, InterestedParty


class ContextFilterSet(SearchFilterSet):
    """What the context issue and interested party lists share: mine, status, owner, process,
    reviews overdue and recent changes."""

    mine = django_filters.BooleanFilter(label=_("Mine"), method="filter_mine")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ContextStatus.choices, empty_label=_("All"))
    owner = person_filter()
    process = process_filter()
    review_overdue = django_filters.BooleanFilter(label=_("Review overdue"), method="filter_review_overdue")
    changed_recently = django_filters.BooleanFilter(
        label=_("Changed in the last 6 months"), method="filter_changed_recently"
    )

    def filter_mine(self, queryset, name, value):
        return queryset.owned_by(self.request.user) if value else queryset

    def filter_review_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.review_overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_changed_recently(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.changed_recently(value)


class ContextIssueFilterSet(ContextFilterSet):
    search_fields = ("reference", "title", "description", "effect_detail")

    side = django_filters.ChoiceFilter(label=_("Internal or external"), choices=IssueSide.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=IssueCategory.choices)
    effect = django_filters.ChoiceFilter(label=_("Effect"), choices=Effect.choices)
    o = SortFilter(
        fields=(("reference", "reference"), ("title", "title"), ("category", "category"), ("review_date", "review"))
    )

    class Meta:
        model = ContextIssue
        fields = [
            "q", "mine", "side", "category", "effect", "status", "owner", "process", "review_overdue",
            "changed_recently",
        ]  # fmt: skip


class InterestedPartyFilterSet(ContextFilterSet):
    search_fields = ("reference", "name", "requirements", "monitoring")

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartyKind.choices)
    o = SortFilter(fields=(("reference", "reference"), ("name", "name"), ("kind", "kind"), ("review_date", "review")))

    class Meta:
        model = InterestedParty
        fields = ["q", "mine", "kind", "status", "owner", "process", "review_overdue", "changed_recently"]
