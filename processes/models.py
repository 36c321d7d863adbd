from typing import Self

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.history import HistoryPart, RecordHistory
from qms.models import OrgUnit, OwnedRecord, RecordQuerySet
from qms.models.base import Model

from .choices import PROCESS_STATUS_COLOURS, ProcessStatus, ProcessType, ResourceKind


class ProcessQuerySet(RecordQuerySet):
    def active(self) -> Self:
        return self.filter(status=ProcessStatus.ACTIVE)

    def review_due(self, today=None) -> Self:
        return self.exclude(status=ProcessStatus.RETIRED).filter(next_review_date__lte=today or timezone.localdate())


class Process(OwnedRecord):
    """A process of the organisation: the hub every other QMS record links to."""

    REFERENCE_PREFIX = "PRC"
    ADD_ROLES = frozenset({Role.QUALITY_MANAGER})

    name = models.CharField(verbose_name=_("name"), max_length=150)
    purpose = models.TextField(verbose_name=_("purpose"), blank=True)
    type = models.CharField(
        verbose_name=_("type"), max_length=20, choices=ProcessType.choices, default=ProcessType.CORE
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=ProcessStatus.choices, default=ProcessStatus.DRAFT
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisational unit"),
        on_delete=models.PROTECT,
        related_name="processes",
        null=True,
        blank=True,
    )
    next_review_date = models.DateField(verbose_name=_("next review"), null=True, blank=True)

    objects = ProcessQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies"])
    history_parts = (
        HistoryPart("inputs"),
        HistoryPart("outputs"),
        HistoryPart("resources"),
        HistoryPart("documents", label=_("method or criteria document")),
        HistoryPart("handoffs_out", label=_("hand-off to"), title="target", fields=("item",)),
        HistoryPart("handoffs_in", label=_("hand-off from"), title="source", fields=("item",)),
    )

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=ProcessType.values), name="%(app_label)s_%(class)s_type_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ProcessStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]
        verbose_name = _("process")
        verbose_name_plural = _("processes")

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def status_colour(self) -> str:
        return PROCESS_STATUS_COLOURS[self.status]

    @classmethod
    def user_can_set_status(cls, user) -> bool:
        """Bringing a process into force or retiring it is the quality manager's call."""
        return user.administers_qms


# The turtle: what goes in, what comes out, what it needs, and how it is done.
# ------------------------------------------------------------------------------


class ProcessPart(Model):
    """Abstract base of the parts of a process's description (each sets its `process` foreign key).
    Whoever may change the process may change its parts; their history is kept like the process's own."""

    class Meta:
        abstract = True

    def user_can_change(self, user) -> bool:
        return self.process.user_can_change(user)


class ProcessInput(ProcessPart):
    """Something the process receives from outside the organisation (internal flows are hand-offs)."""

    process = models.ForeignKey(Process, verbose_name=_("process"), on_delete=models.CASCADE, related_name="inputs")
    name = models.CharField(verbose_name=_("input"), max_length=200)
    supplier = models.CharField(
        verbose_name=_("supplier"), max_length=200, help_text=_("Who provides it, e.g. customers or a supplier.")
    )
    history = RecordHistory()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("input")
        verbose_name_plural = _("inputs")

    def __str__(self) -> str:
        return f"{self.name} ({self.supplier})"


class ProcessOutput(ProcessPart):
    """Something the process delivers outside the organisation (internal flows are hand-offs)."""

    process = models.ForeignKey(Process, verbose_name=_("process"), on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField(verbose_name=_("output"), max_length=200)
    customer = models.CharField(
        verbose_name=_("customer"), max_length=200, help_text=_("Who receives it, e.g. customers or a regulator.")
    )
    history = RecordHistory()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("output")
        verbose_name_plural = _("outputs")

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})"


class ProcessResource(ProcessPart):
    """What the process needs to run: people, equipment, environment, knowledge (ISO 9001 7.1)."""

    process = models.ForeignKey(Process, verbose_name=_("process"), on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=ResourceKind.choices)
    description = models.CharField(verbose_name=_("description"), max_length=200)
    history = RecordHistory()

    class Meta:
        ordering = ["kind", "description", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.description


class ProcessDocument(ProcessPart):
    """A link to a document that describes how the process is done or judged (methods and criteria)."""

    process = models.ForeignKey(Process, verbose_name=_("process"), on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(verbose_name=_("title"), max_length=200)
    url = models.URLField(verbose_name=_("link"), max_length=500, help_text=_("Where the document lives."))
    history = RecordHistory()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("method or criteria document")
        verbose_name_plural = _("methods and criteria")

    def __str__(self) -> str:
        return self.title


class HandOff(Model):
    """One process handing something over to another: an output of the source that is an input of
    the target. The same hand-off shows on both processes and draws an edge on the process map."""

    source = models.ForeignKey(
        Process, verbose_name=_("from process"), on_delete=models.PROTECT, related_name="handoffs_out"
    )
    target = models.ForeignKey(
        Process, verbose_name=_("to process"), on_delete=models.PROTECT, related_name="handoffs_in"
    )
    item = models.CharField(verbose_name=_("what is handed over"), max_length=200)
    history = RecordHistory()

    class Meta:
        ordering = ["source__reference", "target__reference", "item"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("target")), name="%(app_label)s_%(class)s_not_to_itself"),
            models.UniqueConstraint(fields=["source", "target", "item"], name="%(app_label)s_%(class)s_unique"),
        ]
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")

    def __str__(self) -> str:
        return f"{self.source.reference} → {self.target.reference}: {self.item}"

    def clean(self) -> None:
        if self.source_id and self.source_id == self.target_id:
            raise ValidationError({"target": _("A process cannot hand over to itself.")})
        if self.pk is None:
            for end in ("source", "target"):
                process = getattr(self, end, None) if getattr(self, f"{end}_id") else None
                if process is not None and process.status == ProcessStatus.RETIRED:
                    raise ValidationError(
                        {end: _("%(process)s is retired: it takes no new hand-offs.") % {"process": process}}
                    )
        duplicate = HandOff.objects.filter(source_id=self.source_id, target_id=self.target_id, item__iexact=self.item)
        if self.item and duplicate.exclude(pk=self.pk).exists():
            raise ValidationError({"item": _("This hand-off is already recorded.")})

    def user_can_change(self, user) -> bool:
        """Either end's owner may record or remove a hand-off."""
        return self.source.user_can_change(user) or self.target.user_can_change(user)
