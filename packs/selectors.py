"""What an evidence pack shows: the records that serve as evidence for its scope, each as it stood at
the pack's date, gathered by ISO 9001 clause (see ../shared/ISO9001-MAP.md for which records serve
which clause).

`pack_content` reads every kind of record in a fixed number of queries, whatever the number of
records: one query per kind for its snapshots (packs.versions), one per many-to-many link, one for
the people they name and one for their evidence files.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from audits.models import Audit, ChecklistItem, Finding
from nonconformities.models import Nonconformity
from objectives.charts import trend_svg
from objectives.choices import KPI_STATUS_COLOURS, KPIStatus
from objectives.models import KPI, Measurement, Objective
from processes.models import HandOff, Process, ProcessDocument, ProcessInput, ProcessOutput, ProcessResource
from processes.process_map import ProcessMap, map_svg
from qms.choices import ActionKind
from qms.clauses import Clause
from qms.models import Action, Attachment
from risks.choices import RiskKind, RiskStatus
from risks.models import Risk, RiskMatrix
from risks.services import heat_map_rows

from .models import EvidencePack
from .versions import fingerprint, versions_as_of

# What each clause section says it shows, in the product's own words.
CLAUSE_NOTES = {
    "4.4": _("Each process with its inputs, outputs, resources, methods and criteria, and its hand-offs."),
    "5.3": _("Who is accountable for each process, and who deputises."),
    "6.1": _("Risks and opportunities with their scores before and with controls, and their treatments."),
    "6.2": _("Quality objectives, what will be done, by whom, by when, and the KPIs that measure them."),
    "7.1": _("The resources each process needs."),
    "8.1": _("The documents that say how each process is done and judged."),
    "9.1": _("What is measured: each KPI with its target and its values over the period."),
    "9.2": _("Internal audits: scope, criteria, team, checklist results, findings and report."),
    "10.2": _("Nonconformities: containment, root cause, corrective actions and their effectiveness."),
    "10.3": _("Improvement and preventive actions, and whether they worked."),
}


@dataclass
class Evidence:
    """One record as the pack shows it: its snapshot at the pack's date (`version`, whose fields read
    like the record's), with its reference, owner, last change and the SHA-256 of that snapshot."""

    version: Any
    kind: str
    kinds: str  # the kind's plural, for counts
    reference: str
    title: str
    owner: Any = None
    files: list = field(default_factory=list)
    clause: str = ""
    extra: dict = field(default_factory=dict)

    @cached_property
    def sha256(self) -> str:
        return fingerprint(self.version)

    @property
    def all_files(self) -> list:
        """Its own files and, for an audit, those of its findings."""
        return [*self.files, *(f for finding in self.extra.get("findings", ()) for f in finding["files"])]

    @property
    def anchor(self) -> str:
        return f"rec-{self.version.instance_type._meta.model_name}-{self.version.id}"

    @property
    def changed_at(self) -> datetime:
        return self.version.history_date

    @property
    def changed_by(self):
        return self.version.history_user


@dataclass
class Block:
    """A part of a clause section, drawn by its own template."""

    template: str
    items: list = field(default_factory=list)
    context: dict = field(default_factory=dict)


@dataclass
class ClauseSection:
    code: str
    title: str
    note: str = ""
    blocks: list[Block] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "clause-" + self.code.replace(".", "-")

    @property
    def is_empty(self) -> bool:
        return not any(block.items for block in self.blocks)


@dataclass
class PackContent:
    pack: EvidencePack
    sections: list[ClauseSection]
    records: list[Evidence]
    files: list[Attachment]
    processes: list[Any]
    process_map: str | None = None

    @property
    def charts(self) -> dict[str, str]:
        """The pictures the pack drew (trend charts and the process map) as SVG, by the path the pack's
        HTML names them with."""
        charts = {
            record.extra["chart_path"]: record.extra["chart"] for record in self.records if record.extra.get("chart")
        }
        if self.process_map:
            charts[PROCESS_MAP_PATH] = self.process_map
        return charts

    @property
    def counts(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = defaultdict(int)
        for record in self.records:
            counts[record.kinds] += 1
        return sorted(counts.items())


def _period_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _period_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def pack_content(pack: EvidencePack) -> PackContent:
    """Everything the pack shows, gathered by clause.

    1. Read the snapshots at `pack.as_of` of each kind of record in scope: processes (all, or those
       chosen), the records linked to them, the KPI values of the period, the audits of the period
       (and the pack's own audit), their findings and checklist.
    2. Load the people they name and the files they had at that moment, once.
    3. Build each clause's blocks; every record is anchored once, where it belongs most.
    """
    as_of, start, end = pack.as_of, pack.period_from, pack.period_to
    process_ids = list(pack.processes.values_list("pk", flat=True))
    linked = {"processes": process_ids} if process_ids else None

    # 1. Snapshots
    all_processes = versions_as_of(Process, as_of)
    processes = [p for p in all_processes if not process_ids or p.id in process_ids]
    shown_process_ids = [p.id for p in processes]
    parts = {
        model: versions_as_of(model, as_of, Q(process_id__in=shown_process_ids))
        for model in (ProcessInput, ProcessOutput, ProcessResource, ProcessDocument)
    }
    handoffs = versions_as_of(HandOff, as_of, Q(source_id__in=shown_process_ids) | Q(target_id__in=shown_process_ids))
    kpis = versions_as_of(KPI, as_of, linked=linked)
    objective_ids = {oid for kpi in kpis for oid in kpi.link_ids["objectives"]}
    objectives = versions_as_of(Objective, as_of, Q(id__in=objective_ids) if linked else None)
    measurements = versions_as_of(
        Measurement, as_of, Q(kpi_id__in=[k.id for k in kpis], period_start__gte=start, period_start__lte=end)
    )
    risks = versions_as_of(Risk, as_of, ~Q(status=RiskStatus.CLOSED), linked=linked)
    in_period = Q(planned_start__lte=end, planned_end__gte=start)
    audits = versions_as_of(Audit, as_of, in_period, linked=linked)
    if pack.audit_id and pack.audit_id not in {a.id for a in audits}:
        audits += versions_as_of(Audit, as_of, Q(id=pack.audit_id))
    audit_ids = [a.id for a in audits]
    findings = versions_as_of(Finding, as_of, Q(audit_id__in=audit_ids))
    checklist = versions_as_of(ChecklistItem, as_of, Q(audit_id__in=audit_ids))
    ncs = versions_as_of(
        Nonconformity,
        as_of,
        Q(detected_on__lte=end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=start)),
        linked=linked,
    )
    actions = versions_as_of(
        Action, as_of, Q(created_at__lte=_period_end(end)) & Q(updated_at__gte=_period_start(start)), linked=linked
    )
    matrices = versions_as_of(RiskMatrix, as_of)  # the scoring the risks had then
    matrix = matrices[0].instance if matrices else RiskMatrix.current()

    # 2. People and files
    people = _people([*processes, *kpis, *objectives, *risks, *audits, *ncs, *actions, *findings, *checklist])
    builder = _Builder(as_of, people)
    builder.load_files({Audit: audits, Finding: findings, Nonconformity: ncs, Action: actions})

    # 3. Sections
    process_names = {p.id: f"{p.reference} {p.name}" for p in all_processes}
    process_evidence = [
        builder.evidence(
            p,
            Process,
            p.name,
            "4.4",
            inputs=[i for i in parts[ProcessInput] if i.process_id == p.id],
            outputs=[o for o in parts[ProcessOutput] if o.process_id == p.id],
            resources=[r for r in parts[ProcessResource] if r.process_id == p.id],
            documents=[d for d in parts[ProcessDocument] if d.process_id == p.id],
            handoffs_out=[(process_names.get(h.target_id, "—"), h.item) for h in handoffs if h.source_id == p.id],
            handoffs_in=[(process_names.get(h.source_id, "—"), h.item) for h in handoffs if h.target_id == p.id],
            deputies=builder.names(p.link_ids["deputies"]),
        )
        for p in processes
    ]
    points = defaultdict(list)
    for m in sorted(measurements, key=lambda m: m.period_start):
        points[m.kpi_id].append((m.period_start, m.value))
    kpi_evidence = [
        builder.evidence(k, KPI, k.name, "9.1", **_kpi_chart(k, points[k.id]), processes=_refs(k, process_names))
        for k in kpis
    ]
    for kpi in kpi_evidence:
        kpi.extra["chart_path"] = f"charts/{kpi.anchor}.svg"
    kpis_of = defaultdict(list)
    for kpi in kpi_evidence:
        for objective_id in kpi.version.link_ids["objectives"]:
            kpis_of[objective_id].append(kpi)
    objective_evidence = [builder.evidence(o, Objective, o.title, "6.2", kpis=kpis_of[o.id]) for o in objectives]

    action_evidence = [builder.evidence(a, Action, a.title, "") for a in actions]
    raised_from = defaultdict(list)
    for action in action_evidence:
        raised_from[(action.version.source_type_id, action.version.source_id)].append(action)
    risk_type, nc_type = ContentType.objects.get_for_model(Risk), ContentType.objects.get_for_model(Nonconformity)
    risk_evidence = [
        builder.evidence(
            r, Risk, r.title, "6.1", treatments=raised_from[(risk_type.pk, r.id)], processes=_refs(r, process_names)
        )
        for r in risks
    ]
    nc_evidence = [
        builder.evidence(
            n,
            Nonconformity,
            n.title,
            "10.2",
            actions=raised_from[(nc_type.pk, n.id)],
            reviewed_by=people.get(n.reviewed_by_id),
            processes=_refs(n, process_names),
        )
        for n in ncs
    ]
    findings_of, checklist_of = defaultdict(list), defaultdict(list)
    audit_references = {a.id: a.reference for a in audits}
    for finding in findings:
        findings_of[finding.audit_id].append(
            builder.finding(finding, audit_references[finding.audit_id], process_names)
        )
    for item in checklist:
        checklist_of[item.audit_id].append(item)
    audit_evidence = [
        builder.evidence(
            a,
            Audit,
            a.title,
            "9.2",
            findings=findings_of[a.id],
            checklist=sorted(checklist_of[a.id], key=lambda i: (i.position, i.id)),
            team=builder.names(a.link_ids["team"]),
            auditees=builder.names(a.link_ids["auditees"]),
            processes=_refs(a, process_names),
            issued_by=people.get(a.issued_by_id),
        )
        for a in audits
    ]
    corrective = [a for a in action_evidence if a.version.kind in (ActionKind.CORRECTIVE, ActionKind.CORRECTION)]
    improvement = [a for a in action_evidence if a.version.kind not in (ActionKind.CORRECTIVE, ActionKind.CORRECTION)]
    for action in corrective:
        action.clause = "10.2"
    for action in improvement:
        action.clause = "10.3"

    drawn_map = _process_map(processes, all_processes, handoffs)
    blocks = {
        "4.4": [
            Block("packs/pdf/_process_map.html", [drawn_map] if drawn_map else [], {"path": PROCESS_MAP_PATH}),
            Block("packs/pdf/_processes.html", process_evidence),
        ],
        "5.3": [Block("packs/pdf/_roles.html", process_evidence)],
        "6.1": [
            Block("packs/pdf/_heat_maps.html", risk_evidence, {"maps": _heat_maps(matrix, risks)}),
            Block("packs/pdf/_risks.html", risk_evidence),
        ],
        "6.2": [Block("packs/pdf/_objectives.html", objective_evidence)],
        "7.1": [Block("packs/pdf/_resources.html", [p for p in process_evidence if p.extra["resources"]])],
        "8.1": [Block("packs/pdf/_documents.html", [p for p in process_evidence if p.extra["documents"]])],
        "9.1": [Block("packs/pdf/_kpis.html", kpi_evidence)],
        "9.2": [Block("packs/pdf/_audits.html", audit_evidence)],
        "10.2": [
            Block("packs/pdf/_nonconformities.html", nc_evidence),
            Block("packs/pdf/_actions.html", corrective, {"title": _("Corrective actions and corrections")}),
        ],
        "10.3": [Block("packs/pdf/_actions.html", improvement, {"title": _("Improvement and preventive actions")})],
    }
    sections = [
        ClauseSection(code, str(Clause(code).label), str(CLAUSE_NOTES.get(code, "")), blocks.get(code, []))
        for code in pack_clauses(pack)
    ]
    shown = {code for code in pack_clauses(pack)}
    records = [
        record
        for record in (
            *process_evidence,
            *objective_evidence,
            *risk_evidence,
            *kpi_evidence,
            *audit_evidence,
            *nc_evidence,
            *action_evidence,
        )
        if record.clause in shown
    ]
    records.sort(key=lambda r: (Clause.sort_key(r.clause), r.reference))
    shown_files = [f for record in records for f in record.all_files]
    return PackContent(
        pack=pack, sections=sections, records=records, files=shown_files, processes=processes, process_map=drawn_map
    )


PROCESS_MAP_PATH = "maps/processes.svg"


def _process_map(processes: list, all_processes: list, handoffs: list) -> str | None:
    """The map of the processes in scope and those they hand over to or take from, as they stood at
    the pack's date, drawn as the process map page draws it (without the live KPI colours)."""
    drawn = {p.id for p in processes} | {h.source_id for h in handoffs} | {h.target_id for h in handoffs}
    graph = ProcessMap(
        processes=[p.instance for p in all_processes if p.id in drawn],
        handoffs=[h.instance for h in handoffs if h.source_id in drawn and h.target_id in drawn],
    )
    return map_svg(graph) if graph.processes else None


def pack_clauses(pack: EvidencePack) -> list[str]:
    """The clauses a pack covers: those chosen (all when none were), and always the processes in
    scope (4.4), which the other clauses' records refer to. An audit's pack also covers its results
    (9.2) and what they raised (10.2)."""
    if pack.audit_id and pack.clauses:
        return Clause.valid([*pack.clauses, "4.4", "9.2", "10.2"])
    return Clause.valid([*pack.clause_codes, "4.4"])


def _refs(version, process_names: dict[int, str]) -> list[str]:
    return sorted(process_names.get(pk, f"#{pk}") for pk in version.link_ids.get("processes", ()))


def _kpi_chart(version, points: list[tuple[date, Decimal]]) -> dict:
    """The KPI's trend chart over the period, as the KPI page draws it, from the KPI as it stood, and
    its latest value in the period judged against the target of then. (A KPI's stored status is not
    part of its history: it is worked out from the values.)"""
    kpi = KPI(
        **{f.attname: getattr(version, f.attname) for f in KPI._meta.concrete_fields if hasattr(version, f.attname)}
    )
    latest = points[-1] if points else None
    status = KPIStatus(kpi.judge(latest[1])) if latest else KPIStatus.NO_DATA
    return {
        "chart": trend_svg(kpi, points) if len(points) >= 2 else "",
        "points": points,
        "latest": latest,
        "status": status.label,
        "status_colour": KPI_STATUS_COLOURS[status],
    }


def _heat_maps(matrix: RiskMatrix, risks: list) -> list[dict]:
    """Open risks by cell, before and with controls, on the register's heat map cells."""
    maps = []
    for stage, title in (("inherent", _("Before controls")), ("residual", _("With controls"))):
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for risk in risks:
            cell = getattr(risk, f"{stage}_likelihood"), getattr(risk, f"{stage}_impact")
            if risk.kind == RiskKind.RISK and None not in cell:
                counts[cell] += 1
        maps.append(
            {
                "title": title,
                "rows": heat_map_rows(matrix, RiskKind.RISK, counts),
                "total": sum(counts.values()),
                "impact_levels": list(enumerate(matrix.impact_levels, start=1)),
            }
        )
    return maps


def _people(versions: list) -> dict[int, Any]:
    """Everyone the snapshots name (owners, deputies, teams, reviewers…), in one query."""
    ids: set[int] = set()
    for version in versions:
        for f in version._meta.concrete_fields:
            if f.is_relation and f.related_model is get_user_model() and f.name != "history_user":
                ids.add(getattr(version, f.attname))
        for name, linked in getattr(version, "link_ids", {}).items():
            if name in ("deputies", "team", "auditees"):
                ids.update(linked)
    ids.discard(None)
    return get_user_model().objects.in_bulk(ids)


class _Builder:
    def __init__(self, as_of: datetime, people: dict[int, Any]):
        self.as_of = as_of
        self.people = people
        self.files_of: dict[tuple[int, int], list[Attachment]] = defaultdict(list)

    def names(self, ids) -> list[str]:
        return sorted(str(self.people[pk]) for pk in ids if pk in self.people)

    def load_files(self, versions_by_model: dict) -> None:
        """The files each record had at the pack's date, in one query."""
        which = Q(pk__in=[])
        for model, versions in versions_by_model.items():
            content_type = ContentType.objects.get_for_model(model)
            which |= Q(content_type=content_type, object_id__in=[v.id for v in versions])
        files = list(Attachment.objects.as_of(self.as_of).filter(which).order_by("uploaded_at", "pk"))
        for attachment in files:
            self.files_of[(attachment.content_type_id, attachment.object_id)].append(attachment)

    def evidence(self, version, model, title: str, clause: str, **extra) -> Evidence:
        files = self.files_of.get((ContentType.objects.get_for_model(model).pk, version.id), [])
        record = Evidence(
            version=version,
            kind=capfirst(model._meta.verbose_name),
            kinds=str(model._meta.verbose_name_plural),
            reference=version.reference,
            title=title,
            owner=self.people.get(version.owner_id),
            files=files,
            clause=clause,
            extra=extra,
        )
        for attachment in files:
            attachment.evidence_reference = record.reference
        return record

    def finding(self, version, audit_reference: str, process_names: dict[int, str]) -> dict:
        reference = f"{audit_reference}-F{version.number}"
        files = self.files_of.get((ContentType.objects.get_for_model(Finding).pk, version.id), [])
        for attachment in files:
            attachment.evidence_reference = reference
        return {
            "version": version,
            "reference": reference,
            "process": process_names.get(version.process_id, "—"),
            "files": files,
            "sha256": fingerprint(version),
        }
