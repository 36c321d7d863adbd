from celery import shared_task

from . import services


@shared_task
def notify_overdue_actions() -> int:
    return services.actions_notify_overdue()
