import base64
import hashlib
from email.utils import format_datetime

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import Model


class FixedEmail(EmailMultiAlternatives):
    """An e-mail whose MIME boundaries come from its Message-ID instead of chance, so that with the
    Message-ID and Date fixed too, every rendering of it is byte for byte the same."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        seed = hashlib.sha256(self.extra_headers["Message-ID"].encode()).hexdigest()[:32]
        for n, part in enumerate(part for part in message.walk() if part.is_multipart()):
            part.set_boundary(f"=============== {seed}.{n}==")
        return message


class OutboxQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(sent_at__isnull=True)

    def due(self, now=None):
        """Unsent messages whose next attempt has come."""
        return self.unsent().filter(next_attempt_at__lte=now or timezone.now())

    def failed(self):
        """Unsent messages that at least one attempt could not send."""
        return self.unsent().filter(attempts__gt=0)

    def queued(self):
        """Unsent messages not yet tried."""
        return self.unsent().filter(attempts=0)

    def sent(self):
        return self.filter(sent_at__isnull=False)


class OutboxMessage(Model):
    """One e-mail, complete as it will be sent, written in the same transaction as the change (or
    the Notification stamp) that causes it, and sent by a worker after that commits (qms.outbox).

    Its Message-ID and Date are fixed when it is queued, so every attempt hands the mail server the
    same message: a second delivery after a crash is recognisably the same message, never a new one.
    """

    kind = models.CharField(verbose_name=_("kind"), max_length=50, blank=True)
    message_id = models.CharField(verbose_name=_("Message-ID"), max_length=255, unique=True)
    from_email = models.CharField(verbose_name=_("from"), max_length=254)
    to = models.JSONField(verbose_name=_("to"), default=list)
    subject = models.TextField(verbose_name=_("subject"))
    body = models.TextField(verbose_name=_("body"))
    html = models.TextField(verbose_name=_("HTML alternative"), blank=True)
    # [name, base64 content, media type] each: JSON keeps the row readable in any database.
    attachments = models.JSONField(verbose_name=_("attachments"), default=list, blank=True)
    created_at = models.DateTimeField(verbose_name=_("queued at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"), default=timezone.now)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="qms_outbox_due_idx"),
        ]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        return "failed" if self.attempts else "queued"

    @property
    def attachment_names(self) -> list[str]:
        return [name for name, _content, _type in self.attachments]

    def as_email(self, connection=None) -> FixedEmail:
        """The Django e-mail this row holds, with its fixed Message-ID and Date."""
        message = FixedEmail(
            subject=self.subject,
            body=self.body,
            from_email=self.from_email,
            to=self.to,
            headers={"Message-ID": self.message_id, "Date": format_datetime(self.created_at)},
            connection=connection,
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        for name, content, media_type in self.attachments:
            message.attach(name, base64.b64decode(content), media_type)
        return message
