"""Reads across the context records, for management review."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef, QuerySet

from objectives.models import KPI
from processes.models import Process
from qms.models import Action

from .models import ContextIssue, InterestedParty, ManagementReview, ProcessCommentary, QmsStatement


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


def review_outputs() -> QuerySet:
    """The actions that decisions of management reviews became (ISO 9001 9.3.3 outputs)."""
    return Action.objects.filter(review_decision__isnull=False)


def review_in_preparation() -> ManagementReview | None:
    """The next review whose pack is still live: the one process owners comment for."""
    return ManagementReview.objects.upcoming().filter(frozen_at__isnull=True).order_by("planned_at").first()


def commentaries_to_write(user, review: ManagementReview | None) -> QuerySet:
    """The processes a person owns or deputises that have active KPIs and no commentary yet in
    `review` (see review_in_preparation): their preparation tasks."""
    if review is None:
        return Process.objects.none()
    return (
        Process.objects.owned_by(user)
        .filter(Exists(KPI.objects.filter(processes=OuterRef("pk"), is_active=True)))
        .exclude(Exists(ProcessCommentary.objects.filter(review=review, process=OuterRef("pk"))))
    )
