from celery import shared_task

from . import services


@shared_task
def notify_risk_reviews_overdue() -> int:
    return services.risks_notify_review_overdue()
