"""The reviews app's sections: a process's context issues and interested parties, the context
reviews due from the user; and which context records are open, for a person's page and hand-over."""

from django.db.models import F, Func, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, record_kind, section
from qms.models import User

from .choices import ContextStatus, StatementStatus
from .models import ContextIssue, InterestedParty, QmsStatement, recent_since

SECTION_ROWS = 15


@section("process")
def process_context(request, process) -> Section:
    """The issues and parties that concern the process: two queries, whatever their number."""
    since = recent_since()
    issues = list(
        ContextIssue.objects.active()
        .filter(processes=process)
        .with_recent_change(since)
        .select_related("owner")[: SECTION_ROWS + 1]
    )
    parties = list(
        InterestedParty.objects.active()
        .filter(processes=process)
        .with_recent_change(since)
        .select_related("owner")[: SECTION_ROWS + 1]
    )
    return Section(
        title=_("Context: issues and interested parties"),
        template="reviews/sections/process_context.html",
        context={
            "issues": issues[:SECTION_ROWS],
            "more_issues": len(issues) > SECTION_ROWS,
            "parties": parties[:SECTION_ROWS],
            "more_parties": len(parties) > SECTION_ROWS,
            "process": process,
            "recent_since": since,
        },
        order=40,
        count=len(issues[:SECTION_ROWS]) + len(parties[:SECTION_ROWS]),
    )


def _count(queryset) -> Subquery:
    """How many rows `queryset` has, as a subquery, to count several kinds in one query."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


@section("todo")
def context_reviews_todo(request) -> list[Todo]:
    """The person's context issues and interested parties whose review date has passed."""
    user = request.user
    issues, parties = (
        User.objects.filter(pk=user.pk)
        .values_list(
            _count(ContextIssue.objects.owned_by(user).review_overdue()),
            _count(InterestedParty.objects.owned_by(user).review_overdue()),
        )
        .get()
    )
    return [
        Todo(
            label=ngettext(
                "%(n)d of your context issues is due for review",
                "%(n)d of your context issues are due for review",
                issues,
            )
            % {"n": issues},
            count=issues,
            url=f"{reverse('reviews:contextissue_list')}?mine=true&review_overdue=true",
            icon="globe2",
            urgent=True,
            order=65,
        ),
        Todo(
            label=ngettext(
                "%(n)d of your interested parties is due for review",
                "%(n)d of your interested parties are due for review",
                parties,
            )
            % {"n": parties},
            count=parties,
            url=f"{reverse('reviews:interestedparty_list')}?mine=true&review_overdue=true",
            icon="people",
            urgent=True,
            order=66,
        ),
    ]


record_kind(ContextIssue, open_when=Q(status=ContextStatus.ACTIVE), owner_filter="owner")
record_kind(InterestedParty, open_when=Q(status=ContextStatus.ACTIVE), title="name", owner_filter="owner")
record_kind(QmsStatement, open_when=Q(status=StatementStatus.DRAFT), title="reference")
