"""Builder of the demo's evidence pack (packs/demo.yaml), requested and rendered as an auditor would
from the audit's page; and the stored PDFs of the audit reports the demo issued, which the worker
would otherwise make once the seeding commits."""

from dataclasses import dataclass

from audits.models import Audit, IssuedReport
from qms.demo_loader import Demo, builds, parse
from qms.models import User

from . import services


@dataclass(frozen=True, kw_only=True)
class _Pack:
    requested_by: str
    audit: str


@builds("evidence_packs", order=95)
def seed_packs(demo: Demo, *, evidence_packs: list) -> dict[str, int]:
    made = 0
    for _number, fields in demo.entries("evidence_packs", evidence_packs):
        entry = parse(_Pack, fields)
        user = demo.get(User, entry.requested_by)
        with demo.acting_as(user):
            pack = services.pack_request(user=user, audit=demo.get(Audit, entry.audit), render=False)
        services.pack_render(pack.pk, notify=False)
        made += 1
    reports = list(IssuedReport.objects.pending().order_by("pk").values_list("pk", flat=True))
    for report_id in reports:
        services.audit_report_store(report_id)
    return {"evidence packs": made, "issued audit reports": len(reports)}
