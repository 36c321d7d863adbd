import pytest

from processes.choices import ResourceKind
from processes.models import ProcessDocument, ProcessInput, ProcessOutput, ProcessResource
from tests.factories import AuditFactory, HandOffFactory, KPIFactory, ProcessFactory, RiskFactory, UserFactory


@pytest.fixture
def machining(owner):
    """A process with a full turtle: an input, an output, a resource, a method, hand-offs both
    ways, a KPI and an open risk."""
    process = ProcessFactory(name="Machining", owner=owner)
    ProcessInput.objects.create(process=process, name="Aluminium bar", supplier="Metals Ltd")
    ProcessOutput.objects.create(process=process, name="Machined housings", customer="Arden Motors")
    ProcessResource.objects.create(process=process, kind=ResourceKind.values[0], description="Five-axis cell")
    ProcessDocument.objects.create(
        process=process, title="Set-up instruction SI-12", url="https://docs.example.com/si12"
    )
    HandOffFactory(source=ProcessFactory(name="Planning"), target=process, item="Released work orders")
    HandOffFactory(source=process, target=ProcessFactory(name="Inspection"), item="First-off parts")
    KPIFactory(name="Scrap rate", processes=[process])
    RiskFactory(title="Spindle breakdown", processes=[process])
    return process


@pytest.fixture
def audit(auditor, machining):
    """A planned audit of machining, led by the auditor, with a team member and an auditee."""
    audit = AuditFactory(owner=auditor, processes=[machining], clauses=["7.1", "8.5"])
    audit.team.add(UserFactory(username="teammate", role="auditor"))
    audit.auditees.add(UserFactory(username="auditee", role="contributor"))
    return audit
