from celery import shared_task

from . import services


@shared_task
def send_audit_reminders() -> dict[str, int]:
    """Remind teams and auditees of coming audits and lead auditors of overdue reports, each once."""
    return {
        "upcoming": services.audits_remind_upcoming(),
        "report_overdue": services.audits_remind_report_overdue(),
    }
