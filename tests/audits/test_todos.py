"""The dashboard's audit to-dos: the lead auditor's overdue reports, an auditee's findings to answer."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.choices import AuditStatus
from tests.factories import AuditFactory, FindingFactory

pytestmark = pytest.mark.django_db


def test_overdue_reports_and_findings_to_answer(client_for, auditor, owner):
    past = timezone.localdate() - timedelta(days=3)
    overdue = AuditFactory(owner=auditor, planned_start=past - timedelta(days=1), planned_end=past)
    AuditFactory(owner=auditor)  # ends in December: not overdue yet
    AuditFactory(owner=auditor, planned_start=date(2020, 1, 1), planned_end=date(2020, 1, 2), status=AuditStatus.CLOSED)
    overdue.auditees.add(owner)
    FindingFactory(audit=overdue)
    FindingFactory(audit=overdue)
    FindingFactory(audit=overdue, auditee_response="Fixed the check sheet.")

    lead_page = client_for(auditor).get(reverse("qms:dashboard")).content.decode()
    auditee_page = client_for(owner).get(reverse("qms:dashboard")).content.decode()

    assert "1 audit report is overdue" in lead_page
    assert "2 audit findings await your answer" in auditee_page and "audit report" not in auditee_page
