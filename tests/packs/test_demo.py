"""The demo's evidence pack: made from an audit's page as an auditor would, and finished."""

import hashlib
import subprocess

import pytest

from audits.models import Audit
from packs.choices import PackStatus
from packs.models import EvidencePack

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_finished_pack_of_an_issued_audit_with_its_photo_inside(demo, settings):
    settings.MEDIA_ROOT = demo
    pack = EvidencePack.objects.select_related("audit", "requested_by").get()

    assert pack.status == PackStatus.DONE and pack.requested_by.username == "auditor"
    assert pack.audit.is_issued and pack.page_count > 5
    text = subprocess.run(["pdftotext", pack.file.path, "-"], capture_output=True, text=True, check=True).stdout
    assert pack.audit.reference in text and "9.2 Internal audit" in text
    attached = subprocess.run(["pdfdetach", "-list", pack.file.path], capture_output=True, text=True, check=True)
    assert "1 embedded files" in attached.stdout and ".png" in attached.stdout


def test_every_report_the_demo_issued_is_stored_with_its_hash(demo, settings):
    settings.MEDIA_ROOT = demo
    issued = Audit.objects.filter(issued_at__isnull=False)
    assert issued.count() >= 5
    for audit in issued:
        report = audit.issued_reports.get()
        content = report.file.read()
        assert report.version == 1 and report.issued_at == audit.issued_at
        assert report.sha256 == hashlib.sha256(content).hexdigest() and content.startswith(b"%PDF")
