"""Large imports run in the background: the job a Celery task works through (objectives.imports.jobs)."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.history import RecordHistory
from qms.models.attachments import evidence_storage
from qms.models.base import Model


def import_path(job: "ImportJob", filename: str) -> str:
    """A generated name: nothing of the uploaded file's name reaches the file system."""
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ImportJob(Model):
    """A large import (more rows than IMPORT_BACKGROUND_ROWS), checked and written by a Celery task:
    the file as uploaded, stored under a generated name until the job ends, who asked, how far the
    task has come, and what it did: how many rows it imported, or the errors for which it imported none."""

    class Kind(models.TextChoices):
        VALUES = "values", _("KPI values")
        KPIS = "kpis", _("KPI definitions")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Nothing imported")

    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Changed often while the task runs, and not part of the history (like an evidence pack's).
    progress = models.PositiveSmallIntegerField(
        verbose_name=_("progress"), default=0, validators=[MaxValueValidator(100)]
    )
    # Read only by the task: removed once the job has ended, and the name cleared with it.
    file = models.FileField(
        verbose_name=_("file"), upload_to=import_path, storage=evidence_storage, max_length=200, blank=True
    )
    name = models.CharField(verbose_name=_("file name"), max_length=200, help_text=_("As it was uploaded."))
    rows = models.PositiveIntegerField(verbose_name=_("rows"), default=0)
    imported = models.PositiveIntegerField(verbose_name=_("rows imported"), default=0)
    errors = models.JSONField(verbose_name=_("errors"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    history = RecordHistory(excluded_fields=["progress", "started_at"])

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(condition=Q(kind__in=["values", "kpis"]), name="%(app_label)s_%(class)s_kind"),
        ]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("objectives:import_job_detail", args=[self.pk])

    PENDING = (Status.QUEUED, Status.RUNNING)

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING
