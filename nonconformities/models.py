from datetime import datetime
from typing import Self

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import ActionStatus, Role
from qms.history import HistoryPart, RecordHistory
from qms.models import Action, ProcessLinkedRecord, RecordQuerySet

from .choices import NC_STATUS_COLOURS, NCStatus, Origin, RootCauseMethod, Severity

MAX_WHYS = 5  # the answers a root cause by the 5 whys keeps, as its form offers them


class NonconformityQuerySet(RecordQuerySet):
    def open(self) -> Self:
        return self.filter(status__in=NCStatus.open())

    def complaints(self) -> Self:
        return self.filter(origin=Origin.CUSTOMER_COMPLAINT)

    def awaiting_review_by(self, user) -> Self:
        """Those awaiting an effectiveness review that `user` may make (see user_can_review_effectiveness)."""
        if not (user.is_superuser or user.role in Nonconformity.REVIEWER_ROLES):
            return self.none()
        return self.filter(status=NCStatus.EFFECTIVENESS_REVIEW).exclude(owner=user).exclude(deputies=user)


class Nonconformity(ProcessLinkedRecord):
    """Something that did not conform (ISO 9001 10.2), wherever it was found: an audit finding, a
    customer complaint, a process, a supplier or a KPI breach.

    Its workflow is gated: containment first where needed, then the root cause, and only with a
    root cause the corrective actions (shared actions raised from it); it closes only after someone
    other than its owner has reviewed whether those actions worked.
    """

    REFERENCE_PREFIX = "NC"
    # Who reviews effectiveness, as for actions: never the owner or a deputy.
    REVIEWER_ROLES = frozenset({Role.QUALITY_MANAGER, Role.LEADERSHIP, Role.AUDITOR})
    FROZEN_WHEN = ~Q(status__in=NCStatus.open())
    # The steps of the workflow, each to the steps that may follow it.
    TRANSITIONS = {
        NCStatus.REPORTED: [NCStatus.CONTAINED, NCStatus.ANALYSED, NCStatus.CANCELLED],
        NCStatus.CONTAINED: [NCStatus.ANALYSED, NCStatus.CANCELLED],
        NCStatus.ANALYSED: [NCStatus.CORRECTIVE_ACTION, NCStatus.CANCELLED],
        NCStatus.CORRECTIVE_ACTION: [NCStatus.EFFECTIVENESS_REVIEW, NCStatus.ANALYSED],
        NCStatus.EFFECTIVENESS_REVIEW: [NCStatus.CLOSED, NCStatus.CORRECTIVE_ACTION],
        NCStatus.CLOSED: [],
        NCStatus.CANCELLED: [],
    }

    title = models.CharField(verbose_name=_("title"), max_length=200)
    description = models.TextField(verbose_name=_("what was found"))
    origin = models.CharField(verbose_name=_("source"), max_length=30, choices=Origin.choices)
    severity = models.CharField(
        verbose_name=_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=30, choices=NCStatus.choices, default=NCStatus.REPORTED
    )
    detected_on = models.DateField(verbose_name=_("found on"), default=timezone.localdate)

    # The record it was raised from, if any: an audit finding, a KPI, a process.
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

    # A complaint's customer or a supplier's name, and for complaints when it came in and was answered.
    party = models.CharField(
        verbose_name=_("customer or supplier"),
        max_length=200,
        blank=True,
        help_text=_("Who complained, or who supplied."),
    )
    received_on = models.DateField(verbose_name=_("complaint received on"), null=True, blank=True)
    responded_on = models.DateField(verbose_name=_("customer answered on"), null=True, blank=True)

    containment = models.TextField(
        verbose_name=_("containment and correction"),
        blank=True,
        help_text=_("What was done at once to contain it and correct what it affected."),
    )
    root_cause_method = models.CharField(
        verbose_name=_("root cause method"), max_length=20, choices=RootCauseMethod.choices, blank=True
    )
    whys = models.JSONField(verbose_name=_("5 whys"), default=list, blank=True)
    root_cause = models.TextField(verbose_name=_("root cause"), blank=True)

    effective = models.BooleanField(verbose_name=_("actions effective"), null=True, blank=True, editable=False)
    effectiveness_note = models.TextField(verbose_name=_("effectiveness review"), blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("effectiveness reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    reviewed_at = models.DateTimeField(verbose_name=_("effectiveness reviewed at"), null=True, editable=False)
    closed_on = models.DateField(verbose_name=_("closed on"), null=True, blank=True, editable=False)

    objects = NonconformityQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies", "processes"])
    history_parts = (
        HistoryPart(
            model="qms.Action",
            generic="source",
            label=_("corrective action"),
            fields=("status", "owner", "due_date"),
            added=_("raised"),
        ),
    )

    class Meta:
        ordering = ["-detected_on", "-pk"]
        indexes = [models.Index(fields=["status", "detected_on"], name="nc_status_detected")]
        constraints = [
            models.CheckConstraint(condition=Q(origin__in=Origin.values), name="%(app_label)s_%(class)s_origin"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="%(app_label)s_%(class)s_severity"),
            models.CheckConstraint(condition=Q(status__in=NCStatus.values), name="%(app_label)s_%(class)s_status"),
            models.CheckConstraint(
                condition=Q(source_type__isnull=True, source_id__isnull=True)
                | Q(source_type__isnull=False, source_id__isnull=False),
                name="%(app_label)s_%(class)s_source_complete",
            ),
        ]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def status_colour(self) -> str:
        return NC_STATUS_COLOURS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in NCStatus.open()

    @property
    def is_frozen(self) -> bool:
        return not self.is_open

    def frozen_reason(self) -> str:
        return str(_("A closed or cancelled nonconformity stays as it was closed.")) if self.is_frozen else ""

    @property
    def age_days(self) -> int:
        """Days since it was found, until it closed."""
        return ((self.closed_on or timezone.localdate()) - self.detected_on).days

    @property
    def response_days(self) -> int | None:
        """For a complaint: days from receiving it to answering the customer."""
        if self.received_on and self.responded_on:
            return (self.responded_on - self.received_on).days
        return None

    def clean(self) -> None:
        errors = {}
        if self.origin == Origin.CUSTOMER_COMPLAINT and not self.received_on:
            errors["received_on"] = _("Say when the complaint came in.")
        if self.responded_on and self.received_on and self.responded_on < self.received_on:
            errors["responded_on"] = _("The answer cannot come before the complaint.")
        if (
            not isinstance(self.whys, list)
            or not all(isinstance(w, str) for w in self.whys)
            or len(self.whys) > MAX_WHYS
        ):
            errors["whys"] = _("Give up to five answers, one per why.")
        if errors:
            raise ValidationError(errors)

    # Workflow. Each method changes this one record; services lock, check permissions and save it.
    # --------------------------------------------------------------------------

    def allowed_transitions(self) -> list[str]:
        return list(self.TRANSITIONS[self.status])

    def user_can_review_effectiveness(self, user) -> bool:
        """The review is independent: by quality, leadership or an auditor, never by the owner or a deputy."""
        if not user.is_authenticated or not (user.is_superuser or user.role in self.REVIEWER_ROLES):
            return False
        return user.pk != self.owner_id and not self.deputies.filter(pk=user.pk).exists()

    def has_root_cause(self) -> bool:
        if not (self.root_cause_method and self.root_cause.strip()):
            return False
        return self.root_cause_method != RootCauseMethod.FIVE_WHYS or len([w for w in self.whys if w.strip()]) >= 2

    def move_to(self, status: str) -> None:
        """Move along the workflow, through its gates. The effectiveness review has its own method."""
        if status not in self.allowed_transitions():
            raise ValidationError(
                {"status": _("A nonconformity that is %(current)s cannot become %(new)s.")
                 % {"current": self.get_status_display().lower(), "new": NCStatus(status).label.lower()}}
            )  # fmt: skip
        if status == NCStatus.CONTAINED and not self.containment.strip():
            raise ValidationError({"containment": _("Say how it was contained before marking it contained.")})
        if status in (NCStatus.ANALYSED, NCStatus.CORRECTIVE_ACTION) and not self.has_root_cause():
            raise ValidationError(
                {"root_cause": _("Find the root cause first: name the method and the cause (two whys at least).")}
            )
        if status == NCStatus.EFFECTIVENESS_REVIEW:
            self._check_corrective_actions_done()
        if status == NCStatus.CLOSED:
            raise ValidationError({"status": _("A nonconformity closes with its effectiveness review.")})
        self.status = status

    def _check_corrective_actions_done(self) -> None:
        """Only done work can be reviewed for effectiveness: at least one action raised from it is
        done (or already checked), and none is still open or in progress. Cancelled ones count for neither."""
        actions = Action.objects.raised_by(self)
        still_active = sorted(actions.active().values_list("reference", flat=True))
        if still_active:
            raise ValidationError(
                {"actions": _("Finish its corrective actions first: %(refs)s still open or in progress.")
                 % {"refs": ", ".join(still_active)}}
            )  # fmt: skip
        if not actions.filter(status__in=[ActionStatus.DONE, *ActionStatus.verified()]).exists():
            raise ValidationError(
                {"actions": _("Raise a corrective action from this nonconformity and complete it before the "
                             "effectiveness review; cancelled actions do not count.")}
            )  # fmt: skip

    def record_effectiveness(self, *, effective: bool, by, note: str, at: datetime | None = None) -> None:
        """The effectiveness review of the corrective actions: effective closes the nonconformity;
        not effective sends it back to corrective action. `by` is never its owner (the service checks);
        `at` is when it was made, when that was before now (the demo's past)."""
        if self.status != NCStatus.EFFECTIVENESS_REVIEW:
            raise ValidationError({"status": _("Only a nonconformity awaiting its review can be reviewed.")})
        if not note.strip():
            raise ValidationError({"effectiveness_note": _("Say what showed whether the actions worked.")})
        self.effective, self.effectiveness_note = effective, note.strip()
        self.reviewed_by, self.reviewed_at = by, at or timezone.now()
        if effective:
            self.status, self.closed_on = NCStatus.CLOSED, timezone.localdate(self.reviewed_at)
        else:
            self.status = NCStatus.CORRECTIVE_ACTION
