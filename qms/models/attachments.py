"""Evidence files, and the records that take them.

Which records take files, and whose permission governs them, is said once here (`attachable`): a
record governs its own files (an action, a nonconformity, an audit), or names the record that does
(a finding has no owner: its audit's rule decides). Everything about files asks the helpers below:
who may see them (who may view the governing record), who may attach them (who may change it), and
who may remove them (the same, and only while neither record is frozen).
"""

import operator
import uuid
from datetime import datetime
from typing import Self

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.filetypes import ALLOWED, type_of
from qms.history import HistoryPart, RecordHistory, add_history_part

from .base import Model


class EvidenceStorage(FileSystemStorage):
    """MEDIA_ROOT, with no URL: evidence is served only by the permission-checked download view,
    never by a web server, so nothing may build a direct link to a stored file."""

    def url(self, name: str | None) -> str:
        raise ValueError("Evidence files have no URL of their own: link to qms:attachment_download.")


def evidence_storage() -> EvidenceStorage:
    return EvidenceStorage()


def evidence_path(attachment: "Attachment", filename: str) -> str:
    """Where an evidence file is stored: a generated name, never the one it was uploaded under, with
    the extension of its type as its content shows it."""
    file_type = type_of(attachment.media_type)
    extension = file_type.extension if file_type else ""
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


# Which records take files
# ------------------------------------------------------------------------------

# Model label -> the attribute leading from a record to the record whose permission governs its
# files; "" when it governs them itself.
_attachable: dict[str, str] = {}

EVIDENCE_HISTORY = HistoryPart(
    model="qms.Attachment",
    generic="record",
    label=_("evidence file"),
    title="name",
    fields=("description", "media_type", "sha256"),
    note="removal_reason",
    added=_("attached"),
    removed_when="removed_at",
)


def attachable(model_label: str, *, governed_by: str = "") -> None:
    """Let records of `model_label` take evidence files; `governed_by` names the attribute leading
    to the record whose permissions decide for them (a finding's "audit"). Their History tab shows
    the files attached and removed."""
    _attachable[model_label.lower()] = governed_by
    add_history_part(model_label, EVIDENCE_HISTORY)


attachable("qms.action")
attachable("nonconformities.nonconformity")
attachable("audits.audit")
attachable("audits.finding", governed_by="audit")


def is_attachable(model: type[models.Model] | models.Model) -> bool:
    return model._meta.label_lower in _attachable


def attachable_labels() -> list[str]:
    return sorted(_attachable)


def governing_record(record: models.Model) -> models.Model:
    """The record whose permissions decide for `record`'s files: itself, or the one it names."""
    path = _attachable[record._meta.label_lower]
    return operator.attrgetter(path)(record) if path else record


def governed_queryset(model: type[models.Model]) -> models.QuerySet:
    """Records of `model` with their governing record joined, so asking for it costs no query."""
    path = _attachable[model._meta.label_lower]
    manager = model._default_manager
    return manager.select_related(path.replace(".", "__")) if path else manager.all()


def visible_record(user, model_label: str, pk) -> models.Model:
    """The record of kind `model_label` ("qms.action") and `pk` whose files `user` may see: Http404 for
    a kind that takes no files, a record that does not exist, or one the user may not view."""
    if model_label not in _attachable:
        raise Http404("Files cannot be attached to this kind of record.")
    try:
        record = governed_queryset(apps.get_model(model_label)).get(pk=int(pk))
    except (ObjectDoesNotExist, LookupError, TypeError, ValueError):
        raise Http404("No such record.") from None
    if not user_can_view_files(user, record):
        raise Http404("No such record.")
    return record


def visible_attachment(user, pk) -> "Attachment":
    """A file not removed, of a record `user` may view: Http404 otherwise (also when its record is gone)."""
    try:
        attachment = Attachment.objects.current().select_related("uploaded_by").get(pk=int(pk))
    except (Attachment.DoesNotExist, TypeError, ValueError):
        raise Http404("No such file.") from None
    record = attachment.record
    if record is None or not user_can_view_files(user, record):
        raise Http404("No such file.")
    return attachment


def user_can_view_files(user, record: models.Model) -> bool:
    governor = governing_record(record)
    return type(governor).objects.restrict(user, "view").filter(pk=governor.pk).exists()


def user_can_attach(user, record: models.Model) -> bool:
    """Who may change the governing record may attach files, also to a closed record: evidence that
    arrives late is dated by its upload, and history shows it."""
    return governing_record(record).user_can_change(user)


def files_frozen(record: models.Model) -> bool:
    """A frozen record (a closed action or nonconformity, say), or one governed by a frozen record,
    keeps the files it had."""
    return bool(getattr(record, "is_frozen", False) or getattr(governing_record(record), "is_frozen", False))


def user_can_remove_files(user, record: models.Model) -> bool:
    return not files_frozen(record) and user_can_attach(user, record)


# The files
# ------------------------------------------------------------------------------


class AttachmentQuerySet(models.QuerySet):
    def of(self, record: models.Model) -> Self:
        """Every file ever attached to `record`, removed ones included (see `current` and `as_of`)."""
        return self.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)

    def current(self) -> Self:
        """Files not removed."""
        return self.filter(removed_at__isnull=True)

    def as_of(self, when: datetime) -> Self:
        """The files a record had at `when`: uploaded by then and not yet removed."""
        return self.filter(Q(removed_at__isnull=True) | Q(removed_at__gt=when), uploaded_at__lte=when)


class Attachment(Model):
    """An evidence file attached to a record (an audit, a finding, a nonconformity, an action).

    It is stored under a generated name and served only, as a download, to those who may view the
    record. Its type is the one its content shows, and its SHA-256 is taken at upload, so an
    evidence pack can prove the file is the one that was attached. Removing one marks it removed
    (who, when, why) and keeps the stored file: evidence is never destroyed by the product.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(verbose_name=_("file"), upload_to=evidence_path, storage=evidence_storage, max_length=200)
    name = models.CharField(verbose_name=_("file name"), max_length=200, help_text=_("As it was uploaded."))
    description = models.CharField(verbose_name=_("description"), max_length=200, blank=True)
    media_type = models.CharField(
        verbose_name=_("type"), max_length=100, choices=[(t.media_type, t.label) for t in ALLOWED]
    )
    size = models.PositiveBigIntegerField(verbose_name=_("size in bytes"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), default=timezone.now)
    removed_at = models.DateTimeField(verbose_name=_("removed at"), null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    removal_reason = models.CharField(verbose_name=_("why removed"), max_length=200, blank=True, editable=False)

    objects = AttachmentQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="qms_attachment_record")]
        constraints = [
            models.CheckConstraint(
                condition=Q(media_type__in=[file_type.media_type for file_type in ALLOWED]),
                name="%(app_label)s_%(class)s_media_type_allowed",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="%(app_label)s_%(class)s_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removed_by__isnull=True)
                | Q(removed_at__isnull=False, removed_by__isnull=False),
                name="%(app_label)s_%(class)s_removal_complete",
            ),
        ]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name

    @property
    def file_type(self):
        return type_of(self.media_type)

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def served_media_type(self) -> str:
        """The Content-Type of its download: text is sent as UTF-8, which its check made sure of."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type
