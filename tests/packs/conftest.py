"""A small QMS to pack: a process with its turtle and a hand-off, an objective measured by a KPI with a
year of values, a risk with a treatment, an audit with a checklist answer and a finding with a
photo, a nonconformity with its corrective action, and an improvement action."""

import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audits.choices import AuditStatus, FindingKind, Result
from audits.models import AuditProgramme, ChecklistItem, Finding
from packs import services
from processes.choices import ResourceKind
from processes.models import ProcessInput, ProcessOutput, ProcessResource
from qms import services as qms_services
from qms.choices import ActionKind
from tests import files
from tests.factories import (
    ActionFactory,
    AuditFactory,
    AuditProgrammeFactory,
    HandOffFactory,
    KPIFactory,
    MeasurementFactory,
    NonconformityFactory,
    ObjectiveFactory,
    ProcessFactory,
    RiskFactory,
)

TODAY = timezone.localdate()


@dataclass
class World:
    process: object
    other: object
    kpi: object
    objective: object
    risk: object
    audit: object
    finding: object
    nonconformity: object
    corrective: object
    improvement: object
    photo: object


def build_world(owner, auditor, *, processes: int = 1, per_process: int = 1) -> World:
    """The records to pack; `processes` and `per_process` scale it for the query-count tests."""
    first = None
    for n in range(processes):
        process = ProcessFactory(owner=owner, name=f"Machining {n}", purpose="Turn bars into shafts.")
        first = first or process
        ProcessInput.objects.create(process=process, name="Bar stock", supplier="Steel mill")
        ProcessOutput.objects.create(process=process, name="Shafts", customer="Assembly")
        ProcessResource.objects.create(process=process, kind=ResourceKind.EQUIPMENT, description="CNC lathe L-3")
        for m in range(per_process):
            kpi = KPIFactory(owner=owner, name=f"First pass yield {n}.{m}", processes=[process])
            objective = ObjectiveFactory(owner=owner, title=f"Fewer scrapped shafts {n}.{m}", processes=[process])
            kpi.objectives.add(objective)
            for month in range(1, 13):
                MeasurementFactory(kpi=kpi, period_start=date(TODAY.year - 1, month, 1), value=Decimal(88 + month % 7))
            risk = RiskFactory(owner=owner, title=f"Lathe breakdown {n}.{m}", processes=[process])
            ActionFactory(
                owner=owner, title=f"Spare spindle {n}.{m}", processes=[process],
                source_type=ContentType.objects.get_for_model(risk), source_id=risk.pk,
            )  # fmt: skip
            NonconformityFactory(owner=owner, title=f"Burrs on shafts {n}.{m}", processes=[process])
    other = ProcessFactory(owner=owner, name="Assembly")
    HandOffFactory(source=first, target=other, item="Finished shafts")
    year = (TODAY - timedelta(days=3)).year
    programme = AuditProgramme.objects.filter(year=year).first() or AuditProgrammeFactory(year=year)
    audit = AuditFactory(
        programme=programme,
        owner=auditor,
        title="Machining audit",
        processes=[first],
        clauses=["4.4", "8.5"],
        planned_start=TODAY - timedelta(days=3),
        planned_end=TODAY - timedelta(days=2),
        status=AuditStatus.REPORTED,
        summary="The machining process runs to plan.",
        strengths="Clean set-up sheets.",
        conclusion="Conforms, with one minor nonconformity.",
    )
    ChecklistItem.objects.create(
        audit=audit, position=1, clause="4.4", process=first, question="Are the process inputs defined?",
        result=Result.CONFORMS, notes="Inputs listed on the process page.",
    )  # fmt: skip
    finding = Finding.objects.create(
        audit=audit, number=1, kind=FindingKind.MINOR_NC, clause="8.5", process=first,
        title="Gauge overdue", description="Gauge G-14 was past its calibration date.",
        evidence="Calibration label dated last year.",
    )  # fmt: skip
    [photo] = qms_services.attachment_add(
        record=finding, user=auditor, files=[files.upload("gauge.png", files.image())], description="Gauge label"
    )
    nonconformity = NonconformityFactory(owner=owner, title="Gauge out of calibration", processes=[first])
    nc_type = ContentType.objects.get_for_model(nonconformity)
    corrective = ActionFactory(
        owner=owner, title="Calibrate G-14", processes=[first], source_type=nc_type, source_id=nonconformity.pk
    )
    improvement = ActionFactory(owner=owner, title="Set-up video", kind=ActionKind.IMPROVEMENT, processes=[first])
    return World(
        process=first, other=other, kpi=kpi, objective=objective, risk=risk, audit=audit, finding=finding,
        nonconformity=nonconformity, corrective=corrective, improvement=improvement, photo=photo,
    )  # fmt: skip


@pytest.fixture
def world(owner, auditor) -> World:
    return build_world(owner, auditor)


def scope_pack(user, **kwargs):
    """A pack of all clauses for last year and this one, not yet rendered."""
    kwargs.setdefault("period_from", date(TODAY.year - 1, 1, 1))
    kwargs.setdefault("period_to", TODAY)
    return services.pack_request(user=user, render=False, **kwargs)


def rendered(pack):
    services.pack_render(pack.pk)
    pack.refresh_from_db()
    return pack


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
