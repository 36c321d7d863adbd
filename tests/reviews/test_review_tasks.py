"""The scheduled work of management review: reminders before a review (with the invitation),
reminders on review outputs, and the minutes PDF e-mailed once issued. Each runs twice here: the
second run sends and stores nothing."""

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from qms.choices import ActionStatus, Role
from qms.models import Notification, OutboxMessage
from qms.tasks import send_outbox
from reviews import tasks
from reviews.choices import ReviewStatus
from reviews.models import MinutesAddendum, ProcessCommentary
from tests.factories import ActionFactory, KPIFactory, ProcessFactory, UserFactory
from tests.mail import DOWN

from .factories import ManagementReviewFactory, ReviewDecisionFactory, issue

pytestmark = pytest.mark.django_db


def sent_to(messages=None) -> list[str]:
    return sorted(address for message in (messages or mail.outbox) for address in message.to)


def invitation_in(message):
    (ics,) = [content for name, content, _type in message.attachments if name.endswith(".ics")]
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    return event


@pytest.fixture
def soon(lead, owner, quality, settings):
    """A review in five days; the owner attends, the quality manager prepares, and two process
    owners have processes with KPIs: one has written their commentary, one has not."""
    settings.REVIEW_REMINDER_DAYS = 7
    review = ManagementReviewFactory(owner=lead, attendees=[lead, owner], planned_at=timezone.now() + timedelta(days=5))
    silent = ProcessFactory(owner=UserFactory(username="silent", role=Role.PROCESS_OWNER))
    written = ProcessFactory(owner=UserFactory(username="written", role=Role.PROCESS_OWNER))
    ProcessFactory(owner=UserFactory(username="nokpis", role=Role.PROCESS_OWNER))
    KPIFactory(processes=[silent])
    KPIFactory(processes=[written])
    ProcessCommentary.objects.create(review=review, process=written, text="On track.", author=written.owner)
    return review


def test_attendees_and_preparers_are_reminded_once_with_the_invitation(soon, lead, owner, quality):
    later = ManagementReviewFactory(owner=lead, attendees=[owner], planned_at=timezone.now() + timedelta(days=20))

    assert tasks.send_review_reminders.delay().get() == {"upcoming": 4, "outputs_due": 0}
    assert sent_to() == sorted([lead.email, owner.email, quality.email, "silent@example.com"])
    assert all(soon.reference in message.subject and later.reference not in message.subject for message in mail.outbox)
    for message in mail.outbox:
        event = invitation_in(message)
        assert str(event["UID"]).startswith(str(soon.calendar_uid)) and event["SEQUENCE"] == 0
        assert soon.get_absolute_url() in message.body
    (silent,) = [m for m in mail.outbox if m.to == ["silent@example.com"]]
    assert "commentary" in silent.body and "Process" in silent.body

    assert tasks.send_review_reminders.delay().get() == {"upcoming": 0, "outputs_due": 0}
    assert len(mail.outbox) == 4
    assert Notification.objects.filter(kind="review_upcoming").count() == 4


def test_a_review_moved_after_the_reminder_is_sent_again_as_an_update(soon, lead):
    tasks.send_review_reminders.delay().get()
    mail.outbox.clear()
    soon.planned_at += timedelta(hours=3)
    soon.save()

    assert tasks.send_review_reminders.delay().get()["upcoming"] == 4
    assert {invitation_in(message)["SEQUENCE"] for message in mail.outbox} == {1}


def test_reviews_held_or_issued_are_not_reminded(soon):
    soon.status = ReviewStatus.IN_MEETING
    soon.save()
    assert tasks.send_review_reminders.delay().get()["upcoming"] == 0


def test_reminders_the_mail_server_refused_wait_in_the_outbox_and_go_once_it_is_back(soon, settings):
    settings.EMAIL_BACKEND = DOWN
    assert tasks.send_review_reminders.delay().get()["upcoming"] == 4
    assert tasks.send_review_reminders.delay().get()["upcoming"] == 0
    assert OutboxMessage.objects.failed().count() == 4 and not mail.outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert send_outbox.delay().get() == 4
    assert all(invitation_in(message) for message in mail.outbox) and len(mail.outbox) == 4


def test_owners_of_review_outputs_are_reminded_once_before_the_due_date(lead, owner, settings):
    settings.REVIEW_REMINDER_DAYS = 7
    today = timezone.localdate()
    due = ActionFactory(owner=owner, due_date=today + timedelta(days=3))
    ReviewDecisionFactory(owner=owner, action=due, due_date=due.due_date, review__owner=lead)
    far = ActionFactory(owner=owner, due_date=today + timedelta(days=30))
    ReviewDecisionFactory(owner=owner, action=far, due_date=far.due_date, review__owner=lead)
    done = ActionFactory(owner=owner, due_date=today + timedelta(days=2), status=ActionStatus.DONE)
    ReviewDecisionFactory(owner=owner, action=done, due_date=done.due_date, review__owner=lead)
    ActionFactory(owner=owner, due_date=today + timedelta(days=1))  # not from a review

    assert tasks.send_review_reminders.delay().get() == {"upcoming": 0, "outputs_due": 1}
    (message,) = mail.outbox
    assert message.to == [owner.email] and due.reference in message.subject
    assert tasks.send_review_reminders.delay().get() == {"upcoming": 0, "outputs_due": 0}

    due.due_date = today + timedelta(days=5)  # a new due date is reminded again
    due.save()
    assert tasks.send_review_reminders.delay().get() == {"upcoming": 0, "outputs_due": 1}


@pytest.fixture
def issued(lead, owner, viewer):
    review = ManagementReviewFactory(owner=lead, attendees=[lead, owner, viewer])
    return issue(review)


def test_issued_minutes_are_made_once_and_mailed_once_to_each_attendee(issued, lead, owner, viewer):
    assert tasks.issue_minutes.delay(issued.pk).get() == {"pdf_made": 1, "sent": 3}
    issued.refresh_from_db()
    stored = issued.minutes_pdf.read()
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == issued.minutes_pdf_sha256
    assert sent_to() == sorted([lead.email, owner.email, viewer.email])
    for message in mail.outbox:
        ((name, content, media_type),) = message.attachments
        assert name == f"{issued.reference}-minutes.pdf" and media_type == "application/pdf" and content == stored
    assert issued.history.first().history_change_reason == "Minutes PDF made"

    name, sha = issued.minutes_pdf.name, issued.minutes_pdf_sha256
    assert tasks.issue_minutes.delay(issued.pk).get() == {"pdf_made": 0, "sent": 0}
    issued.refresh_from_db()
    assert (issued.minutes_pdf.name, issued.minutes_pdf_sha256) == (name, sha)
    assert len(mail.outbox) == 3


def test_minutes_not_issued_make_no_pdf(lead):
    review = ManagementReviewFactory(owner=lead)
    assert tasks.issue_minutes.delay(review.pk).get() == {"pdf_made": 0, "sent": 0}
    review.refresh_from_db()
    assert not review.minutes_pdf and not mail.outbox


def test_an_addendum_makes_the_minutes_again_and_sends_them_once_more(issued, lead):
    tasks.issue_minutes.delay(issued.pk).get()
    issued.refresh_from_db()
    first = issued.minutes_pdf_sha256
    MinutesAddendum.objects.create(review=issued, text="Due date of ACT-1 is 30 June.", signed_by=lead,
                                   signed_at=timezone.now(), meaning="approved as chair",
                                   sha256="cd" * 32)  # fmt: skip

    assert tasks.issue_minutes.delay(issued.pk).get() == {"pdf_made": 1, "sent": 3}
    issued.refresh_from_db()
    assert issued.minutes_pdf_sha256 != first and len(mail.outbox) == 6
    assert tasks.issue_minutes.delay(issued.pk).get() == {"pdf_made": 0, "sent": 0}


def test_the_sweep_queues_minutes_a_lost_worker_left_undone(issued, lead):
    ManagementReviewFactory(owner=lead)  # not issued: nothing to do
    assert tasks.resume_minutes.delay().get() == 1
    issued.refresh_from_db()
    assert issued.minutes_pdf and len(mail.outbox) == 3
    tasks.resume_minutes.delay().get()  # issued recently: looked at again, but nothing is sent twice
    assert len(mail.outbox) == 3


def test_minutes_are_queued_only_when_the_issue_commits(issued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.queue_minutes(issued.pk)
    assert len(callbacks) == 1 and not mail.outbox


def test_the_schedule_runs_the_review_tasks(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["review-reminders"]["task"] == "reviews.tasks.send_review_reminders"
    assert schedule["resume-review-minutes"]["task"] == "reviews.tasks.resume_minutes"


def test_a_whole_review_ends_with_its_signed_minutes_pdf_in_each_attendees_mail(lead, owner, quality, tmp_path):
    """Through the workflow's own services: the meeting freezes the real pack, a decision becomes an
    action, the chair signs, and the task makes the PDF of exactly that and mails it."""
    import subprocess

    from reviews import services

    lead.set_password("chair-password-1")
    lead.save()
    review = ManagementReviewFactory(owner=lead, attendees=[lead, owner, quality])
    services.review_start_meeting(review=review, user=lead)
    decision = services.review_record_decision(
        review=review, user=lead, input="d", kind="resource_need", title="Hire a second inspector",
        owner=owner, due_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    services.review_issue_minutes(review=review, user=lead, password="chair-password-1", meaning="approved as chair")

    assert tasks.issue_minutes.delay(review.pk).get() == {"pdf_made": 1, "sent": 3}
    review.refresh_from_db()
    path = tmp_path / "minutes.pdf"
    path.write_bytes(mail.outbox[0].attachments[0][1])
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert "Hire a second inspector" in text and decision.action.reference in text
    assert review.minutes_sha256 in text and review.frozen_pack_sha256 in text and "approved as chair" in text


def _signed_review(lead, owner, quality):
    from reviews import services

    lead.set_password("chair-password-1")
    lead.save()
    review = ManagementReviewFactory(owner=lead, attendees=[lead, owner, quality])
    services.review_start_meeting(review=review, user=lead)
    return review, lambda: services.review_issue_minutes(
        review=review, user=lead, password="chair-password-1", meaning="approved as chair"
    )


def test_signing_the_minutes_makes_and_mails_the_pdf_once_the_signature_commits(
    lead, owner, quality, django_capture_on_commit_callbacks
):
    review, sign = _signed_review(lead, owner, quality)
    with django_capture_on_commit_callbacks(execute=True):
        sign()
    review.refresh_from_db()
    assert review.minutes_pdf and sorted(m.to[0] for m in mail.outbox) == sorted(
        [lead.email, owner.email, quality.email]
    )


def test_the_minutes_page_offers_the_stored_pdf_to_readers(lead, owner, quality, viewer, client_for):
    review, sign = _signed_review(lead, owner, quality)
    sign()
    url = reverse("reviews:managementreview_minutes_pdf", args=[review.pk])
    assert client_for(viewer).get(url).status_code == 404  # not made yet
    assert "being made" in client_for(viewer).get(review.get_absolute_url() + "minutes/").content.decode()

    tasks.issue_minutes.delay(review.pk).get()
    review.refresh_from_db()
    page = client_for(viewer).get(reverse("reviews:managementreview_minutes", args=[review.pk])).content.decode()
    assert url in page
    response = client_for(viewer).get(url)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert hashlib.sha256(body).hexdigest() == review.minutes_pdf_sha256
    assert Client().get(url).status_code == 302  # signed-out: to the sign-in page


def test_renaming_a_signer_later_leaves_the_signed_minutes_matching(lead, owner, quality, client_for):
    review, sign = _signed_review(lead, owner, quality)
    sign()
    lead.last_name, owner.first_name = "Renamed", "Someone"
    lead.save()
    owner.save()
    page = client_for(quality).get(reverse("reviews:managementreview_minutes", args=[review.pk])).content.decode()
    assert "matches the record" in page and "does not match" not in page


def test_the_minutes_tab_asks_until_the_pdf_is_stored_and_says_when_the_worker_may_be_down(
    lead, owner, quality, viewer, client_for
):
    review, sign = _signed_review(lead, owner, quality)
    sign()
    review.refresh_from_db()
    client = client_for(viewer)
    state_url = reverse("reviews:managementreview_minutes_pdf_state", args=[review.pk])
    page = client.get(reverse("reviews:managementreview_minutes", args=[review.pk])).content.decode()
    asked = timezone.localtime(review.minutes_issued_at).strftime("%H:%M")
    assert f'hx-get="{state_url}"' in page and 'hx-trigger="every 4s"' in page
    assert f"being made (asked for at {asked})" in page

    review.minutes_issued_at -= timedelta(minutes=10)
    review.save(update_fields=["minutes_issued_at"])
    state = client.get(state_url).content.decode()
    assert "may be down" in state and "when the worker runs again" in state and f'hx-get="{state_url}"' in state

    tasks.issue_minutes.delay(review.pk).get()
    state = client.get(state_url).content.decode()
    assert reverse("reviews:managementreview_minutes_pdf", args=[review.pk]) in state
    assert "hx-get" not in state and "hx-trigger" not in state
    assert Client().get(state_url).status_code == 302  # signed-out: to the sign-in page
