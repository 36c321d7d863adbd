from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import Model


class Notification(Model):
    """A stamp that a notification about a record was sent, once per kind, record and key.

    The unique constraint is what makes scheduled tasks idempotent: a task claims a notification by
    inserting its stamp, and only the run that inserted it sends anything. The key says which
    occurrence it covers (a day, a period, a due date).
    """

    kind = models.CharField(verbose_name=_("kind"), max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    key = models.CharField(verbose_name=_("key"), max_length=50)
    recipient = models.ForeignKey(
        "qms.User", verbose_name=_("recipient"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(verbose_name=_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "key"], name="%(app_label)s_%(class)s_once_per_key"
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
