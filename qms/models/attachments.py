import uuid
from pathlib import PurePosixPath
from typing import Self

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.history import RecordHistory


def evidence_path(attachment: "Attachment", filename: str) -> str:
    """Where an evidence file is stored: a generated name, never the one it was uploaded under."""
    extension = PurePosixPath(filename).suffix.lower()[:10]
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class AttachmentQuerySet(models.QuerySet):
    def of(self, record: models.Model) -> Self:
        return self.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)


class Attachment(models.Model):
    """An evidence file attached to a record (an audit, a finding, a nonconformity, an action).

    It is stored under a generated name and served only, as a download, to those who may view the
    record. Its type is the one its content shows, and its SHA-256 is taken at upload, so an
    evidence pack can prove the file is the one that was attached.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(verbose_name=_("file"), upload_to=evidence_path, max_length=200)
    name = models.CharField(verbose_name=_("file name"), max_length=200, help_text=_("As it was uploaded."))
    description = models.CharField(verbose_name=_("description"), max_length=200, blank=True)
    media_type = models.CharField(verbose_name=_("type"), max_length=100)
    size = models.PositiveBigIntegerField(verbose_name=_("size in bytes"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="qms_attachment_record")]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name
