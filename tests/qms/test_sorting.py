"""A list sorted by a column keeps rows alike in that column in one order (by id, the same way
round), so that paging through it shows each row once: without the tie-breaker PostgreSQL may order
the 25 rows of one page and the next differently, repeating some and skipping others."""

import django_filters
import pytest
from django.urls import reverse

from qms.choices import ActionStatus
from qms.filters import SortFilter
from tests.factories import ActionFactory


def _filtersets_that_sort() -> list[type[django_filters.FilterSet]]:
    import audits.filters
    import nonconformities.filters
    import objectives.filters
    import processes.filters
    import qms.filters
    import reviews.filters
    import risks.filters

    modules = (audits, nonconformities, objectives, processes, qms, reviews, risks)
    found = {
        value
        for module in modules
        for value in vars(module.filters).values()
        if isinstance(value, type) and issubclass(value, django_filters.FilterSet) and "o" in value.base_filters
    }
    return sorted(found, key=lambda filterset: filterset.__qualname__)


@pytest.mark.parametrize("filterset_class", _filtersets_that_sort(), ids=lambda f: f.__qualname__)
def test_every_sortable_list_breaks_ties_by_id(filterset_class):
    sort = filterset_class.base_filters["o"]
    assert isinstance(sort, SortFilter)
    model = filterset_class._meta.model
    for param in sort.param_map:
        for value in (param, f"-{param}"):
            filterset = filterset_class({"o": value}, queryset=model.objects.all())
            assert filterset.is_valid(), filterset.errors
            ordering = filterset.filter_queryset(model.objects.all()).query.order_by
            tie_breaker = "-pk" if value.startswith("-") else "pk"  # the same way round: one index serves both
            assert ordering[-1] == tie_breaker and len(ordering) == 2, (value, ordering)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["status", "-status"])
def test_paging_through_a_list_sorted_by_status_shows_every_action_once(client_for, viewer, owner, sort):
    actions = ActionFactory.create_batch(30, owner=owner, status=ActionStatus.OPEN)

    shown = []
    for page in (1, 2):
        response = client_for(viewer).get(reverse("qms:action_list"), {"o": sort, "page": page})
        shown += [action.pk for action in response.context["object_list"]]

    assert shown == sorted((action.pk for action in actions), reverse=sort.startswith("-"))
