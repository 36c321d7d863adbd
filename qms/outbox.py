"""E-mail through an outbox: every message the product sends is queued as a row in the transaction
that causes it, and a worker sends it after that commits.

The guarantee, precisely:

1. **Queued exactly when the cause commits.** `mail_queue` writes the complete message (recipients,
   subject, body, HTML alternative, attachments, a Message-ID and Date fixed now) in the caller's
   transaction: a change or Notification stamp that rolls back leaves no message, and one that
   commits leaves its message, whatever happens to the mail server afterwards.
2. **Never lost.** The message stays queued until a send succeeds. A failed send (server down,
   refused, timed out) is counted with its error in `last_error` and tried again with backoff,
   for as long as it takes; it never rolls back the change that queued it. The send is triggered
   after commit and, as a safety net for a lost trigger or a killed worker, by beat every minute.
3. **Sent once per Message-ID.** `outbox_send_due` claims one message at a time with
   `SELECT ... FOR UPDATE SKIP LOCKED` in a transaction, hands it to the mail server, marks it
   sent and commits: two workers never send the same row at once. SMTP cannot take part in that
   transaction, so one window remains: the server has accepted the message (replied 250 to DATA)
   and the worker dies before its commit. The row is then still unsent and is sent again, byte
   for byte the same message, with the same Message-ID. So each queued message reaches the mail
   server at least once, and every copy it ever receives is that one message: exactly once per
   Message-ID, which mail servers and clients use to recognise a duplicate. A worker killed
   before the server replied 250 leaves nothing delivered (SMTP discards an unfinished message),
   and the next attempt delivers it.

On SQLite (the demo) `select_for_update` does nothing; its transactions take the write lock when
they begin, so claims there are serialised by the database instead.
"""

import base64
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# One run sends at most this many, so a long queue never outlives the task's time limit; the
# next trigger or beat's next minute sends the rest.
SEND_BATCH = 200


def mail_queue(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    attachments=(),
    kind: str = "",
) -> OutboxMessage:
    """Queue one e-mail in the current transaction, to be sent once it commits.

    `attachments` are (name, content, media type) triples; content is bytes or text."""
    message = OutboxMessage.objects.create(
        kind=kind,
        message_id=make_msgid(domain=DNS_NAME),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        subject=" ".join(str(subject).split()),  # one line: mail headers refuse line breaks
        body=body,
        html=html,
        attachments=[
            [name, base64.b64encode(content.encode() if isinstance(content, str) else content).decode(), media_type]
            for name, content, media_type in attachments
        ],
    )
    _send_after_commit()
    return message


def _send_after_commit() -> None:
    # robust: a broker that is down must not turn a committed change into an error; beat sends it.
    transaction.on_commit(outbox_trigger, robust=True)


def outbox_trigger() -> None:
    """Ask a worker to send what is due."""
    from .tasks import send_outbox  # the tasks module imports this one

    send_outbox.delay()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 1, 2, 4 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 6)), MAX_BACKOFF)


def outbox_send_due(*, limit: int = SEND_BATCH) -> int:
    """Send the messages that are due, each claimed, sent and marked in a transaction of its own
    (see the module's docstring for what that guarantees). Returns how many were sent.

    The run stops at the first failure: when the server is down, every message would wait out the
    timeout in turn. The failed one waits its backoff, so the next run starts with the others."""
    sent = 0
    connection = get_connection()
    try:
        while sent < limit and _send_one(connection):
            sent += 1
    finally:
        connection.close()
    return sent


def _send_one(connection) -> bool:
    """Claim the next due message and try it: True if it was sent, False if it failed or none is due."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.due().select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            message.as_email(connection).send()
        except Exception as error:  # any failure: kept on the row for people to see, and retried
            logger.exception("Could not send e-mail %s (attempt %s)", message.message_id, message.attempts)
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return False
        message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "sent_at"])
    return True


def outbox_retry(*, message: OutboxMessage, user) -> None:
    """Try an unsent message again now rather than at its next scheduled attempt (quality managers)."""
    if not user.administers_qms:
        raise PermissionDenied(_("Only quality managers retry outgoing e-mail."))
    with transaction.atomic():
        OutboxMessage.objects.unsent().filter(pk=message.pk).update(next_attempt_at=timezone.now())
        _send_after_commit()
