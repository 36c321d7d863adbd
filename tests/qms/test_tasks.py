from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from qms.choices import ActionStatus
from qms.models import Notification
from qms.tasks import notify_overdue_actions
from tests.factories import ActionFactory

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


def test_a_failed_send_is_retried_on_the_next_run(overdue, monkeypatch):
    import qms.services

    def broken_send(**kwargs):
        raise OSError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(qms.services, "send_mail", broken_send)
        assert notify_overdue_actions.delay().get() == 0
    assert not Notification.objects.exists()

    assert notify_overdue_actions.delay().get() == 1
    assert len(mail.outbox) == 1
