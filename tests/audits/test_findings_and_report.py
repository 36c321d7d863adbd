"""Findings raise nonconformities and improvement actions; the lead auditor issues the report, after
which findings stand as issued and a correction needs a reason."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audits import services
from audits.choices import AuditStatus, FindingKind, Result
from audits.models import Audit
from nonconformities.choices import Origin, Severity
from qms.choices import ActionKind
from qms.models import Action
from qms.services import attachment_add, attachment_remove
from tests import files
from tests.api import api
from tests.factories import FindingFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def finding_data(process, **changes):
    return {"kind": FindingKind.MAJOR_NC, "clause": "7.1", "process": process.pk, "title": "Wrench out of date",
            "description": "TW-04 past its date.", "evidence": "Label seen on the line.", **changes}  # fmt: skip


def test_a_nonconformity_finding_raises_its_nonconformity_at_once(audit, auditor, machining, owner, client_for):
    item = services.checklist_add(audit=audit, user=auditor, question="Calibrated?")
    response = client_for(auditor).post(
        f"{reverse('audits:finding_add', args=[audit.pk])}?item={item.pk}",
        {**finding_data(machining), "checklist_item": item.pk, "raise_nonconformity": "on"},
    )
    assert response.status_code == 302
    finding = audit.findings.get()
    nc = finding.nonconformity
    assert (nc.origin, nc.severity, nc.owner, nc.source) == (Origin.AUDIT_FINDING, Severity.MAJOR, owner, finding)
    assert list(nc.processes.all()) == [machining]
    assert finding.checklist_item == item and finding.reference == f"{audit.reference}-F1"
    assert nc.history.latest().history_user == auditor


def test_a_finding_from_a_checklist_row_starts_from_its_result(audit, auditor, client_for):
    item = services.checklist_add(audit=audit, user=auditor, question="Calibrated?", clause="7.1")
    services.checklist_answer(item=item, user=auditor, result=Result.MINOR_NC, notes="TW-04 out of date")
    page = client_for(auditor).get(f"{reverse('audits:finding_add', args=[audit.pk])}?item={item.pk}")
    assert 'value="minor_nc" selected' in page.text and "TW-04 out of date" in page.text


def test_the_nonconformity_is_raised_later_with_a_button_and_only_once(audit, auditor, client_for):
    finding = FindingFactory(audit=audit)
    client = client_for(auditor)
    url = reverse("audits:finding_raise", args=[finding.pk, "nonconformity"])
    assert url in client.get(finding.get_absolute_url()).text
    assert client.get(url).status_code == 200  # asks first
    client.post(url, {"reason": ""})
    finding.refresh_from_db()
    assert finding.nonconformity.severity == Severity.MINOR
    with pytest.raises(ValidationError):
        services.finding_raise_nonconformity(finding=finding, user=auditor)
    assert url not in client.get(finding.get_absolute_url()).text


def test_an_opportunity_raises_an_improvement_action_for_the_process_owner(audit, auditor, owner, machining):
    finding = FindingFactory(audit=audit, kind=FindingKind.OFI, process=machining)
    action = services.finding_raise_action(finding=finding, user=auditor)
    assert (action.kind, action.owner, action.source) == (ActionKind.IMPROVEMENT, owner, finding)
    assert Action.objects.raised_by(finding).get() == action
    with pytest.raises(ValidationError):
        services.finding_raise_nonconformity(finding=finding, user=auditor)


@pytest.mark.parametrize("end", [AuditStatus.CLOSED, AuditStatus.CANCELLED])
def test_findings_of_a_closed_audit_raise_nothing(audit, auditor, machining, end):
    major = FindingFactory(audit=audit, kind=FindingKind.MAJOR_NC, process=machining)
    ofi = FindingFactory(audit=audit, kind=FindingKind.OFI, process=machining)
    Audit.objects.filter(pk=audit.pk).update(status=end)
    client = api(auditor)
    assert client.post(f"/api/findings/{major.pk}/raise-nonconformity/").status_code == 403
    assert client.post(f"/api/findings/{ofi.pk}/raise-action/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.finding_raise_nonconformity(finding=major, user=auditor)
    with pytest.raises(PermissionDenied):
        services.finding_raise_action(finding=ofi, user=auditor)
    major.refresh_from_db(), ofi.refresh_from_db()
    assert major.nonconformity is None and ofi.action is None


def ready_to_issue(audit, user):
    if not audit.checklist.exists():
        services.checklist_add(audit=audit, user=user, question="Are gauges labelled?")
    for item in audit.checklist.all():
        services.checklist_answer(item=item, user=user, result=Result.NOT_AUDITED)
    services.audit_report_save(audit=audit, user=user, summary="Sound.", strengths="Tidy.", conclusion="Effective.")


def test_the_report_is_issued_only_when_the_checklist_is_done_and_written(audit, auditor, client_for):
    services.checklist_build(audit=audit, user=auditor)
    services.audit_move(audit=audit, user=auditor, status=AuditStatus.PREPARED)
    with pytest.raises(ValidationError) as refused:
        services.audit_issue_report(audit=audit, user=auditor)
    assert "have no result" in str(refused.value) and "summary" in str(refused.value)
    ready_to_issue(audit, auditor)
    client = client_for(auditor)
    assert client.get(reverse("audits:audit_issue", args=[audit.pk])).status_code == 200
    client.post(reverse("audits:audit_issue", args=[audit.pk]), {"reason": ""})
    audit.refresh_from_db()
    assert (audit.status, audit.issued_by) == (AuditStatus.REPORTED, auditor)


def test_a_planned_audit_or_an_empty_checklist_issues_no_report(audit, auditor, client_for):
    services.audit_report_save(audit=audit, user=auditor, summary="Sound.", strengths="", conclusion="Effective.")
    assert audit.status == AuditStatus.PLANNED and not audit.user_can_issue(auditor)
    with pytest.raises(PermissionDenied):
        services.audit_issue_report(audit=audit, user=auditor)
    assert client_for(auditor).get(reverse("audits:audit_issue", args=[audit.pk])).status_code == 403
    services.audit_move(audit=audit, user=auditor, status=AuditStatus.PREPARED)
    services.audit_move(audit=audit, user=auditor, status=AuditStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as refused:
        services.audit_issue_report(audit=audit, user=auditor)
    assert "The checklist is empty" in str(refused.value)
    audit.refresh_from_db()
    assert not audit.is_issued


def test_only_the_lead_auditor_issues(audit, auditor, client_for):
    ready_to_issue(audit, auditor)
    teammate = audit.team.get()
    assert client_for(teammate).get(reverse("audits:audit_issue", args=[audit.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.audit_issue_report(audit=audit, user=teammate)


def test_after_issue_findings_are_frozen_and_corrected_only_with_a_reason(audit, auditor, client_for):
    finding = FindingFactory(audit=audit)
    attachment = attachment_add(record=finding, user=auditor, files=[files.upload("photo.png", files.noisy_png())])[0]
    ready_to_issue(audit, auditor)
    services.audit_issue_report(audit=audit, user=auditor)
    client = client_for(auditor)

    assert client.post(reverse("audits:finding_add", args=[audit.pk]), {}).status_code == 403
    edit = reverse("audits:finding_edit", args=[finding.pk])
    data = {"kind": finding.kind, "clause": "8.5", "process": finding.process_id, "title": "Corrected title",
            "description": finding.description, "evidence": finding.evidence}  # fmt: skip
    assert client.post(edit, data).status_code == 422  # no reason
    finding.refresh_from_db()
    assert finding.title != "Corrected title"
    assert client.post(edit, {**data, "reason": "Typo in the title"}).status_code == 302
    finding.refresh_from_db()
    latest = finding.history.latest()
    assert (finding.title, latest.history_change_reason) == ("Corrected title", "Typo in the title")
    with pytest.raises(PermissionDenied):
        attachment_remove(attachment=attachment, user=auditor, reason="Wrong photo")
    assert client.post(reverse("audits:audit_report", args=[audit.pk]), {"summary": "x"}).status_code == 403


def test_an_issued_audit_keeps_its_plan(audit, auditor, client_for):
    services.checklist_build(audit=audit, user=auditor)
    ready_to_issue(audit, auditor)
    services.audit_issue_report(audit=audit, user=auditor)
    client = client_for(auditor)
    edit = reverse("audits:audit_edit", args=[audit.pk])
    assert edit not in client.get(audit.get_absolute_url()).text
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"title": "Renamed after the report"}).status_code == 403
    audit.refresh_from_db()
    assert audit.title != "Renamed after the report"


def test_a_finding_carries_photos_as_evidence(audit, auditor, client_for):
    finding = FindingFactory(audit=audit)
    client = client_for(auditor)
    page = client.get(finding.get_absolute_url())
    assert "Evidence files" in page.text and "Upload" in page.text
    attachment_add(record=finding, user=auditor, files=[files.upload("floor.png", files.noisy_png())])
    assert "floor.png" in client.get(finding.get_absolute_url()).text


def test_a_finding_names_a_process_in_the_audit_s_scope(audit, auditor, machining, client_for):
    elsewhere = ProcessFactory(name="Shipping")
    page = client_for(auditor).get(reverse("audits:finding_add", args=[audit.pk]))
    assert "Machining" in page.text and "Shipping" not in page.text
    posted = client_for(auditor).post(reverse("audits:finding_add", args=[audit.pk]), finding_data(elsewhere))
    assert posted.status_code == 422
    data = {"audit": audit.pk, **finding_data(elsewhere)}
    assert api(auditor).post("/api/findings/", data, format="json").status_code == 400
    assert not audit.findings.exists()
    finding = FindingFactory(audit=audit, process=machining)
    moved = api(auditor).patch(f"/api/findings/{finding.pk}/", {"process": elsewhere.pk}, format="json")
    assert moved.status_code == 400
    assert api(auditor).patch(f"/api/findings/{finding.pk}/", {"title": "Kept"}, format="json").status_code == 200


def test_a_report_that_does_not_validate_comes_back_on_the_audit_page_with_422(audit, auditor, client_for):
    response = client_for(auditor).post(
        reverse("audits:audit_report", args=[audit.pk]), {"summary": "Seen\x00", "conclusion": "Kept"}
    )
    assert response.status_code == 422
    assert response.templates[0].name == "audits/audit_detail.html" and response.context["tab"] == "overview"
    form = response.context["report_form"]
    assert form.errors["summary"] and form["conclusion"].value() == "Kept"
    assert "Null characters are not allowed" in response.content.decode()
    audit.refresh_from_db()
    assert audit.summary == ""
