from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from qms.choices import ActionStatus
from qms.models import Notification, OutboxMessage
from qms.tasks import notify_overdue_actions, send_outbox
from tests.factories import ActionFactory
from tests.mail import DOWN

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(owner):
    return ActionFactory(owner=owner, title="Replace the seal", due_date=timezone.localdate() - timedelta(days=2))


def test_overdue_action_owner_gets_one_email(overdue, owner):
    sent = notify_overdue_actions.delay().get()

    assert sent == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert overdue.reference in message.subject
    assert "Replace the seal" in message.body
    assert overdue.get_absolute_url() in message.body


def test_running_twice_the_same_day_sends_nothing_more(overdue):
    notify_overdue_actions.delay()
    notify_overdue_actions.delay()

    assert len(mail.outbox) == 1
    assert Notification.objects.filter(kind="action_overdue").count() == 1


def test_a_new_day_sends_a_new_reminder(overdue):
    from qms.services import actions_notify_overdue

    actions_notify_overdue(today=timezone.localdate())
    actions_notify_overdue(today=timezone.localdate() + timedelta(days=1))

    assert len(mail.outbox) == 2


def test_actions_on_time_done_or_cancelled_send_nothing(owner):
    past = timezone.localdate() - timedelta(days=1)
    ActionFactory(owner=owner, due_date=timezone.localdate() + timedelta(days=1))
    ActionFactory(owner=owner, due_date=past, status=ActionStatus.DONE)
    ActionFactory(owner=owner, due_date=past, status=ActionStatus.CANCELLED)

    assert notify_overdue_actions.delay().get() == 0
    assert mail.outbox == []


def test_a_mail_server_that_is_down_delays_the_notice_and_loses_nothing(overdue, settings):
    settings.EMAIL_BACKEND = DOWN
    assert notify_overdue_actions.delay().get() == 1  # queued, with its stamp
    (queued,) = OutboxMessage.objects.all()
    assert queued.sent_at is None and queued.attempts == 1 and "SMTPServerDisconnected" in queued.last_error
    assert notify_overdue_actions.delay().get() == 0  # the stamp holds: not queued twice
    assert Notification.objects.filter(kind="action_overdue").count() == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # its backoff has passed
    assert send_outbox.delay().get() == 1
    (message,) = mail.outbox
    assert message.extra_headers["Message-ID"] == queued.message_id
