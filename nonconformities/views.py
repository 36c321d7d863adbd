from qms.views.generic import RecordDetailView, RecordListView

from .filters import NonconformityFilterSet
from .models import Nonconformity


class NonconformityListView(RecordListView):
    queryset = Nonconformity.objects.select_related("owner").prefetch_related("processes")
    filterset_class = NonconformityFilterSet
    template_name = "nonconformities/nonconformity_list.html"


class NonconformityDetailView(RecordDetailView):
    queryset = Nonconformity.objects.select_related(
        "owner", "reviewed_by", "created_by", "updated_by"
    ).prefetch_related("deputies", "processes")
    template_name = "nonconformities/nonconformity_detail.html"
