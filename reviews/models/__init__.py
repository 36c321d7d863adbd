from .context import (
    RECENT_MONTHS,
    ContextIssue,
    ContextQuerySet,
    ContextRecord,
    InterestedParty,
    QmsStatement,
    QmsStatementQuerySet,
    period_bounds,
    recent_since,
)
from .review import (
    ManagementReview,
    MinutesAddendum,
    ProcessCommentary,
    ReviewAttendance,
    ReviewDecision,
    ReviewInputNote,
    ReviewQuerySet,
)

__all__ = [
    "RECENT_MONTHS",
    "ContextIssue",
    "ContextQuerySet",
    "ContextRecord",
    "InterestedParty",
    "ManagementReview",
    "MinutesAddendum",
    "ProcessCommentary",
    "QmsStatement",
    "QmsStatementQuerySet",
    "ReviewAttendance",
    "ReviewDecision",
    "ReviewInputNote",
    "ReviewQuerySet",
    "period_bounds",
    "recent_since",
]
