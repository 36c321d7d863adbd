"""The issued audit report is fixed evidence: rendered once when the lead auditor issues it, stored
with its SHA-256 (which the audit's history records), and served byte for byte ever after; a
correction after issue issues a new version and the earlier one stays readable."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.choices import AuditStatus
from audits.models import Audit, IssuedReport
from packs import services
from packs.render import RenderedPDF
from packs.tasks import resume_stalled_packs, store_audit_report
from qms.history import record_history
from tests.packs.test_views import only_the_team_views_audits

pytestmark = pytest.mark.django_db


def issue(audit, user, capture, *, render=True) -> IssuedReport:
    """Issue the world's audit through the service; its task runs when the issue commits."""
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.IN_PROGRESS)
    audit.refresh_from_db()
    with capture(execute=render):
        audit_services.audit_issue_report(audit=audit, user=user)
    return audit.issued_reports.get()


@pytest.fixture
def issued(world, auditor, django_capture_on_commit_callbacks) -> IssuedReport:
    return issue(world.audit, auditor, django_capture_on_commit_callbacks)


def download(client, report: IssuedReport, latest: bool = False) -> bytes:
    url = (
        reverse("packs:audit_report_pdf", args=[report.audit_id])
        if latest
        else reverse("packs:audit_report_version", args=[report.audit_id, report.version])
    )
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)


def test_issuing_stores_the_pdf_once_with_its_hash_in_the_audit_s_history(issued, auditor):
    assert issued.version == 1 and issued.issued_by == auditor
    content = issued.file.read()
    assert content.startswith(b"%PDF") and issued.size == len(content) and issued.page_count >= 1
    assert issued.sha256 == hashlib.sha256(content).hexdigest()
    assert issued.file.name.startswith("audit-reports/") and issued.file.name.endswith(".pdf")

    entries = [e for e in record_history(issued.audit) if e.part]
    stored = next(e for e in entries if issued.sha256 in e.reason)
    assert stored.user is None and stored.verb == "stored"
    assert any(change.new == issued.sha256 for change in stored.changes)
    assert any(e.verb == "issued" and e.user == auditor for e in entries)


def test_downloads_are_the_stored_bytes_even_after_the_records_change(issued, world, viewer, client_for):
    client = client_for(viewer)
    first = download(client, issued, latest=True)
    assert hashlib.sha256(first).hexdigest() == issued.sha256

    # Changes that go around the services (as the demo or an import might) do not touch it either.
    Audit.objects.filter(pk=world.audit.pk).update(summary="Rewritten after the fact.", status=AuditStatus.CLOSED)
    world.finding.title = "Renamed finding"
    world.finding.save()
    assert download(client, issued, latest=True) == first
    assert download(client, issued) == first


def test_the_task_is_idempotent(issued, monkeypatch):
    made = (issued.file.name, issued.sha256, issued.stored_at, issued.history.count())

    def no_second_render(*args, **kwargs):
        raise AssertionError("a stored report is never rendered again")

    monkeypatch.setattr(services, "audit_report_pdf", no_second_render)
    assert store_audit_report(issued.pk) == issued.sha256
    issued.refresh_from_db()
    assert (issued.file.name, issued.sha256, issued.stored_at, issued.history.count()) == made


def test_a_run_that_finds_the_report_stored_meanwhile_keeps_the_first(
    world, auditor, django_capture_on_commit_callbacks, monkeypatch
):
    report = issue(world.audit, auditor, django_capture_on_commit_callbacks, render=False)
    original = services.audit_report_pdf

    def another_worker_finishes_first(audit, *, report):
        monkeypatch.setattr(services, "audit_report_pdf", original)
        services.audit_report_store(report.pk)
        return RenderedPDF(content=b"%PDF-1.7 a second rendering", pages=1)

    monkeypatch.setattr(services, "audit_report_pdf", another_worker_finishes_first)
    store_audit_report(report.pk)
    report.refresh_from_db()
    assert report.sha256 == hashlib.sha256(report.file.read()).hexdigest()
    assert report.size > 100 and report.history.count() == 2  # issued, stored once


def test_a_correction_after_issue_issues_a_new_version_and_keeps_the_first(
    issued, world, auditor, viewer, client_for, django_capture_on_commit_callbacks
):
    client = client_for(viewer)
    first = download(client, issued)
    with django_capture_on_commit_callbacks(execute=True):
        audit_services.finding_correct(
            finding=world.finding, user=auditor, reason="The gauge number was wrong", title="Gauge G-15 overdue"
        )
    second = world.audit.issued_reports.get(version=2)
    assert second.is_stored and second.sha256 != issued.sha256
    assert "The gauge number was wrong" in second.reason and second.issued_by == auditor
    assert download(client, second, latest=True) == second.file.open("rb").read()
    assert download(client, issued) == first  # the earlier version stays readable, unchanged

    # A correction that changes nothing issues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        audit_services.finding_correct(finding=world.finding, user=auditor, reason="Checked again")
    assert world.audit.issued_reports.count() == 2


def test_while_it_is_rendered_the_page_says_so_instead_of_a_broken_link(
    world, auditor, viewer, client_for, django_capture_on_commit_callbacks
):
    report = issue(world.audit, auditor, django_capture_on_commit_callbacks, render=False)
    client = client_for(viewer)
    page = client.get(world.audit.get_absolute_url()).content.decode()
    assert "Report PDF being prepared" in page and report.get_download_url() not in page
    assert client.get(reverse("packs:audit_report_pdf", args=[world.audit.pk])).status_code == 404
    assert client.get(report.get_download_url()).status_code == 404

    store_audit_report(report.pk)
    page = client.get(world.audit.get_absolute_url()).content.decode()
    report.refresh_from_db()
    assert "being prepared" not in page and report.get_download_url() in page and report.sha256 in page


def test_whoever_may_view_the_audit_downloads_it_others_get_404(
    issued, auditor, outsider, viewer, client_for, monkeypatch
):
    urls = [reverse("packs:audit_report_pdf", args=[issued.audit_id]), issued.get_download_url()]
    # Today everyone signed in reads audits (Audit.permission_scope), viewers included.
    assert all(client_for(viewer).get(url).status_code == 200 for url in urls)
    assert all(client_for(outsider).get(url).status_code == 200 for url in urls)
    assert all(Client().get(url).status_code == 302 for url in urls)  # to the sign-in page

    only_the_team_views_audits(monkeypatch)  # the rule narrowed: the report follows it
    assert all(client_for(outsider).get(url).status_code == 404 for url in urls)
    assert all(client_for(auditor).get(url).status_code == 200 for url in urls)


def test_reports_whose_task_was_lost_are_stored_by_the_resume_task(world, auditor, django_capture_on_commit_callbacks):
    report = issue(world.audit, auditor, django_capture_on_commit_callbacks, render=False)
    assert resume_stalled_packs() == 0  # issued just now: its own task is on its way
    IssuedReport.objects.filter(pk=report.pk).update(issued_at=timezone.now() - timedelta(hours=2))
    assert resume_stalled_packs() == 1
    report.refresh_from_db()
    assert report.is_stored
    assert resume_stalled_packs() == 0
