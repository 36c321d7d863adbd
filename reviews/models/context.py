"""The context of the organisation (ISO 9001 4.1 to 4.3, 5.2): its internal and external issues, its
interested parties and their requirements, and the versioned scope statement and quality policy.

Management review asks what changed in these between two dates (9.3.2 b). Every write leaves a
snapshot in the records' history tables, so `changed_between` answers it from those tables in one
query, whatever path made the change.
"""

import calendar
import hashlib
from datetime import date, datetime, time, timedelta
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.history import RecordHistory
from qms.models import OwnedRecord, ProcessLinkedRecord, RecordQuerySet

from ..choices import (
    CATEGORIES,
    CONTEXT_STATUS_COLOURS,
    EFFECT_COLOURS,
    STATEMENT_STATUS_COLOURS,
    ContextStatus,
    Effect,
    IssueCategory,
    IssueSide,
    PartyKind,
    StatementKind,
    StatementStatus,
)

# Until reviews exist, "recently changed" means changed in this many months.
RECENT_MONTHS = 6


def period_bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """The instants a period runs between, start included and end excluded. A date stands for the
    whole local day: from 1 Jan to 30 Jun covers both days in full."""
    if not isinstance(start, datetime):
        start = timezone.make_aware(datetime.combine(start, time.min))
    if not isinstance(end, datetime):
        end = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return start, end


def recent_since(now: datetime | None = None) -> datetime:
    """The start of the window in which a record counts as recently changed."""
    now = now or timezone.now()
    month = now.month - 1 - RECENT_MONTHS
    year, month = now.year + month // 12, month % 12 + 1
    return now.replace(year=year, month=month, day=min(now.day, calendar.monthrange(year, month)[1]))


class ContextQuerySet(RecordQuerySet):
    def active(self) -> Self:
        return self.filter(status=ContextStatus.ACTIVE)

    def review_overdue(self, today: date | None = None) -> Self:
        return self.active().filter(review_date__lt=today or timezone.localdate())

    def _history_in(self, start: datetime, end: datetime | None = None):
        rows = self.model.history.model.objects.filter(id=OuterRef("pk"), history_date__gte=start)
        return rows if end is None else rows.filter(history_date__lt=end)

    def changed_between(self, start: date | datetime, end: date | datetime) -> Self:
        """The records that were added, changed or retired in the period (see period_bounds), by any
        path, each with `last_change_at` (its latest change in the period) and `added_in_period`.
        One query: a subquery on the history table, which is indexed by date."""
        start, end = period_bounds(start, end)
        changes = self._history_in(start, end)
        return self.annotate(
            last_change_at=Subquery(changes.order_by("-history_date").values("history_date")[:1]),
            added_in_period=Exists(changes.filter(history_type="+")),
        ).filter(last_change_at__isnull=False)

    def with_recent_change(self, since: datetime | None = None) -> Self:
        """Each record with `changed_recently`: whether its history has an entry since `since`
        (RECENT_MONTHS ago by default)."""
        return self.annotate(changed_recently=Exists(self._history_in(since or recent_since())))

    def changed_recently(self, changed: bool = True, since: datetime | None = None) -> Self:
        """The records changed since `since` (RECENT_MONTHS ago by default), or those not changed."""
        recent = Exists(self._history_in(since or recent_since()))
        return self.filter(recent if changed else ~recent)


class ContextRecord(ProcessLinkedRecord):
    """What context issues and interested parties share: processes concerned, an owner who keeps
    them current, a date by which they are looked at again, and retirement instead of deletion.
    A retired record stays as it was retired until someone reactivates it."""

    FROZEN_WHEN = Q(status=ContextStatus.RETIRED)

    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=ContextStatus.choices,
        default=ContextStatus.ACTIVE,
        editable=False,
    )
    review_date = models.DateField(
        verbose_name=_("next review"), help_text=_("When the owner looks at it again."), null=True, blank=True
    )

    objects = ContextQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_frozen(self) -> bool:
        return self.status == ContextStatus.RETIRED

    @property
    def status_colour(self) -> str:
        return CONTEXT_STATUS_COLOURS[self.status]

    @property
    def review_overdue(self) -> bool:
        return (
            self.status == ContextStatus.ACTIVE
            and self.review_date is not None
            and self.review_date < timezone.localdate()
        )


class ContextIssue(ContextRecord):
    """An internal or external issue relevant to the organisation's purpose that affects its
    ability to achieve the intended results of its QMS (ISO 9001 4.1)."""

    REFERENCE_PREFIX = "CTX"

    title = models.CharField(verbose_name=_("title"), max_length=200)
    side = models.CharField(verbose_name=_("internal or external"), max_length=10, choices=IssueSide.choices)
    category = models.CharField(verbose_name=_("category"), max_length=20, choices=IssueCategory.choices)
    effect = models.CharField(
        verbose_name=_("effect on the QMS"),
        help_text=_("Whether it helps the QMS achieve its intended results, works against it, or both."),
        max_length=10,
        choices=Effect.choices,
        default=Effect.NEGATIVE,
    )
    description = models.TextField(verbose_name=_("description"), blank=True)
    effect_detail = models.TextField(
        verbose_name=_("how it affects the QMS"),
        help_text=_("What it means for our processes, products and customers, and what we do about it."),
        blank=True,
    )

    history = RecordHistory(m2m_fields=["deputies", "processes"])

    class Meta:
        ordering = ["side", "category", "reference"]
        constraints = [
            models.CheckConstraint(condition=Q(side__in=IssueSide.values), name="%(app_label)s_%(class)s_side"),
            models.CheckConstraint(
                condition=Q(category__in=IssueCategory.values), name="%(app_label)s_%(class)s_category"
            ),
            models.CheckConstraint(condition=Q(effect__in=Effect.values), name="%(app_label)s_%(class)s_effect"),
            models.CheckConstraint(condition=Q(status__in=ContextStatus.values), name="%(app_label)s_%(class)s_status"),
        ]
        verbose_name = _("context issue")
        verbose_name_plural = _("context issues")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def effect_colour(self) -> str:
        return EFFECT_COLOURS[self.effect]

    def clean(self) -> None:
        if self.side in CATEGORIES and self.category and self.category not in CATEGORIES[self.side]:
            raise ValidationError(
                {
                    "category": _("For an %(side)s issue choose one of: %(choices)s.")
                    % {
                        "side": IssueSide(self.side).label.lower(),
                        "choices": ", ".join(str(c.label).lower() for c in CATEGORIES[self.side]),
                    }
                }
            )


class InterestedParty(ContextRecord):
    """A party relevant to the QMS, with its requirements that matter to us and how we keep track
    of them (ISO 9001 4.2)."""

    REFERENCE_PREFIX = "IP"

    name = models.CharField(verbose_name=_("name"), max_length=200)
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=PartyKind.choices)
    requirements = models.TextField(
        verbose_name=_("relevant requirements"), help_text=_("What they need or expect from us that matters.")
    )
    monitoring = models.TextField(
        verbose_name=_("how we monitor them"),
        help_text=_("Where we learn of their requirements and how they change: reviews, surveys, portals…"),
        blank=True,
    )

    history = RecordHistory(m2m_fields=["deputies", "processes"])

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PartyKind.values), name="%(app_label)s_%(class)s_kind"),
            models.CheckConstraint(condition=Q(status__in=ContextStatus.values), name="%(app_label)s_%(class)s_status"),
        ]
        verbose_name = _("interested party")
        verbose_name_plural = _("interested parties")

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class QmsStatementQuerySet(RecordQuerySet):
    def current(self, kind: str) -> "QmsStatement | None":
        """The approved version of the policy or the scope, if there is one."""
        return self.filter(kind=kind, status=StatementStatus.APPROVED).first()

    def approved_between(self, start: date | datetime, end: date | datetime) -> Self:
        """Versions approved in the period (see period_bounds)."""
        start, end = period_bounds(start, end)
        return self.filter(approved_at__gte=start, approved_at__lt=end)


class QmsStatement(OwnedRecord):
    """One version of the QMS scope statement (ISO 9001 4.3) or of the quality policy (5.2).

    The quality manager drafts a version; a Leadership member other than its drafter approves it,
    which numbers it and supersedes the version approved before. Approved and superseded versions
    never change; one version of each is approved at a time. Drafts may be several (alternative
    wordings, say): the one approved becomes the next version.
    """

    ADD_ROLES = frozenset({Role.QUALITY_MANAGER})
    FROZEN_WHEN = ~Q(status=StatementStatus.DRAFT)
    PREFIXES = {StatementKind.POLICY: "POL", StatementKind.SCOPE: "SCP"}

    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=StatementKind.choices)
    # Numbered when approved, so the numbers count the versions that were in force, in order.
    version = models.PositiveSmallIntegerField(verbose_name=_("version"), null=True, blank=True, editable=False)
    text = models.TextField(verbose_name=_("text"))
    change_summary = models.CharField(
        verbose_name=_("what changed"),
        help_text=_("In a sentence, what this version changes and why."),
        max_length=300,
        blank=True,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=StatementStatus.choices,
        default=StatementStatus.DRAFT,
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    approved_at = models.DateTimeField(verbose_name=_("approved at"), null=True, blank=True, editable=False)

    objects = QmsStatementQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies"])

    class Meta:
        ordering = ["kind", F("version").desc(nulls_first=True), "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StatementKind.values), name="%(app_label)s_%(class)s_kind"),
            models.CheckConstraint(
                condition=Q(status__in=StatementStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.UniqueConstraint(fields=["kind", "version"], name="reviews_statement_one_number_per_version"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status=StatementStatus.APPROVED),
                name="reviews_statement_one_approved_version",
            ),
        ]
        verbose_name = _("policy or scope version")
        verbose_name_plural = _("policy and scope versions")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def title(self) -> str:
        if self.version is None:
            return _("%(kind)s, draft") % {"kind": self.get_kind_display()}
        return _("%(kind)s, version %(version)s") % {"kind": self.get_kind_display(), "version": self.version}

    def reference_prefix(self) -> str:
        return self.PREFIXES[self.kind]

    def get_list_url(self) -> str:
        """The page of the policy or the scope with all its versions."""
        return reverse(f"reviews:{self.kind}")

    @property
    def status_colour(self) -> str:
        return STATEMENT_STATUS_COLOURS[self.status]

    @property
    def is_frozen(self) -> bool:
        return self.status != StatementStatus.DRAFT

    def user_can_approve(self, user) -> bool:
        """Leadership approves a draft, never one they drafted, co-own or last changed (four eyes)."""
        return (
            self.status == StatementStatus.DRAFT
            and user.is_active
            and (user.is_superuser or user.role == Role.LEADERSHIP)
            and user.pk not in (self.owner_id, self.created_by_id, self.updated_by_id)
            and user.pk not in {deputy.pk for deputy in self.deputies.all()}
        )

    def text_marker(self) -> str:
        """Names the text as shown to the approver, so an approval is of the words read."""
        return hashlib.sha256(self.text.encode()).hexdigest()
