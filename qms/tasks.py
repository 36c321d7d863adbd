from celery import shared_task

from . import outbox, services


@shared_task
def notify_overdue_actions() -> int:
    return services.actions_notify_overdue()


@shared_task(soft_time_limit=4 * 60, time_limit=5 * 60)
def send_outbox() -> int:
    """Send the queued e-mail that is due (qms.outbox): queued after each commit that adds mail,
    and every minute by beat for what a lost trigger or worker left."""
    return outbox.outbox_send_due()
