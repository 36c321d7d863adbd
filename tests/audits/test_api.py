"""The audit API: programmes, audits, checklist answers and findings, under the pages' rules."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.choices import AuditStatus
from audits.models import Audit
from nonconformities.choices import Origin
from tests.api import api
from tests.factories import AuditFactory, AuditProgrammeFactory

pytestmark = pytest.mark.django_db


def test_programmes_are_created_by_quality_managers(quality, auditor):
    data = {"year": 2031, "title": "Programme 2031", "owner": quality.pk}
    assert api(auditor).post("/api/audit-programmes/", data, format="json").status_code == 403
    response = api(quality).post("/api/audit-programmes/", data, format="json")
    assert response.status_code == 201 and response.json()["reference"].startswith("APG-")


def test_a_programme_keeps_the_year_its_audits_are_planned_in(quality, client_for):
    audit = AuditFactory()
    programme = audit.programme
    later = programme.year + 1

    by_api = api(quality).patch(f"/api/audit-programmes/{programme.pk}/", {"year": later}, format="json")
    page = client_for(quality).post(
        reverse("audits:auditprogramme_edit", args=[programme.pk]),
        {
            "year": later,
            "title": programme.title,
            "owner": programme.owner_id,
            "version": programme.updated_at.isoformat(),
        },
    )

    assert by_api.status_code == 400 and "year" in by_api.json()
    assert page.status_code == 422
    programme.refresh_from_db()
    assert programme.year == audit.planned_start.year
    # A programme without audits may still be moved to another year.
    empty = AuditProgrammeFactory()
    assert api(quality).patch(f"/api/audit-programmes/{empty.pk}/", {"year": 2099}, format="json").status_code == 200


def test_an_audit_is_planned_moved_and_its_checklist_built(auditor, machining):
    programme = AuditProgrammeFactory()
    client = api(auditor)
    created = client.post(
        "/api/audits/",
        {"programme": programme.pk, "title": "Machining", "processes": [machining.pk], "clauses": ["8.5"],
         "owner": auditor.pk, "planned_start": f"{programme.year}-04-01", "planned_end": f"{programme.year}-04-02"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    built = client.post(f"/api/audits/{pk}/checklist/build/")
    assert built.status_code == 201 and any("Aluminium bar" in item["question"] for item in built.json())
    moved = client.post(f"/api/audits/{pk}/status/", {"status": "cancelled"}, format="json")
    assert moved.status_code == 400 and "reason" in moved.json()
    assert (
        client.post(f"/api/audits/{pk}/status/", {"status": "prepared"}, format="json").json()["status"] == "prepared"
    )


def test_checklist_answers_and_findings(audit, auditor, machining):
    client = api(auditor)
    services.checklist_build(audit=audit, user=auditor)
    listed = client.get("/api/checklist-items/", {"audit": audit.pk}).json()
    item = listed["results"][0]
    answered = client.patch(
        f"/api/checklist-items/{item['id']}/", {"result": "minor_nc", "notes": "Seen"}, format="json"
    )
    assert answered.status_code == 200
    assert answered.json()["answered_by"] == auditor.pk and answered.json()["result"] == "minor_nc"
    assert client.patch(f"/api/checklist-items/{item['id']}/", {"result": "nonsense"}, format="json").status_code == 400

    finding = client.post(
        "/api/findings/",
        {"audit": audit.pk, "checklist_item": item["id"], "kind": "minor_nc", "clause": "8.5",
         "process": machining.pk, "title": "Unsigned", "description": "D", "evidence": "E",
         "raise_nonconformity": True},
        format="json",
    )  # fmt: skip
    assert finding.status_code == 201, finding.json()
    body = finding.json()
    assert body["reference"] == f"{audit.reference}-F1" and body["nonconformity"]
    nc = audit.findings.get().nonconformity
    assert nc.origin == Origin.AUDIT_FINDING


def test_after_issue_an_api_correction_needs_a_reason(audit, auditor, machining):
    finding = services.finding_record(
        audit=audit, user=auditor, kind="observation", clause="8.5", process=machining, title="T", description="D",
        evidence="E",
    )  # fmt: skip
    item = services.checklist_add(audit=audit, user=auditor, question="Q?")
    services.checklist_answer(item=item, user=auditor, result="conforms")
    services.audit_report_save(audit=audit, user=auditor, summary="S", strengths="", conclusion="C")
    services.audit_issue_report(audit=audit, user=auditor)
    client = api(auditor)
    assert client.patch(f"/api/findings/{finding.pk}/", {"title": "New"}, format="json").status_code == 400
    fixed = client.patch(f"/api/findings/{finding.pk}/", {"title": "New", "reason": "Typo"}, format="json")
    assert fixed.status_code == 200 and fixed.json()["title"] == "New"
    audit.refresh_from_db()
    assert audit.status == AuditStatus.REPORTED


def test_the_api_root_lists_the_audit_endpoints(quality):
    root = api(quality).get("/api/").json()
    assert {"audit-programmes", "audits", "checklist-items", "findings"} <= set(root)


@pytest.mark.parametrize("stands", ["issued", "closed", "cancelled"])
def test_an_audit_that_stands_as_issued_or_closed_refuses_every_change_with_its_reason(
    stands, audit, auditor, quality, outsider
):
    changes = {"issued_at": timezone.now(), "issued_by": auditor} if stands == "issued" else {"status": stands}
    Audit.objects.filter(pk=audit.pk).update(**changes)
    audit.refresh_from_db()
    assert audit.frozen_reason() == "The report is issued: the audit stands as issued."
    for person in (auditor, quality):  # the lead auditor and a quality manager alike
        refused = api(person).patch(f"/api/audits/{audit.pk}/", {"title": "Later"}, format="json")
        assert refused.status_code == 400 and refused.json()["non_field_errors"] == [
            "The report is issued: the audit stands as issued."
        ]
    assert api(outsider).patch(f"/api/audits/{audit.pk}/", {"title": "Later"}, format="json").status_code == 403
    audit.refresh_from_db()
    assert audit.title != "Later"


def test_an_audit_being_planned_has_no_reason_to_stand(audit):
    assert audit.frozen_reason() == ""
