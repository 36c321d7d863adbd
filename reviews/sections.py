"""The reviews app's sections: a process's context issues and interested parties, the context
reviews due from the user, the next management review and its outputs on the dashboard, the
preparation tasks and review outputs in My work; and which records are open, for a person's page
and hand-over."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, first_rows, first_rows_for, record_kind, section
from qms.models import Action, count_each, prepared_count_each

from .choices import ContextStatus, ReviewStatus, StatementStatus
from .models import ContextIssue, InterestedParty, ManagementReview, QmsStatement, recent_since
from .selectors import commentaries_to_write, earlier_outputs, open_outputs_url, review_in_preparation, review_outputs

SECTION_ROWS = 15


@section("process", place=40)
def process_context(request, process) -> Section:
    """The issues and parties that concern the process: two queries, whatever their number."""
    since = recent_since()
    issues, issue_count = first_rows(
        ContextIssue.objects.active().filter(processes=process).with_recent_change(since).select_related("owner"),
        SECTION_ROWS,
    )
    parties, party_count = first_rows(
        InterestedParty.objects.active().filter(processes=process).with_recent_change(since).select_related("owner"),
        SECTION_ROWS,
    )
    return Section(
        title=_("Context: issues and interested parties"),
        template="reviews/sections/process_context.html",
        context={
            "issues": issues,
            "more_issues": issue_count > len(issues),
            "parties": parties,
            "more_parties": party_count > len(parties),
            "process": process,
            "recent_since": since,
        },
        count=issue_count + party_count,
    )


@section("todo")
def context_reviews_todo(request) -> list[Todo]:
    """The person's context issues and interested parties whose review date has passed."""
    user = request.user
    counts = prepared_count_each(
        "context_reviews_todo",
        user,
        lambda user: {
            "issues": ContextIssue.objects.review_overdue().held_by(user),
            "parties": InterestedParty.objects.review_overdue().held_by(user),
        },
    )
    issues, parties = counts["issues"], counts["parties"]
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


@section("dashboard")
def review_summary(request) -> Section:
    """The next review (or the date the last one proposed), the outputs of reviews still open and
    overdue, and what changed in the context since the last review: four queries."""
    today = timezone.localdate()
    upcoming = ManagementReview.objects.upcoming().select_related("owner").order_by("planned_at").first()
    last = ManagementReview.objects.latest_issued()
    outputs = earlier_outputs(today=today)
    since = timezone.localtime(last.planned_at).date() if last else recent_since().date()
    changed = count_each(
        request.user,
        issues=ContextIssue.objects.changed_between(since, today),
        parties=InterestedParty.objects.changed_between(since, today),
    )
    return Section(
        title=_("Management review"),
        template="reviews/sections/dashboard.html",
        context={
            "upcoming": upcoming,
            "last": last,
            "proposed": last.next_proposed_date() if last and not upcoming else None,
            "outputs": outputs,
            "outputs_url": open_outputs_url(),
            "since": since,
            "changed_issues": changed["issues"],
            "changed_parties": changed["parties"],
        },
        order=50,
    )


@section("my_work")
def review_preparation(request) -> Section | None:
    """The processes the person should comment on for the next review."""
    review = review_in_preparation()
    processes, count = first_rows(commentaries_to_write(request.user, review).order_by("reference"), SECTION_ROWS)
    if not processes:
        return None
    return Section(
        title=_("Management review: comment on your processes"),
        template="reviews/sections/preparation.html",
        context={"review": review, "processes": processes},
        order=50,
        count=count,
    )


@section("my_work")
def my_review_outputs(request) -> Section | None:
    """The open actions that management reviews decided and the person owns or deputises."""
    actions, count = first_rows_for(
        "my_review_outputs",
        request.user,
        lambda user: review_outputs().active().owned_by(user).order_by("due_date", "pk"),
        Action.objects.select_related("review_decision__review"),
        SECTION_ROWS,
    )
    if not actions:
        return None
    return Section(
        title=_("Decisions of management reviews I carry out"),
        template="reviews/sections/outputs.html",
        context={"actions": actions, "today": timezone.localdate()},
        order=51,
        count=count,
    )


@section("todo")
def review_todos(request) -> list[Todo]:
    """Commentaries to write for the next review and review outputs overdue: two queries (none
    for viewers, who do neither)."""
    user = request.user
    if user.is_read_only:
        return []
    review = review_in_preparation()
    to_comment = commentaries_to_write(user, review).count() if review else 0
    overdue = prepared_count_each(
        "review_outputs_overdue", user, lambda user: {"n": review_outputs().overdue().held_by(user)}
    )["n"]
    return [
        Todo(
            label=ngettext(
                "%(n)d process to comment on for the management review",
                "%(n)d processes to comment on for the management review",
                to_comment,
            )
            % {"n": to_comment},
            count=to_comment,
            url=f"{review.get_absolute_url()}#commentaries" if review else "",
            icon="easel",
            order=50,
        ),
        Todo(
            label=ngettext(
                "%(n)d decision of a management review is overdue",
                "%(n)d decisions of management reviews are overdue",
                overdue,
            )
            % {"n": overdue},
            count=overdue,
            url=reverse("qms:my_work"),
            icon="easel",
            urgent=True,
            order=51,
        ),
    ]


record_kind(ManagementReview, open_when=~Q(status=ReviewStatus.ISSUED))
record_kind(ContextIssue, open_when=Q(status=ContextStatus.ACTIVE), owner_filter="owner")
record_kind(InterestedParty, open_when=Q(status=ContextStatus.ACTIVE), title="name", owner_filter="owner")
record_kind(QmsStatement, open_when=Q(status=StatementStatus.DRAFT), title="reference")
