"""Builder of the demo's evidence pack (packs/demo.yaml), requested and rendered as an auditor would
from the audit's page: for the latest reported audit, or, while the demo has none, for a scope."""

from dataclasses import dataclass, field

from audits.choices import AuditStatus
from audits.models import Audit
from processes.models import Process
from qms.demo_loader import Demo, builds, parse
from qms.models import User

from . import services


@dataclass(frozen=True, kw_only=True)
class _Pack:
    requested_by: str
    processes: list = field(default_factory=list)
    clauses: list = field(default_factory=list)
    period_from: str = "-12m"
    period_to: str = "today"


@builds("evidence_packs", order=95)
def seed_packs(demo: Demo, *, evidence_packs: list) -> dict[str, int]:
    made = 0
    for _number, fields in demo.entries("evidence_packs", evidence_packs):
        entry = parse(_Pack, fields)
        user = demo.get(User, entry.requested_by)
        audit = Audit.objects.filter(status=AuditStatus.REPORTED).order_by("-planned_end", "-pk").first()
        with demo.acting_as(user):
            if audit is not None:
                pack = services.pack_request(user=user, audit=audit, render=False)
            else:
                pack = services.pack_request(
                    user=user,
                    processes=[demo.get(Process, key) for key in entry.processes],
                    clauses=entry.clauses,
                    period_from=demo.date(entry.period_from),
                    period_to=demo.date(entry.period_to),
                    render=False,
                )
        services.pack_render(pack.pk, notify=False)
        made += 1
    return {"evidence packs": made}
