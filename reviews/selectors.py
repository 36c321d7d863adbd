"""Reads across records for management review: the context that changed, the outputs of earlier reviews."""

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from objectives.models import KPI
from processes.models import Process
from qms.choices import ActionStatus
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


def open_outputs_url() -> str:
    """The action list showing exactly the outputs of reviews still open (earlier_outputs' count)."""
    query = urlencode(
        {"source_type": ContentType.objects.get_for_model(ManagementReview).pk, "status": ActionStatus.active()},
        doseq=True,
    )
    return f"{reverse('qms:action_list')}?{query}"


def review_in_preparation() -> ManagementReview | None:
    """The next review whose pack is still live: the one process owners comment for."""
    return ManagementReview.objects.upcoming().filter(frozen_at__isnull=True).order_by("planned_at").first()


def processes_to_comment(review: ManagementReview) -> QuerySet:
    """The processes whose commentary `review` still waits for: active processes with active KPIs
    (c3 shows their performance) and no commentary in the review yet."""
    return (
        Process.objects.active()
        .filter(Exists(KPI.objects.filter(processes=OuterRef("pk"), is_active=True)))
        .exclude(Exists(ProcessCommentary.objects.filter(review=review, process=OuterRef("pk"))))
    )


def commentaries_to_write(user, review: ManagementReview | None) -> QuerySet:
    """Of processes_to_comment, those a person owns or deputises: their preparation tasks for the
    review in preparation (see review_in_preparation)."""
    if review is None:
        return Process.objects.none()
    return processes_to_comment(review).owned_by(user)


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
    actions = review_outputs().active()
    if before is not None:
        actions = actions.filter(review_decision__review__planned_at__lt=before)
    return actions.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
