from datetime import date, datetime
from typing import Self

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import ACTION_STATUS_COLOURS, ActionKind, ActionStatus, Role
from qms.history import RecordHistory

from .base import Model
from .records import ProcessLinkedRecord, RecordQuerySet

# Work still to do, then done actions awaiting their effectiveness check, then closed ones. Among
# the work still to do, soonest due first puts the overdue actions on top, so the order needs no
# date and one index on (URGENCY, due_date, id) gives any page of it without sorting.
URGENCY = Case(
    When(status__in=ActionStatus.active(), then=Value(0)),
    When(status=ActionStatus.DONE, then=Value(1)),
    default=Value(2),
)


class ActionQuerySet(RecordQuerySet):
    def active(self) -> Self:
        return self.filter(status__in=ActionStatus.active())

    def active_counts(self, process_ids: list[int]) -> dict[int, int]:
        """How many active actions each of these processes has (those with none are left out):
        read from ProcessActiveActions on PostgreSQL, where triggers keep it; counted elsewhere."""
        if connection.vendor == "postgresql":
            counts = ProcessActiveActions.objects.filter(process__in=process_ids, active__gt=0)
            return dict(counts.values_list("process", "active"))
        links = Action.processes.through.objects.filter(process__in=process_ids, action__in=self.active())
        return dict(links.values_list("process").annotate(n=Count("pk")).order_by())

    def overdue(self, today: date | None = None) -> Self:
        return self.active().filter(due_date__lt=today or timezone.localdate())

    def closed(self) -> Self:
        """Checked or cancelled: nothing more will happen to them."""
        return self.filter(status__in=ActionStatus.closed())

    def urgent_first(self) -> Self:
        """Work still to do first (the overdue on top), then done actions awaiting their check, then
        closed ones; soonest due first within each. The `qms_action_urgency` index serves this order."""
        return self.alias(urgency=URGENCY).order_by("urgency", "due_date", "pk")

    def raised_by(self, record: models.Model) -> Self:
        return self.filter(source_type=ContentType.objects.get_for_model(record), source_id=record.pk)


class Action(ProcessLinkedRecord):
    """An improvement action: a correction, corrective or preventive action, or an improvement.

    Any QMS record may raise one (a finding, a risk, a KPI, a review decision). Once done, someone
    other than its owner checks whether it worked, which closes it as effective or not effective.
    """

    REFERENCE_PREFIX = "ACT"
    FROZEN_WHEN = Q(status__in=ActionStatus.closed())
    VERIFIER_ROLES = frozenset({Role.QUALITY_MANAGER, Role.LEADERSHIP, Role.AUDITOR})

    title = models.CharField(verbose_name=_("title"), max_length=200)
    description = models.TextField(verbose_name=_("description"), blank=True)
    kind = models.CharField(
        verbose_name=_("kind"), max_length=20, choices=ActionKind.choices, default=ActionKind.CORRECTIVE
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    due_date = models.DateField(verbose_name=_("due date"))
    completed_on = models.DateField(verbose_name=_("completed on"), null=True, blank=True, editable=False)

    source_type = models.ForeignKey(
        ContentType,
        verbose_name=_("raised from (type)"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    source_id = models.PositiveBigIntegerField(verbose_name=_("raised from (id)"), null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")

    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("effectiveness checked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    verified_at = models.DateTimeField(
        verbose_name=_("effectiveness checked at"), null=True, blank=True, editable=False
    )
    verification_note = models.TextField(verbose_name=_("effectiveness note"), blank=True, editable=False)

    objects = ActionQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies", "processes"])

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="qms_action_status_due"),
            models.Index(fields=["source_type", "source_id"], name="qms_action_source"),
            models.Index(URGENCY, F("due_date"), F("id"), name="qms_action_urgency"),
            # The work still to do, a share of all actions that shrinks as the years add closed ones:
            # the dashboard's most overdue actions, read in due-date order without sorting them all,
            # and each person's open actions (My work, the to-dos, the people list's counts).
            models.Index(
                fields=["due_date", "id"], condition=Q(status__in=ActionStatus.active()), name="qms_action_open_due"
            ),
            models.Index(
                fields=["owner", "due_date"],
                condition=Q(status__in=ActionStatus.active()),
                name="qms_action_open_owner",
            ),
            # Everything a person owns, counted by status without reading the table (their page).
            models.Index(fields=["owner", "status", "id"], name="qms_action_owner_status"),
            # Done actions awaiting their effectiveness check, oldest first (My work of those who check).
            # (With their owners, so those awaiting someone's check are counted off the index alone.)
            models.Index(
                fields=["completed_on", "id"],
                include=["owner"],
                condition=Q(status=ActionStatus.DONE),
                name="qms_action_done_completed",
            ),
            # The list's sort headers, each column with the id that breaks its ties (qms.filters.SortFilter).
            models.Index(fields=["status", "id"], name="qms_action_sort_status"),
            models.Index(fields=["title", "id"], name="qms_action_sort_title"),
            models.Index(fields=["due_date", "id"], name="qms_action_sort_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=ActionKind.values), name="%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=ActionStatus.verified()) | Q(verified_at__isnull=False),
                name="%(app_label)s_%(class)s_verified_has_date",
            ),
            models.CheckConstraint(
                condition=Q(source_type__isnull=True, source_id__isnull=True)
                | Q(source_type__isnull=False, source_id__isnull=False),
                name="%(app_label)s_%(class)s_source_complete",
            ),
        ]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def status_colour(self) -> str:
        return ACTION_STATUS_COLOURS[self.status]

    @property
    def is_active(self) -> bool:
        return self.status in ActionStatus.active()

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_date is not None and self.due_date < timezone.localdate()

    # Lifecycle. Each method changes this one record; services save it and check permissions.
    # --------------------------------------------------------------------------

    def allowed_transitions(self) -> list[str]:
        return {
            ActionStatus.OPEN: [ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED],
            ActionStatus.IN_PROGRESS: [ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.CANCELLED],
            ActionStatus.DONE: [ActionStatus.IN_PROGRESS],
            ActionStatus.NOT_EFFECTIVE: [ActionStatus.IN_PROGRESS],
            ActionStatus.VERIFIED_EFFECTIVE: [],
            ActionStatus.CANCELLED: [],
        }[self.status]

    def move_to(self, status: str, on: date | None = None) -> None:
        """Move along the lifecycle, today or `on` an earlier day; the effectiveness check has its own method."""
        if status not in self.allowed_transitions():
            raise ValidationError(
                {
                    "status": _("An action that is %(current)s cannot become %(new)s.")
                    % {"current": self.get_status_display().lower(), "new": ActionStatus(status).label.lower()}
                }
            )
        if self.status in ActionStatus.verified():  # reopened after a failed check: a new check will follow
            self.verified_by, self.verified_at, self.verification_note = None, None, ""
        self.status = status
        self.completed_on = (on or timezone.localdate()) if status == ActionStatus.DONE else None

    def record_effectiveness(self, *, effective: bool, by, note: str, at: datetime | None = None) -> None:
        """`by` is the person who checked, or None when a KPI named as the measure decided; `at` is
        when, if earlier than now."""
        if self.status != ActionStatus.DONE:
            raise ValidationError({"status": _("Only a done action can be checked for effectiveness.")})
        if not note.strip():
            raise ValidationError({"verification_note": _("Say what showed whether the action worked.")})
        self.status = ActionStatus.VERIFIED_EFFECTIVE if effective else ActionStatus.NOT_EFFECTIVE
        self.verified_by = by
        self.verified_at = at or timezone.now()
        self.verification_note = note.strip()

    @property
    def is_closed(self) -> bool:
        """Checked or cancelled: the record stays as it was closed."""
        return self.status in ActionStatus.closed()

    is_frozen = is_closed

    def completed_by_id(self) -> int | None:
        """Who moved the action to done, this time (from its history)."""
        completed_by = None
        for status, user_id in self.history.order_by("-history_date", "-history_id").values_list(
            "status", "history_user_id"
        ):
            if status != ActionStatus.DONE:
                break
            completed_by = user_id
        return completed_by

    @classmethod
    def user_is_verifier(cls, user) -> bool:
        """Whether `user` judges effectiveness at all; which actions, `user_can_verify` says."""
        return user.is_superuser or user.role in cls.VERIFIER_ROLES

    def user_can_verify(self, user) -> bool:
        """Effectiveness is judged independently: by quality, leadership or an auditor; never by the
        owner, a deputy, or whoever completed the action (who may have handed it over since)."""
        if not user.is_authenticated or not self.user_is_verifier(user):
            return False
        if user.pk == self.owner_id or self.deputies.filter(pk=user.pk).exists():
            return False
        return user.pk != self.completed_by_id()


class ProcessActiveActions(Model):
    """How many active actions are linked to each process, kept on PostgreSQL by triggers on the
    actions and their links (qms migration 0015), whatever writes them: ORM, bulk update, import
    or SQL. The process list and the process page read it instead of counting a busy process's
    20,000 links at every request. See Action.objects.active_counts()."""

    process = models.OneToOneField("processes.Process", on_delete=models.CASCADE, primary_key=True, related_name="+")
    active = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("active actions of a process")
        verbose_name_plural = _("active actions of processes")
