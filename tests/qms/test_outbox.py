"""The outbox: e-mail is queued in the transaction that causes it, sent after that commits, kept and
tried again while the mail server fails, and shown to quality managers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import qms.outbox
from qms.models import Notification, OutboxMessage
from qms.outbox import backoff, mail_queue, outbox_send_due
from qms.services import notification_mail
from tests.factories import ActionFactory
from tests.mail import DOWN

pytestmark = pytest.mark.django_db

SEND_AFTER_COMMIT = qms.outbox._send_after_commit  # before tests/conftest.py sends at once


@pytest.fixture
def after_commit(monkeypatch):
    """The outbox as in production: sent once the queuing transaction commits (the test suite
    otherwise sends at once, see tests/conftest.py)."""
    monkeypatch.setattr(qms.outbox, "_send_after_commit", SEND_AFTER_COMMIT)


def queue(n=1, **kwargs):
    return [mail_queue(to=[f"person{i}@example.com"], subject=f"Notice {i}", body="Body", **kwargs) for i in range(n)]


def test_mail_is_queued_with_the_change_and_sent_only_after_it_commits(
    after_commit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        (queued,) = queue()
        assert mail.outbox == []
    assert OutboxMessage.objects.queued().get() == queued and mail.outbox == []

    for callback in callbacks:
        callback()

    (message,) = mail.outbox
    assert message.to == ["person0@example.com"] and message.extra_headers["Message-ID"] == queued.message_id
    queued.refresh_from_db()
    assert queued.state == "sent" and queued.attempts == 1 and queued.sent_at is not None


def test_a_change_that_rolls_back_leaves_no_mail(after_commit, owner, django_capture_on_commit_callbacks):
    action = ActionFactory(owner=owner)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notification_mail(kind="test", record=action, key="k", recipient=owner, subject="S", body="B")
        raise RuntimeError("the change fails after the mail was queued")

    assert not OutboxMessage.objects.exists() and not Notification.objects.exists() and callbacks == []


def test_the_message_keeps_its_html_attachments_and_the_same_bytes_on_every_attempt():
    (queued,) = queue(
        html="<p>Body</p>",
        attachments=[
            ("invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),
            ("a.pdf", b"%PDF\x00\xff", "application/pdf"),
        ],
    )
    queued.refresh_from_db()

    (sent,) = mail.outbox
    assert sent.alternatives[0][0] == "<p>Body</p>"
    assert [(name, content) for name, content, _type in sent.attachments] == [
        ("invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
        ("a.pdf", b"%PDF\x00\xff"),
    ]
    first, again = queued.as_email().message().as_bytes(), queued.as_email().message().as_bytes()
    assert first == again  # a re-send after a crash is the same message, not a new one
    assert f"Message-ID: {queued.message_id}".encode() in first and queued.attachment_names == ["invite.ics", "a.pdf"]


def test_a_failure_keeps_the_message_with_its_error_and_tries_again_later(settings, owner):
    settings.EMAIL_BACKEND = DOWN
    action = ActionFactory(owner=owner)
    before = timezone.now()

    assert notification_mail(kind="test", record=action, key="k", recipient=owner, subject="S", body="B")

    (failed,) = OutboxMessage.objects.failed()
    assert failed.attempts == 1 and failed.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert failed.next_attempt_at >= before + timedelta(minutes=1)
    assert Notification.objects.count() == 1  # the failure rolled nothing back
    assert outbox_send_due() == 0  # not due before its backoff has passed

    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert outbox_send_due() == 0
    failed.refresh_from_db()
    assert failed.attempts == 2 and failed.next_attempt_at >= timezone.now() + timedelta(minutes=1, seconds=50)


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 7, 50)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_a_run_stops_at_the_first_failure_and_the_next_sends_the_others(after_commit, settings):
    queue(3)
    settings.EMAIL_BACKEND = DOWN
    assert outbox_send_due() == 0
    assert OutboxMessage.objects.failed().count() == 1 and OutboxMessage.objects.queued().count() == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_send_due() == 2 and len(mail.outbox) == 2
    assert outbox_send_due() == 0


def test_a_run_sends_at_most_its_limit(after_commit):
    queue(3)
    assert outbox_send_due(limit=2) == 2 and OutboxMessage.objects.unsent().count() == 1


def test_beat_sends_the_outbox_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-outbox"]
    assert entry["task"] == "qms.tasks.send_outbox" and entry["schedule"].minute == set(range(60))


def test_a_broker_that_is_down_after_the_commit_keeps_the_change(after_commit, monkeypatch, owner):
    def broker_down():
        raise ConnectionError("broker down")

    monkeypatch.setattr(qms.outbox, "outbox_trigger", broker_down)
    with transaction.atomic():
        (queued,) = queue()
    # robust on_commit: the error is logged, the committed message waits for beat
    assert OutboxMessage.objects.queued().get() == queued


# The page
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "owner", "auditor", "viewer"])
def test_only_quality_managers_see_the_outbox_or_retry(client_for, request, person, settings):
    settings.EMAIL_BACKEND = DOWN
    (failed,) = queue()
    client = client_for(request.getfixturevalue(person))

    assert client.get(reverse("qms:outbox_list")).status_code == 403
    assert client.post(reverse("qms:outbox_retry", args=[failed.pk])).status_code == 403


def test_the_outbox_shows_waiting_failed_and_sent_mail(client_for, quality, settings, django_assert_max_num_queries):
    queue(2)
    settings.EMAIL_BACKEND = DOWN
    queue(3)
    client = client_for(quality)

    with django_assert_max_num_queries(8):
        failed = client.get(reverse("qms:outbox_list"), {"state": "failed"})
    sent = client.get(reverse("qms:outbox_list"), {"state": "sent"})

    assert failed.status_code == 200 and failed.text.count("Retry now") == 3
    assert "SMTPServerDisconnected" in failed.text and "Notice 2" in failed.text
    assert sent.text.count("person0@example.com") == 1 and "Retry now" not in sent.text
    assert 'href="/outbox/"' in client.get(reverse("qms:dashboard")).text


def test_the_outbox_query_count_does_not_grow_with_the_messages(client_for, quality, django_assert_max_num_queries):
    queue(60)
    client = client_for(quality)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("qms:outbox_list"), {"state": "sent"})
    assert response.text.count("Notice ") == 50


def test_retry_sends_a_failed_message_now(client_for, quality, settings):
    settings.EMAIL_BACKEND = DOWN
    (failed,) = queue()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    response = client_for(quality).post(reverse("qms:outbox_retry", args=[failed.pk]), follow=True)

    assert response.status_code == 200 and "Sending" in response.text
    failed.refresh_from_db()
    assert failed.state == "sent" and failed.attempts == 2 and len(mail.outbox) == 1


def test_a_sent_message_is_not_retried(client_for, quality):
    (sent,) = queue()
    assert client_for(quality).post(reverse("qms:outbox_retry", args=[sent.pk])).status_code == 404
    assert len(mail.outbox) == 1
