"""Writes that go beyond saving one form: action lifecycle and the overdue notifications."""

import logging
from datetime import date, datetime
from smtplib import SMTPException

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import ActionStatus
from .models import Action, Notification, User

logger = logging.getLogger(__name__)

BATCH = 500


@transaction.atomic
def action_move(*, action: Action, user: User, status: str, note: str = "", on: date | None = None) -> Action:
    """Move an action along its lifecycle (start, complete, reopen, cancel). The note is kept in
    the history as the reason; cancelling needs one. `on` is the day it happened when that was
    before today (the demo's past); pages record moves as they happen."""
    _lock(action)
    if not action.user_can_change(user):
        raise PermissionDenied(_("You may not change this action."))
    if status == ActionStatus.CANCELLED and not note.strip():
        raise ValidationError({"note": _("Say why the action is cancelled: the history keeps the reason.")})
    action.move_to(status, on=on)
    action._change_reason = note
    action._history_user = user  # also outside a request (the API's services, tasks, the shell)
    action.save()
    return action


@transaction.atomic
def action_check_effectiveness(
    *, action: Action, user: User, effective: bool, note: str, at: datetime | None = None
) -> Action:
    """Record the effectiveness check of a done action, which closes it. `at` is when it was
    checked when that was before now (the demo's past); pages record checks as they happen."""
    _lock(action)
    if not action.user_can_verify(user):
        raise PermissionDenied(
            _("The effectiveness check is made by quality, leadership or an auditor, not the owner.")
        )
    action.record_effectiveness(effective=effective, by=user, note=note, at=at)
    action._history_user = user
    action.save()
    return action


def _lock(action: Action) -> None:
    """Hold the action's row for this transaction and work on it as stored, not as the caller saw it."""
    action.refresh_from_db(from_queryset=Action.objects.select_for_update())


def notification_claim(*, kind: str, record, key: str, recipient: User | None) -> bool:
    """Stamp that `kind` was sent for `record` and `key`. False when it was already sent, by this
    run or a concurrent one: the caller then sends nothing."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                kind=kind,
                content_type=ContentType.objects.get_for_model(record),
                object_id=record.pk,
                key=key,
                recipient=recipient,
            )
    except IntegrityError:
        return False
    return True


def mail_subject(text: str) -> str:
    """A subject on one line: a title sent through the API may hold line breaks, which mail headers refuse."""
    return " ".join(str(text).split())


def actions_notify_overdue(*, today: date | None = None) -> int:
    """E-mail the owner of each overdue action, at most once per action and day, and return how
    many were sent. A failed send rolls its stamp back, so the next run tries that one again."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Action.objects.overdue(today).exclude(owner__email="").select_related("owner")
    for action in overdue.in_batches(BATCH):
        try:
            with transaction.atomic():
                key = today.isoformat()
                if not notification_claim(kind="action_overdue", record=action, key=key, recipient=action.owner):
                    continue
                send_mail(
                    subject=mail_subject(
                        _("Overdue action %(ref)s: %(title)s") % {"ref": action.reference, "title": action.title}
                    ),
                    message=render_to_string(
                        "emails/action_overdue.txt", {"action": action, "site_url": settings.SITE_URL}
                    ),
                    from_email=None,
                    recipient_list=[action.owner.email],
                )
        except (OSError, SMTPException):
            logger.exception("Could not send the overdue notice for %s", action.reference)
            continue
        sent += 1
    return sent
