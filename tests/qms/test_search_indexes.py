"""On PostgreSQL the lists' free-text search over actions and risks is answered by trigram indexes
(qms 0016, risks 0006). They serve only the very expression the search asks for, so these tests
read the plan of each list's search: a change to how `q` searches that the indexes no longer
serve fails here rather than as a slow page at scale."""

import pytest
from django.db import connection

from qms.filters import ActionFilterSet
from qms.models import Action
from risks.filters import RiskFilterSet
from risks.models import Risk

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's"),
]


@pytest.mark.parametrize(("filterset_class", "model"), [(ActionFilterSet, Action), (RiskFilterSet, Risk)])
def test_search_is_answered_by_a_trigram_index_on_each_searched_column(filterset_class, model):
    searched = filterset_class({"q": "calibration"}, queryset=model.objects.all()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test's few rows would be read whole otherwise
    plan = searched.order_by().explain()  # the WHERE alone, as the count asks it

    for field in filterset_class.search_fields:
        assert f"Bitmap Index Scan on {model._meta.db_table}_search_{field}" in plan
