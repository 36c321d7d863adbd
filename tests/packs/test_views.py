"""Pages and API of evidence packs, and the PDFs of one audit report and one nonconformity: who may
request, see and download, what a download is, and what the pages cost in queries."""

import hashlib
from datetime import date

import pytest
from django.db.models import Q
from django.urls import reverse

from audits.models import Audit
from packs.choices import PackStatus
from packs.models import EvidencePack
from qms.models.records import NOTHING
from tests.api import api
from tests.packs.conftest import TODAY, needs_poppler, pdf_text, rendered, scope_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_pack(world, auditor):
    return rendered(scope_pack(auditor, audit=world.audit, period_from=None, period_to=None))


def only_the_team_views_audits(monkeypatch):
    """Narrow the audit rule (as an organisation might) to prove packs follow it."""
    original = Audit.permission_scope.__func__

    def narrowed(cls, user, action):
        if user.is_authenticated and user.administers_qms:
            return original(cls, user, action)
        return Q(owner=user) | Q(team=user) if user.is_authenticated else NOTHING

    monkeypatch.setattr(Audit, "permission_scope", classmethod(narrowed))


# Requesting
# ------------------------------------------------------------------------------


ROLES = [("auditor", True), ("quality", True), ("owner", False), ("viewer", False), ("outsider", False)]


@pytest.mark.parametrize(("who", "allowed"), ROLES)
def test_auditors_and_quality_managers_request_packs(request, client_for, who, allowed):
    person = request.getfixturevalue(who)
    assert client_for(person).get(reverse("packs:evidencepack_add")).status_code == (200 if allowed else 403)
    scope = {"period_from": "2026-01-01", "period_to": "2026-02-01"}
    assert api(person).post("/api/packs/", scope, format="json").status_code == (202 if allowed else 403)


def test_the_request_form_queues_a_scope_pack_and_shows_its_page(world, auditor, client_for):
    client = client_for(auditor)
    scope = {"processes": [world.process.pk], "clauses": ["4.4", "6.1"]}
    response = client.post(
        reverse("packs:evidencepack_add"), {**scope, "period_from": "2026-01-01", "period_to": "2026-06-30"}
    )
    pack = EvidencePack.objects.get()
    assert response.status_code == 302 and response.url == pack.get_absolute_url()
    assert pack.clauses == ["4.4", "6.1"] and list(pack.processes.all()) == [world.process]
    assert pack.requested_by == auditor and pack.status == PackStatus.QUEUED


@pytest.mark.parametrize(
    ("period_from", "period_to", "message"),
    [
        ("2026-06-30", "2026-01-01", b"cannot end before it starts"),
        ("0001-01-01", "9999-12-31", b"at most five years"),
    ],
)
def test_a_period_backwards_or_too_long_is_refused_and_nothing_is_lost(
    auditor, client_for, period_from, period_to, message
):
    response = client_for(auditor).post(
        reverse("packs:evidencepack_add"), {"clauses": ["4.4"], "period_from": period_from, "period_to": period_to}
    )
    assert response.status_code == 422 and message in response.content
    assert response.context["form"]["clauses"].value() == ["4.4"]
    assert not EvidencePack.objects.exists()


def test_an_audit_pack_takes_the_audits_scope_and_the_clauses_its_checklist_walked(world, auditor, client_for):
    world.audit.checklist.create(position=2, clause="6.1", process=world.process, question="Are risks treated?")
    url = reverse("packs:evidencepack_add") + f"?audit={world.audit.pk}"
    client = client_for(auditor)
    assert world.audit.reference.encode() in client.get(url).content
    client.post(url)
    pack = EvidencePack.objects.get()
    assert pack.audit == world.audit and pack.clauses == ["4.4", "6.1", "8.5"]
    assert list(pack.processes.all()) == [world.process] and pack.period_to == world.audit.planned_end


# Seeing and downloading
# ------------------------------------------------------------------------------


def test_the_download_is_the_stored_pdf_as_an_attachment(audit_pack, auditor, client_for):
    response = client_for(auditor).get(audit_pack.get_download_url())
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-pack-')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(body).hexdigest() == audit_pack.sha256 == response["ETag"].strip('"')


def test_the_requester_and_those_who_may_view_the_audit_download_it(
    audit_pack, world, auditor, outsider, viewer, client_for, monkeypatch
):
    assert client_for(viewer).get(audit_pack.get_download_url()).status_code == 200  # the product's rule: all read
    only_the_team_views_audits(monkeypatch)
    assert client_for(outsider).get(audit_pack.get_download_url()).status_code == 404
    assert client_for(outsider).get(audit_pack.get_absolute_url()).status_code == 404
    assert api(outsider).get(f"/api/packs/{audit_pack.pk}/download/").status_code == 404
    world.audit.team.add(outsider)
    assert client_for(outsider).get(audit_pack.get_download_url()).status_code == 200
    assert client_for(auditor).get(audit_pack.get_download_url()).status_code == 200  # the requester, always


def test_a_scope_pack_is_for_those_who_may_view_every_record(
    world, auditor, quality, outsider, client_for, monkeypatch
):
    pack = scope_pack(auditor)
    assert client_for(outsider).get(pack.get_absolute_url()).status_code == 200
    only_the_team_views_audits(monkeypatch)
    assert client_for(outsider).get(pack.get_absolute_url()).status_code == 404
    assert client_for(quality).get(pack.get_absolute_url()).status_code == 200
    assert client_for(auditor).get(pack.get_absolute_url()).status_code == 200


def test_signed_out_people_see_nothing(audit_pack, client):
    assert client.get(audit_pack.get_download_url()).status_code == 302
    assert api().get("/api/packs/").status_code in (401, 403)


def test_a_pack_not_made_yet_is_polled_and_not_downloadable(world, auditor, client_for):
    pack = scope_pack(auditor)
    client = client_for(auditor)
    page = client.get(pack.get_absolute_url())
    assert b'hx-trigger="every 2s"' in page.content and b"Download the PDF" not in page.content
    fragment = client.get(pack.get_absolute_url(), headers={"HX-Request": "true"})
    assert fragment.content.strip().startswith(b'<section class="card shadow-sm" id="pack-status"')
    assert client.get(pack.get_download_url()).status_code == 404
    rendered(pack)
    done = client.get(pack.get_absolute_url(), headers={"HX-Request": "true"}).content
    assert b"every 2s" not in done and pack.sha256.encode() in done and b"Download the PDF" in done


def test_the_list_shows_packs_with_status_size_and_hash(audit_pack, world, auditor, quality, client_for):
    page = client_for(auditor).get(reverse("packs:evidencepack_list")).content.decode()
    assert audit_pack.reference in page and audit_pack.sha256[:12] in page and audit_pack.get_download_url() in page
    other = scope_pack(quality)
    mine = client_for(auditor).get(reverse("packs:evidencepack_list") + "?mine=me").content.decode()
    assert audit_pack.reference in mine and other.reference not in mine


def test_the_list_costs_the_same_queries_at_two_sizes(
    world, auditor, quality, client_for, django_assert_max_num_queries
):
    client = client_for(auditor)
    for _n in range(2):
        scope_pack(auditor)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("packs:evidencepack_list")).status_code == 200
    for _n in range(20):
        scope_pack(quality, audit=world.audit, period_from=None, period_to=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("packs:evidencepack_list")).status_code == 200


# API
# ------------------------------------------------------------------------------


def test_the_api_requests_polls_and_downloads_a_pack(world, auditor, django_capture_on_commit_callbacks):
    client = api(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/packs/", {"audit": world.audit.pk}, format="json")
    assert response.status_code == 202 and response.data["status"] == PackStatus.QUEUED
    polled = client.get(f"/api/packs/{response.data['id']}/").data
    assert polled["status"] == PackStatus.DONE and polled["progress"] == 100 and len(polled["sha256"]) == 64
    download = client.get(polled["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == polled["sha256"]
    assert "packs" in client.get("/api/").data


def test_the_api_refuses_an_unclear_request(auditor, world):
    client = api(auditor)
    assert client.post("/api/packs/", {}, format="json").status_code == 400
    both = {"audit": world.audit.pk, "clauses": ["4.4"]}
    assert client.post("/api/packs/", both, format="json").status_code == 400
    backwards = {"period_from": "2026-06-30", "period_to": "2026-01-01"}
    assert "period_to" in client.post("/api/packs/", backwards, format="json").data


# One audit report, one nonconformity
# ------------------------------------------------------------------------------


@needs_poppler
def test_the_audit_report_pdf_has_summary_findings_by_clause_and_conclusion(world, viewer, client_for, tmp_path):
    response = client_for(viewer).get(reverse("packs:audit_report_pdf", args=[world.audit.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = pdf_text(path)
    for expected in (
        "Internal audit report", world.audit.reference, "Summary", "The machining process runs to plan.",
        "Strengths", "Clause 8.5", "Gauge overdue", "Conclusion", "Draft: this report has not been issued.",
    ):  # fmt: skip
        assert expected in text
    assert text.index("Summary") < text.index("Clause 8.5") < text.index("Conclusion")


@needs_poppler
def test_the_nonconformity_pdf_shows_its_root_cause_and_corrective_actions(world, viewer, client_for, tmp_path):
    world.nonconformity.root_cause = "The recall list missed gauges on loan."
    world.nonconformity.save()
    response = client_for(viewer).get(reverse("packs:nonconformity_pdf", args=[world.nonconformity.pk]))
    path = tmp_path / "nc.pdf"
    path.write_bytes(response.content)
    text = pdf_text(path)
    assert world.nonconformity.reference in text and "The recall list missed gauges on loan." in text
    assert world.corrective.reference in text and "Corrective actions" in text


def test_single_record_pdfs_follow_the_records_rule(world, outsider, client_for, monkeypatch):
    only_the_team_views_audits(monkeypatch)
    assert client_for(outsider).get(reverse("packs:audit_report_pdf", args=[world.audit.pk])).status_code == 404
    assert client_for(outsider).get(reverse("packs:nonconformity_pdf", args=[999999])).status_code == 404


def test_today_is_within_the_default_period(auditor, client_for):
    form = client_for(auditor).get(reverse("packs:evidencepack_add")).context["form"]
    assert form["period_from"].initial == date(TODAY.year, 1, 1) and form["period_to"].initial == TODAY
