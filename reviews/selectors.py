"""Reads across records for management review: the context that changed, the outputs of earlier reviews."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

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


def earlier_outputs(*, before: datetime | None = None, today: date | None = None) -> dict[str, int]:
    """How many outputs (actions decided in a review) of reviews held before `before` (all reviews
    when None) are still open, and how many of those are overdue: one query."""
    today = today or timezone.localdate()
    actions = Action.objects.active().filter(review_decision__isnull=False)
    if before is not None:
        actions = actions.filter(review_decision__review__planned_at__lt=before)
    return actions.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
