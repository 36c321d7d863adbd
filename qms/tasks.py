from celery import shared_task

from . import outbox, retention, services


@shared_task
def notify_overdue_actions() -> int:
    return services.actions_notify_overdue()


@shared_task(soft_time_limit=4 * 60, time_limit=5 * 60)
def send_outbox() -> int:
    """Send the queued e-mail that is due (qms.outbox): queued after each commit that adds mail,
    and every minute by beat for what a lost trigger or worker left."""
    return outbox.outbox_send_due()


@shared_task(soft_time_limit=50 * 60, time_limit=55 * 60)
def archive_old_records() -> int:
    """Archive what is older than RETENTION_ARCHIVE_AFTER_YEARS (nothing when unset); a run cut
    short by its time limit loses nothing, and the next one goes on."""
    return retention.records_archive().total
