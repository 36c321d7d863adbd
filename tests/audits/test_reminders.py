"""Reminders go once: to the team and auditees before an audit, to the lead auditor when its report
is overdue."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audits import tasks
from audits.choices import AuditStatus
from qms.models import Notification
from tests.factories import AuditFactory, AuditProgrammeFactory

pytestmark = pytest.mark.django_db


def test_team_and_auditees_are_reminded_once_before_the_audit(audit, settings):
    settings.AUDIT_REMINDER_DAYS = 7
    today = timezone.localdate()
    audit.planned_start, audit.planned_end = today + timedelta(days=5), today + timedelta(days=6)
    audit.programme.year = today.year
    audit.save()
    late = AuditFactory(programme=audit.programme, planned_start=today + timedelta(days=20),
                        planned_end=today + timedelta(days=21))  # fmt: skip

    assert tasks.send_audit_reminders.delay().get() == {"upcoming": 3, "report_overdue": 0}
    to = sorted(address for message in mail.outbox for address in message.to)
    people = [audit.owner, audit.team.get(), audit.auditees.get()]
    assert to == sorted(person.email for person in people)
    assert audit.reference in mail.outbox[0].subject and audit.get_absolute_url() in mail.outbox[0].body
    assert late.reference not in " ".join(message.subject for message in mail.outbox)

    assert tasks.send_audit_reminders.delay().get() == {"upcoming": 0, "report_overdue": 0}
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(kind="audit_upcoming").count() == 3


def test_the_lead_auditor_is_reminded_once_of_an_overdue_report(auditor):
    today = timezone.localdate()
    programme = AuditProgrammeFactory(year=(today - timedelta(days=10)).year)
    overdue = AuditFactory(programme=programme, owner=auditor, status=AuditStatus.IN_PROGRESS,
                           planned_start=today - timedelta(days=10), planned_end=today - timedelta(days=9))  # fmt: skip
    AuditFactory(programme=programme, status=AuditStatus.REPORTED, planned_start=overdue.planned_start,
                 planned_end=overdue.planned_end)  # fmt: skip

    assert tasks.send_audit_reminders.delay().get() == {"upcoming": 0, "report_overdue": 1}
    assert mail.outbox[0].to == [auditor.email] and "Report overdue" in mail.outbox[0].subject
    assert tasks.send_audit_reminders.delay().get() == {"upcoming": 0, "report_overdue": 0}
    assert len(mail.outbox) == 1


def test_the_schedule_runs_the_reminders(settings):
    assert settings.CELERY_BEAT_SCHEDULE["audit-reminders"]["task"] == "audits.tasks.send_audit_reminders"
