"""Management review (ISO 9001 9.3): top management looks at the QMS on its inputs (9.3.2, compiled
from live records into a pack), decides (9.3.3, each decision an action), and issues signed minutes.

A review moves planned → prepared → in meeting → minutes issued. When the meeting starts, the pack
is frozen: its figures are stored as canonical JSON with their SHA-256, so the minutes show what
the meeting saw, whatever happens to the live records later. Issued minutes never change; a
correction is an addendum with a signature of its own.
"""

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Self

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.history import HistoryPart, RecordHistory
from qms.models import OwnedRecord, RecordQuerySet
from qms.models.base import Model

from ..choices import REVIEW_STATUS_COLOURS, OutputKind, ReviewInput, ReviewStatus

REVIEW_ROLES = frozenset({Role.LEADERSHIP, Role.QUALITY_MANAGER})


def canonical_json(data) -> str:
    """One spelling of a snapshot, so the same content always has the same bytes and hash."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


class ReviewQuerySet(RecordQuerySet):
    def upcoming(self) -> Self:
        return self.exclude(status=ReviewStatus.ISSUED)

    def past(self) -> Self:
        return self.filter(status=ReviewStatus.ISSUED)

    def latest_issued(self, before=None) -> "ManagementReview | None":
        """The last review whose minutes were issued (before `before`, a planned instant, if given)."""
        reviews = self.past()
        if before is not None:
            reviews = reviews.filter(planned_at__lt=before)
        return reviews.order_by("-planned_at").first()


class ManagementReview(OwnedRecord):
    """One management review. Its owner is the chair, a member of Leadership; the quality manager
    prepares it (quality managers change every record)."""

    REFERENCE_PREFIX = "MR"
    ADD_ROLES = REVIEW_ROLES
    # Actions are raised from a review through its decisions: the action list's "Raised from:
    # Management review" lists them.
    ACTIONS_RAISED_THROUGH = ("reviews.ReviewDecision",)
    FROZEN_WHEN = Q(status=ReviewStatus.ISSUED)
    # The frozen pack is long JSON; its SHA-256 and time show on the History tab instead.
    HISTORY_HIDDEN_FIELDS = ("frozen_pack",)

    title = models.CharField(verbose_name=_("title"), max_length=200)
    planned_at = models.DateTimeField(verbose_name=_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(
        verbose_name=_("duration (minutes)"), default=120, validators=[MinValueValidator(15), MaxValueValidator(960)]
    )
    location = models.CharField(verbose_name=_("where"), max_length=200, blank=True)
    period_start = models.DateField(
        verbose_name=_("period from"),
        help_text=_("The pack covers records from this day; by default the day after the last review."),
    )
    period_end = models.DateField(verbose_name=_("period to"), help_text=_("…to this day, included."))
    interval_months = models.PositiveSmallIntegerField(
        verbose_name=_("next review after (months)"),
        help_text=_("The next review is proposed this many months after this one."),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=20,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PLANNED,
        editable=False,
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        through="ReviewAttendance",
        related_name="reviews_attended",
        blank=True,
    )
    # The calendar invitation: the same UID for every version, SEQUENCE counting its updates, so a
    # calendar replaces the invitation it has instead of adding a second one.
    calendar_uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)

    # The pack as the meeting saw it (set when the meeting starts).
    frozen_at = models.DateTimeField(verbose_name=_("pack frozen at"), null=True, blank=True, editable=False)
    frozen_pack = models.TextField(verbose_name=_("frozen pack"), blank=True, editable=False)
    frozen_pack_sha256 = models.CharField(
        verbose_name=_("frozen pack SHA-256"), max_length=64, blank=True, editable=False
    )

    # The chair's signature of the minutes.
    minutes_issued_at = models.DateTimeField(verbose_name=_("minutes issued at"), null=True, blank=True, editable=False)
    minutes_issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("minutes issued by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    signature_meaning = models.CharField(
        verbose_name=_("meaning of the signature"), max_length=100, blank=True, editable=False
    )
    minutes_sha256 = models.CharField(verbose_name=_("minutes SHA-256"), max_length=64, blank=True, editable=False)
    minutes_pdf = models.FileField(
        verbose_name=_("minutes PDF"), upload_to="reviews/minutes/", blank=True, editable=False
    )
    minutes_pdf_sha256 = models.CharField(
        verbose_name=_("minutes PDF SHA-256"), max_length=64, blank=True, editable=False
    )

    objects = ReviewQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies"])
    history_parts = (
        HistoryPart("attendance", label=_("attendee"), title="person"),
        HistoryPart("input_notes", label=_("input"), title="input"),
        HistoryPart("commentaries", label=_("process commentary"), title="process"),
        HistoryPart("decisions", label=_("decision"), title="title"),
        HistoryPart("addenda", label=_("addendum"), note="text"),
    )

    class Meta:
        ordering = ["-planned_at"]
        indexes = [models.Index(fields=["status", "planned_at"], name="reviews_review_status_date")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReviewStatus.values), name="%(app_label)s_%(class)s_status"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="%(app_label)s_%(class)s_period_in_order"
            ),
        ]
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def chair(self):
        return self.owner

    @property
    def status_colour(self) -> str:
        return REVIEW_STATUS_COLOURS[self.status]

    @property
    def is_frozen(self) -> bool:
        """Issued minutes never change; corrections are addenda."""
        return self.status == ReviewStatus.ISSUED

    @property
    def is_pack_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def ends_at(self):
        return self.planned_at + timedelta(minutes=self.duration_minutes)

    # What a calendar shows of the meeting: a change to any of them is an update of the invitation.
    CALENDAR_FIELDS = ("planned_at", "duration_minutes", "location")

    def save(self, *args, **kwargs) -> None:
        """Count an update of the invitation (SEQUENCE, RFC 5545 3.8.7.4) when the date, time,
        duration or place changed from the stored row, whichever path saved it."""
        update_fields = kwargs.get("update_fields")
        watched = [f for f in self.CALENDAR_FIELDS if update_fields is None or f in update_fields]
        if self.pk is not None and not self._state.adding and watched:
            stored = type(self).objects.filter(pk=self.pk).values(*watched, "calendar_sequence").first()
            if stored and any(stored[f] != getattr(self, f) for f in watched):
                self.calendar_sequence = stored["calendar_sequence"] + 1
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "calendar_sequence"}
        super().save(*args, **kwargs)

    def frozen_data(self) -> dict | None:
        return json.loads(self.frozen_pack) if self.frozen_pack else None

    def freeze_pack(self, data: dict, at: datetime | None = None) -> None:
        """Store the pack as it stands now (`at`, for the demo's past); done once, when the meeting starts."""
        self.frozen_pack = canonical_json(data)
        self.frozen_pack_sha256 = hashlib.sha256(self.frozen_pack.encode()).hexdigest()
        self.frozen_at = at or timezone.now()

    def next_proposed_date(self) -> date:
        return (timezone.localtime(self.planned_at) + relativedelta(months=self.interval_months)).date()

    @staticmethod
    def chair_is_eligible(user) -> bool:
        return user.is_active and user.role == Role.LEADERSHIP

    def user_can_chair(self, user) -> bool:
        """The chair (or, in their absence, another member of Leadership) runs the meeting."""
        return not self.is_frozen and self.chair_is_eligible(user)

    def user_can_sign(self, user) -> bool:
        """Only the chair signs the minutes, in the meeting."""
        return self.status == ReviewStatus.IN_MEETING and user.pk == self.owner_id and self.chair_is_eligible(user)

    def user_can_sign_addendum(self, user) -> bool:
        """A correction to issued minutes is signed by the chair, like the minutes."""
        return self.status == ReviewStatus.ISSUED and user.pk == self.owner_id and self.chair_is_eligible(user)

    def user_can_prepare(self, user) -> bool:
        """The quality manager prepares the pack (notes, decision-needed flags) until the meeting starts."""
        return not self.is_pack_frozen and user.is_active and user.administers_qms

    def user_can_start_meeting(self, user) -> bool:
        """Leadership opens the meeting, which freezes the pack."""
        return self.status in (ReviewStatus.PLANNED, ReviewStatus.PREPARED) and self.user_can_chair(user)

    def user_can_run_meeting(self, user) -> bool:
        """In the meeting, Leadership (and the quality manager, as secretary) records notes,
        decisions and attendance."""
        return self.status == ReviewStatus.IN_MEETING and (
            self.chair_is_eligible(user) or (user.is_active and user.administers_qms)
        )

    def user_can_edit(self, user) -> bool:
        """The plan (title, date, chair, attendees, period) changes until the meeting starts."""
        return not self.is_pack_frozen and self.user_can_change(user)

    def clean(self) -> None:
        errors = {}
        if self.owner_id and not self.chair_is_eligible(self.owner):
            errors["owner"] = _("The chair is a member of Leadership.")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period cannot end before it starts.")
        if errors:
            raise ValidationError(errors)


class ReviewPart(Model):
    """A record inside a review: it changes with the review, by those who may change it, and
    never once the minutes are issued."""

    class Meta:
        abstract = True

    def user_can_change(self, user) -> bool:
        return not self.review.is_frozen and self.review.user_can_change(user)


class ReviewAttendance(ReviewPart):
    """Who is invited, and whether they attended (unknown until the meeting records it)."""

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    present = models.BooleanField(verbose_name=_("present"), null=True, blank=True)

    history = RecordHistory()

    class Meta:
        ordering = ["review", "person__last_name", "person__first_name"]
        constraints = [models.UniqueConstraint(fields=["review", "person"], name="reviews_attendance_once")]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self) -> str:
        return str(self.person)


class ReviewInputNote(ReviewPart):
    """One input of the pack in one review: the preparer's note and whether a decision is needed,
    and the chair's note from the meeting."""

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="input_notes")
    input = models.CharField(verbose_name=_("input"), max_length=4, choices=ReviewInput.choices)
    decision_needed = models.BooleanField(verbose_name=_("decision needed"), default=False)
    preparation_note = models.TextField(verbose_name=_("preparer's note"), blank=True)
    meeting_note = models.TextField(verbose_name=_("meeting note"), blank=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    history = RecordHistory()

    class Meta:
        ordering = ["review", "input"]
        constraints = [
            models.UniqueConstraint(fields=["review", "input"], name="reviews_input_note_once"),
            models.CheckConstraint(condition=Q(input__in=ReviewInput.values), name="%(app_label)s_%(class)s_input"),
        ]
        verbose_name = _("review input note")
        verbose_name_plural = _("review input notes")

    def __str__(self) -> str:
        return self.get_input_display()


class ProcessCommentary(ReviewPart):
    """A process owner's short commentary on their process's performance for a review (shown in c3)."""

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="commentaries")
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(verbose_name=_("commentary"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    history = RecordHistory()

    class Meta:
        ordering = ["review", "process__reference"]
        constraints = [models.UniqueConstraint(fields=["review", "process"], name="reviews_commentary_once")]
        verbose_name = _("process commentary")
        verbose_name_plural = _("process commentaries")

    def __str__(self) -> str:
        return str(self.process)

    def user_can_change(self, user) -> bool:
        """The process's owner and deputies write it, until the meeting starts."""
        return not self.review.is_pack_frozen and self.process.user_can_change(user)


class ReviewDecision(ReviewPart):
    """A decision of the review (an output of ISO 9001 9.3.3), made on one input. It becomes an
    action in the shared actions at once, owned by the person it names; the action carries it on."""

    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="decisions")
    # The review's reference and the decision's number in it (MR-002-D3): what the actions it
    # became show as where they were raised from, without reading the review.
    reference = models.CharField(verbose_name=_("reference"), max_length=30, editable=False)
    input = models.CharField(verbose_name=_("input"), max_length=4, choices=ReviewInput.choices)
    kind = models.CharField(verbose_name=_("type"), max_length=20, choices=OutputKind.choices)
    title = models.CharField(verbose_name=_("decision"), max_length=200)
    description = models.TextField(verbose_name=_("details"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(verbose_name=_("due date"))
    action = models.OneToOneField(
        "qms.Action",
        verbose_name=_("action"),
        on_delete=models.PROTECT,
        related_name="review_decision",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )

    history = RecordHistory()

    class Meta:
        ordering = ["review", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(input__in=ReviewInput.values), name="%(app_label)s_%(class)s_input"),
            models.CheckConstraint(condition=Q(kind__in=OutputKind.values), name="%(app_label)s_%(class)s_kind"),
        ]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")

    def __str__(self) -> str:
        """What an action raised from the decision shows as its source: the decision's reference,
        its type and the review's reference ("MR-003-D2 · Change to the QMS, management review
        MR-003"), read from the decision's own row."""
        return _("%(ref)s · %(kind)s, management review %(review)s") % {
            "ref": self.reference,
            "kind": self.get_kind_display(),
            "review": self.review_reference,
        }

    def get_absolute_url(self) -> str:
        """The decision in the minutes of its review (the minutes tab has one anchor per decision)."""
        return f"{reverse('reviews:managementreview_minutes', args=[self.review_id])}#decision-{self.pk}"

    @property
    def review_reference(self) -> str:
        return self.reference.rpartition("-D")[0]

    def user_can_change(self, user) -> bool:
        """Decisions are recorded in the meeting, by the chair or a quality manager."""
        return self.review.user_can_run_meeting(user)


class MinutesAddendum(Model):
    """A correction to issued minutes, signed by the chair like the minutes; the minutes stay as issued."""

    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(verbose_name=_("correction"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(verbose_name=_("signed at"))
    meaning = models.CharField(verbose_name=_("meaning of the signature"), max_length=100)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)

    history = RecordHistory()

    class Meta:
        ordering = ["review", "signed_at"]
        verbose_name = _("minutes addendum")
        verbose_name_plural = _("minutes addenda")

    def __str__(self) -> str:
        return _("Addendum of %(date)s") % {"date": timezone.localtime(self.signed_at).date()}
