"""Scheduled and queued work of management review. Each task takes ids, calls a service and is safe
to run again: what was sent or stored before is not sent or stored twice (acks_late and time limits
come from the Celery settings)."""

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from . import minutes, reminders


@shared_task
def send_review_reminders() -> dict[str, int]:
    """Remind attendees and preparers before a review (with the invitation), and owners of review
    outputs nearing their due date; each once."""
    return {
        "upcoming": reminders.reviews_remind_upcoming(),
        "outputs_due": reminders.review_outputs_remind_due(),
    }


@shared_task(soft_time_limit=5 * 60, time_limit=6 * 60)
def issue_minutes(review_id: int) -> dict[str, int]:
    """After the minutes are issued: make their PDF once, then e-mail it to each attendee once."""
    made = minutes.make_minutes_pdf(review_id)
    return {"pdf_made": int(made), "sent": minutes.send_minutes(review_id)}


@shared_task
def resume_minutes() -> int:
    """Queue the minutes of reviews issued without their PDF stored or e-mails all sent (a worker
    lost, a mail server down); a run that finds nothing to do changes nothing."""
    pending = minutes.reviews_needing_minutes()
    for review_id in pending:
        issue_minutes.delay(review_id)
    return len(pending)


def queue_minutes(review_id: int) -> None:
    """Queue the minutes' PDF and e-mails once the transaction that issued them commits."""
    transaction.on_commit(lambda: issue_minutes.delay(review_id))


@shared_task
def refresh_live_pack(review_id: int) -> bool:
    """Compile a review's live pack for the next view of its page (see reviews.pack.live_pack).
    A review gone or already frozen has nothing to refresh."""
    from .models import ManagementReview
    from .pack import store_live_pack

    review = ManagementReview.objects.filter(pk=review_id).first()
    if review is None or review.is_pack_frozen:
        return False
    store_live_pack(review)
    return True


def queue_live_pack(review_id: int) -> None:
    """Ask a worker for a fresh live pack, at most once a minute per review, however many people
    view it meanwhile."""
    from .pack import LIVE_PACK_SECONDS

    if cache.add(f"review-pack-queued:{review_id}", True, LIVE_PACK_SECONDS):
        refresh_live_pack.delay(review_id)
