"""E-mails about management reviews that scheduled tasks send: the reminder before a review (with
its calendar invitation) and the reminder to owners of review outputs nearing their due date.

Each is sent once: a task claims it by inserting its Notification stamp in the same transaction
that queues the message (qms.services.notification_mail), so a second run queues nothing, and the
outbox sends what was queued however often the mail server fails.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import Process
from qms.choices import Role
from qms.models import Action, User
from qms.services import notification_mail

from .choices import ReviewStatus
from .ics import review_invitation
from .models import ManagementReview, ReviewAttendance, ReviewDecision
from .selectors import processes_to_comment

ICS_TYPE = "text/calendar; method=REQUEST"


# Before the review
# ------------------------------------------------------------------------------


def review_preparers(review: ManagementReview) -> dict[int, tuple[User, list[Process]]]:
    """Who prepares `review`, by id: the quality managers, and the owners of the processes whose
    commentary it still waits for (with those processes)."""
    preparers: dict[int, tuple[User, list[Process]]] = {
        person.pk: (person, []) for person in User.objects.filter(role=Role.QUALITY_MANAGER, is_active=True)
    }
    processes = processes_to_comment(review).select_related("owner").order_by("reference")
    for process in processes:
        preparers.setdefault(process.owner_id, (process.owner, []))[1].append(process)
    return preparers


def reviews_remind_upcoming(*, today: date | None = None) -> int:
    """E-mail the attendees and preparers of each planned or prepared review within
    REVIEW_REMINDER_DAYS, with its calendar invitation attached: once per review, person and
    version of the invitation (a review moved or relocated after the reminder is sent again, as an
    update of the same invitation). Returns how many were queued."""
    today = today or timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    end = timezone.make_aware(datetime.combine(today + timedelta(days=settings.REVIEW_REMINDER_DAYS + 1), time.min))
    reviews = (
        ManagementReview.objects.filter(
            status__in=[ReviewStatus.PLANNED, ReviewStatus.PREPARED], planned_at__gte=start, planned_at__lt=end
        )
        .select_related("owner")
        .prefetch_related(Prefetch("attendance", ReviewAttendance.objects.select_related("person")))
    )
    sent = 0
    for review in reviews.in_batches(100):
        attendees = {a.person_id: a.person for a in review.attendance.all()}
        attendees.setdefault(review.owner_id, review.owner)
        preparers = review_preparers(review)
        for pk in attendees.keys() | preparers.keys():
            person = attendees.get(pk) or preparers[pk][0]
            if not (person.is_active and person.email):
                continue
            context = {
                "review": review,
                "person": person,
                "attends": pk in attendees,
                "prepares": pk in preparers,
                "processes": preparers.get(pk, (None, []))[1],
                "site_url": settings.SITE_URL,
            }
            subject = _("Management review %(ref)s on %(day)s: %(title)s") % {
                "ref": review.reference,
                "day": timezone.localtime(review.planned_at).date().isoformat(),
                "title": review.title,
            }
            sent += notification_mail(
                kind="review_upcoming",
                record=review,
                key=f"{review.calendar_sequence}:{person.pk}",
                recipient=person,
                subject=subject,
                body=render_to_string("emails/review_upcoming.txt", context),
                attachments=[("invitation.ics", review_invitation(review, person).decode(), ICS_TYPE)],
            )
    return sent


# After the review
# ------------------------------------------------------------------------------


def review_outputs_remind_due(*, today: date | None = None) -> int:
    """E-mail the owner of each action a review decided that is still open and due within
    REVIEW_REMINDER_DAYS (not yet overdue: overdue actions have their own reminder), once per
    action and due date. Returns how many were queued."""
    today = today or timezone.localdate()
    decided = ReviewDecision.objects.filter(action=OuterRef("pk"))
    soon = today + timedelta(days=settings.REVIEW_REMINDER_DAYS)
    actions = (
        Action.objects.active()
        .filter(Exists(decided), due_date__gte=today, due_date__lte=soon)
        .exclude(owner__email="")
        .select_related("owner", "review_decision__review")
    )
    sent = 0
    for action in actions.in_batches(500):
        if not action.owner.is_active:
            continue
        context = {
            "action": action,
            "review": action.review_decision.review,
            "person": action.owner,
            "site_url": settings.SITE_URL,
        }
        subject = _("Due on %(day)s: %(ref)s %(title)s") % {
            "day": action.due_date.isoformat(),
            "ref": action.reference,
            "title": action.title,
        }
        sent += notification_mail(
            kind="review_output_due",
            record=action,
            key=action.due_date.isoformat(),
            recipient=action.owner,
            subject=subject,
            body=render_to_string("emails/review_output_due.txt", context),
        )
    return sent
