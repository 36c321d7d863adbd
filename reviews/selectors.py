"""Reads across records for management review: the context that changed, the outputs of earlier reviews."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from qms.choices import ActionStatus
from qms.models import Action

from .models import ContextIssue, InterestedParty, QmsStatement


@dataclass(frozen=True)
class ContextChanges:
    """What changed in the context of the organisation in a period (ISO 9001 9.3.2 b): each
    queryset is lazy and costs one query."""

    issues: QuerySet  # ContextIssue, with last_change_at and added_in_period
    parties: QuerySet  # InterestedParty, likewise
    statements: QuerySet  # QmsStatement versions of the policy and the scope approved in the period


def context_changes(start: date | datetime, end: date | datetime) -> ContextChanges:
    """The context issues and interested parties added, changed or retired between `start` and
    `end`, and the policy and scope versions approved then. Dates cover whole local days, both
    included; instants bound the period half-open (see models.period_bounds)."""
    return ContextChanges(
        issues=ContextIssue.objects.changed_between(start, end).select_related("owner").order_by("-last_change_at"),
        parties=InterestedParty.objects.changed_between(start, end).select_related("owner").order_by("-last_change_at"),
        statements=QmsStatement.objects.approved_between(start, end).select_related("approved_by"),
    )


# Management review: reads across modules for the pack (see reviews.pack)
# --------------------------------------------------------------------------


def earlier_decisions(review, start: datetime) -> QuerySet:
    """The decisions of the reviews held before `review` whose action is still to be followed up, or
    moved on or after `start` (so the review sees what was closed since the last one), with their
    action and owner, in one query."""
    from .models import ManagementReview, ReviewDecision

    earlier = ManagementReview.objects.filter(planned_at__lt=review.planned_at).exclude(pk=review.pk)
    return (
        ReviewDecision.objects.filter(review__in=earlier)
        .filter(Q(action__isnull=True) | Q(action__status__in=ActionStatus.active()) | Q(action__updated_at__gte=start))
        .select_related("review", "owner", "action")
        .order_by("review__planned_at", "created_at", "pk")
    )


def residual_band_moves(start: datetime, end: datetime) -> list[dict]:
    """The risks and opportunities whose band with controls changed between `start` and `end`
    (instants, end excluded), from their history: the band each had just before `start` (none when
    it was added in the period) and at `end`. One query."""
    from risks.models import Risk

    history = Risk.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date", "-history_id")
    return [
        row
        for row in Risk.objects.annotate(
            band_before=Subquery(history.filter(history_date__lt=start).values("residual_band")[:1]),
            band_after=Subquery(history.filter(history_date__lt=end).values("residual_band")[:1]),
        )
        .filter(
            Exists(Risk.history.model.objects.filter(id=OuterRef("pk"), history_date__gte=start, history_date__lt=end))
        )
        .values("id", "reference", "title", "kind", "status", "band_before", "band_after", "owner_id")
        .order_by("reference")
        if row["band_before"] != row["band_after"]
    ]


def overdue_actions_by_owner(today: date) -> list[dict]:
    """Everyone with overdue actions and how many, most first. One query."""
    return list(
        Action.objects.overdue(today)
        .values("owner_id", "owner__first_name", "owner__last_name", "owner__username")
        .annotate(overdue=Count("id"))
        .order_by("-overdue", "owner__last_name", "owner_id")
    )


def earlier_outputs(*, before: datetime | None = None, today: date | None = None) -> dict[str, int]:
    """How many outputs (actions decided in a review) of reviews held before `before` (all reviews
    when None) are still open, and how many of those are overdue: one query."""
    today = today or timezone.localdate()
    actions = Action.objects.active().filter(review_decision__isnull=False)
    if before is not None:
        actions = actions.filter(review_decision__review__planned_at__lt=before)
    return actions.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))


def commentaries_owed(user) -> list[tuple]:
    """The preparation tasks of a process owner: (review, process) for each review whose meeting
    has not started and each active process the user owns or deputises that has no commentary for
    it yet. Three queries."""
    from processes.models import Process

    from .models import ManagementReview, ProcessCommentary

    reviews = list(ManagementReview.objects.filter(frozen_at__isnull=True).order_by("planned_at"))
    if not reviews or user.is_read_only:
        return []
    processes = list(Process.objects.active().owned_by(user).order_by("reference"))
    commentaries = ProcessCommentary.objects.filter(review__in=reviews, process__in=processes)
    written = set(commentaries.values_list("review_id", "process_id"))
    return [(r, p) for r in reviews for p in processes if (r.pk, p.pk) not in written]
