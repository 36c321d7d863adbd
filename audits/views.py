from qms.views.generic import RecordDetailView, RecordListView

from .filters import AuditFilterSet
from .models import Audit, AuditProgramme


class AuditListView(RecordListView):
    queryset = Audit.objects.select_related("owner", "programme").prefetch_related("processes")
    filterset_class = AuditFilterSet
    template_name = "audits/audit_list.html"


class AuditDetailView(RecordDetailView):
    queryset = Audit.objects.select_related(
        "owner", "programme", "issued_by", "created_by", "updated_by"
    ).prefetch_related("deputies", "processes", "org_units", "team", "auditees")
    template_name = "audits/audit_detail.html"


class AuditProgrammeDetailView(RecordDetailView):
    queryset = AuditProgramme.objects.select_related("owner", "created_by", "updated_by").prefetch_related("deputies")
    template_name = "audits/auditprogramme_detail.html"
