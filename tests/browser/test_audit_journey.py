"""An audit in a real browser: an auditor plans it from the programme (the team picker leaves out
the process owner, with the reason), works the checklist in place on a tablet, records a finding
with a photo that raises a nonconformity, issues the report and downloads the audit's evidence pack
with the photo inside."""

import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits.choices import AuditStatus
from audits.models import Audit
from nonconformities.choices import Origin
from processes.models import ProcessInput
from qms.choices import Role
from qms.models import Attachment
from tests import files
from tests.factories import AuditProgrammeFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.browser


def test_an_auditor_plans_works_the_checklist_on_a_tablet_records_a_finding_issues_the_report_and_downloads_the_pack(
    page, sign_in, pick, tmp_path
):
    sofia = UserFactory(username="sofia", first_name="Sofia", last_name="Lindqvist", role=Role.AUDITOR)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role=Role.PROCESS_OWNER)
    UserFactory(username="hannah", first_name="Hannah", last_name="Schmidt", role=Role.AUDITOR)
    production = ProcessFactory(name="Production", owner=marco)
    ProcessInput.objects.create(process=production, name="Aluminium bar", supplier="Metals Ltd")
    year = timezone.localdate().year
    AuditProgrammeFactory(year=year, title=f"Internal audit programme {year}")
    photo = tmp_path / "torque-wrench.png"
    photo.write_bytes(files.noisy_png())
    sign_in("sofia")

    # Plan it from the programme.
    page.locator(".app-nav").get_by_role("link", name="Audits").click()
    page.get_by_role("link", name=str(year), exact=True).click()
    page.get_by_role("link", name="Plan an audit").click()
    page.fill("#id_title", "Production floor")
    pick("#id_processes", production.name)
    # Choosing the process redraws the form: its owner cannot audit it, and the picker says why.
    marco_option = page.locator("#id_team option", has_text="Marco Rossi")
    expect(marco_option).to_contain_text(f"owns {production.reference}")
    expect(marco_option).to_be_disabled()
    expect(page.locator("#id_title")).to_have_value("Production floor")
    page.select_option("#id_team", label="Hannah Schmidt")
    page.select_option("#id_auditees", label="Marco Rossi")
    page.select_option("#id_clauses", "9.2")
    page.fill("#id_planned_start", f"{year}-12-01")
    page.fill("#id_planned_end", f"{year}-12-02")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Production floor")
    audit = Audit.objects.get()

    # On a tablet: build the checklist and answer it row by row, in place.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.get_by_role("button", name="Build the checklist").click()
    rows = page.locator(".checklist-row")
    expect(rows).to_have_count(2)
    bar_row = rows.filter(has_text="Aluminium bar")
    bar_row.get_by_role("link", name="Answer").click()
    bar_row.get_by_text("Minor nonconformity", exact=True).click()
    bar_row.get_by_label("Notes and evidence seen").fill("Two bars without a heat number")
    bar_row.get_by_role("button", name="Save").click()
    expect(bar_row).to_contain_text("Two bars without a heat number")
    other = rows.filter(has_not_text="Aluminium bar")
    other.get_by_role("link", name="Answer").click()
    other.get_by_text("Not audited", exact=True).click()
    other.get_by_role("button", name="Save").click()
    expect(other).to_contain_text("Not audited")

    # A finding from the row, which raises a nonconformity at once, with a photo as evidence.
    bar_row.get_by_role("link", name="Finding").click()
    expect(page.locator("#id_kind")).to_have_value("minor_nc")
    expect(page.locator("#id_evidence")).to_have_value("Two bars without a heat number")
    page.fill("#id_title", "Bar stock without heat numbers")
    page.fill("#id_description", "Two bars in the saw rack could not be traced to a certificate.")
    expect(page.locator("#id_raise_nonconformity")).to_be_checked()
    page.get_by_role("button", name="Record").click()
    expect(page.locator("h1")).to_have_text("Bar stock without heat numbers")
    finding = audit.findings.get()
    assert finding.nonconformity.origin == Origin.AUDIT_FINDING
    expect(page.locator("main")).to_contain_text(finding.nonconformity.reference)

    section = page.locator("section.evidence")
    section.get_by_label("Files").set_input_files(photo)
    section.get_by_label("Description").fill("Saw rack, bar without heat number")
    section.get_by_role("button", name="Upload").click()
    expect(page.locator("section.evidence")).to_contain_text("Attached “torque-wrench.png”.", timeout=20_000)
    assert Attachment.objects.of(finding).count() == 1

    # The report, issued after asking.
    page.get_by_role("link", name=audit.reference).first.click()
    page.fill("#id_summary", "Production works to its instructions; traceability of bar stock has a gap.")
    page.fill("#id_conclusion", "Effective, with one minor nonconformity.")
    page.get_by_role("button", name="Save the report").click()
    page.get_by_role("link", name="Issue the report").click()
    dialog = page.locator("#dialog-content")
    expect(dialog).to_contain_text("Its findings then stand as issued")
    dialog.get_by_role("button", name="Issue the report").click()
    expect(page.locator("#record-status")).to_contain_text("Reported")
    expect(page.get_by_role("button", name="Build the checklist")).to_have_count(0)
    audit.refresh_from_db()
    assert (audit.status, audit.issued_by) == (AuditStatus.REPORTED, sofia)

    # The audit's evidence pack: made while its page shows how far it has come, then downloaded.
    page.get_by_role("link", name="Evidence pack", exact=True).click()
    expect(page.locator("main")).to_contain_text(audit.reference)
    page.get_by_role("button", name="Make the pack").click()
    download_link = page.locator("a", has_text="Download the PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as started:
        download_link.click()
    pdf = tmp_path / "pack.pdf"
    started.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert audit.reference in text and "Bar stock without heat numbers" in text and "9.2 Internal audit" in text
    embedded = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "torque-wrench.png" in embedded
