"""Builder of the demo context (reviews/demo.yaml): context issues and interested parties as their
owners wrote and changed them over the past years, and the versions of the quality policy and the
QMS scope, drafted by the quality manager and approved by Leadership.

Their history carries the dates the data gives, not the day of seeding, so "changed in the last 6
months" and the changes between two reviews show what the demo company really changed when.
"""

from datetime import datetime, time, timedelta

from django.db.models import Max, Min
from django.utils import timezone

from processes.models import Process
from qms.choices import ActionStatus
from qms.demo import walk_action
from qms.demo_loader import Demo, DemoDataError, builds
from qms.models import User

from . import services
from .choices import ContextStatus, ReviewInput, ReviewStatus
from .models import ContextIssue, InterestedParty, ManagementReview, ProcessCommentary, QmsStatement

WRITTEN_AT = time(10, 0)  # the time of day the demo's people write
MEETS_AT = time(9, 30)  # management reviews start then


@builds("context_issues", "interested_parties", "statements", order=60)
def seed_context(demo: Demo, *, context_issues: list, interested_parties: list, statements: list) -> dict[str, int]:
    for section, model, entries in (
        ("context_issues", ContextIssue, context_issues),
        ("interested_parties", InterestedParty, interested_parties),
    ):
        for _number, fields in demo.entries(section, entries):
            _seed_context_record(demo, model, fields)
    for _number, fields in demo.entries("statements", statements):
        _seed_statement(demo, fields)
    for model in (ContextIssue, InterestedParty, QmsStatement):
        _stamp_as_history_says(model)
    return {
        "context issues": len(context_issues),
        "interested parties": len(interested_parties),
        "policy and scope versions": len(statements),
    }


def _when(demo: Demo, value) -> datetime:
    return timezone.make_aware(datetime.combine(demo.date(value), WRITTEN_AT))


def _seed_context_record(demo: Demo, model, fields: dict) -> None:
    changes, retired = fields.pop("changes", []), fields.pop("retired", None)
    recorded = _when(demo, fields.pop("recorded", "-2y"))
    owner = demo.get(User, fields.get("owner"))
    record = demo.create(model, fields, by=owner, _history_date=recorded)
    for _number, change in demo.entries("changes", changes):
        by = demo.get(User, change.pop("by", fields.get("owner")))
        record._history_date, record._change_reason = _when(demo, change.pop("when")), change.pop("note", "")
        demo.change(record, change, by=by)
    del record._history_date
    if retired:
        with demo.acting_as(owner):
            services.context_set_status(
                record=record,
                user=owner,
                status=ContextStatus.RETIRED,
                reason=retired["reason"],
                at=_when(demo, retired["when"]),
            )


def _seed_statement(demo: Demo, fields: dict) -> None:
    drafter = demo.get(User, fields.pop("drafted_by"))
    approver, approved = fields.pop("approved_by", None), fields.pop("approved", None)
    drafted = _when(demo, fields.pop("drafted"))
    statement = demo.create(QmsStatement, fields, by=drafter, owner=drafter, _history_date=drafted)
    del statement._history_date
    if approver:
        approver = demo.get(User, approver)
        with demo.acting_as(approver):
            services.statement_approve(statement=statement, user=approver, at=_when(demo, approved))


def _stamp_as_history_says(model) -> None:
    """Created and last changed when the history says, rather than on the day of seeding. (Only
    these two stamps, which history does not show, are written without a snapshot.)"""
    stamps = model.history.values("id").annotate(first=Min("history_date"), last=Max("history_date")).order_by()
    for row in stamps:
        model.objects.filter(pk=row["id"]).update(created_at=row["first"], updated_at=row["last"])


@builds("reviews", order=90)
def seed_reviews(demo: Demo, *, reviews: list) -> dict[str, int]:
    """Management reviews, each walked as its people would: the quality manager plans and prepares
    it, process owners comment, and for a review already held the chair opens the meeting (which
    freezes the pack), records attendance, notes and decisions, and signs the minutes."""
    quality = demo.first(User, role="quality_manager")
    decisions = 0
    previous = None
    for _number, fields in demo.entries("reviews", reviews):
        review = _seed_review(demo, fields, quality, previous)
        decisions += review.decisions.count()
        previous = review
    return {"management reviews": len(reviews), "review decisions": decisions}


def _seed_review(demo: Demo, fields: dict, quality: User, previous: ManagementReview | None) -> ManagementReview:
    held = timezone.make_aware(datetime.combine(demo.date(fields.pop("held")), MEETS_AT))
    chair = demo.get(User, fields.pop("chair"))
    attendees = [demo.get(User, key) for key in fields.pop("attendees", [])]
    absent = {demo.get(User, key) for key in fields.pop("absent", [])}
    inputs, commentaries = fields.pop("inputs", {}), fields.pop("commentaries", {})
    decisions, issued = fields.pop("decisions", []), fields.pop("issued", False)
    status = fields.pop("status", ReviewStatus.ISSUED if issued else ReviewStatus.PLANNED)
    start = previous.period_end + timedelta(days=1) if previous else (held - timedelta(days=182)).date()
    review = ManagementReview(
        title=fields.pop("title"),
        owner=chair,
        planned_at=held,
        duration_minutes=int(fields.pop("hours", 2) * 60),
        location=fields.pop("location", ""),
        interval_months=fields.pop("interval_months", 6),
        period_start=start,
        period_end=held.date() - timedelta(days=1),
    )
    if fields:
        raise DemoDataError(f"a review has no {', '.join(fields)}.")
    review.full_clean(exclude=["reference"])
    review._history_date = held - timedelta(days=30)  # planned a month ahead
    with demo.acting_as(quality):
        services.review_save(review=review, user=quality, attendees=attendees)
        for code, note in inputs.items():
            if code not in ReviewInput.values:
                raise DemoDataError(
                    f"{code!r} is not an input of the review: write one of {', '.join(ReviewInput.values)}."
                )
            if note.get("prepared") or note.get("decision_needed"):
                services.review_note_input(
                    review=review,
                    user=quality,
                    input=code,
                    decision_needed=note.get("decision_needed", False),
                    preparation_note=note.get("prepared", ""),
                )
    for key, text in commentaries.items():
        process = demo.get(Process, key)
        with demo.acting_as(process.owner):
            services.commentary_save(review=review, process=process, user=process.owner, text=text)
    # Written the week before the meeting (or today, for one still ahead), as history also says.
    written = min(held - timedelta(days=7), timezone.now())
    review.commentaries.update(updated_at=written)
    ProcessCommentary.history.filter(review_id=review.pk).update(history_date=written)
    if status in (ReviewStatus.PREPARED, ReviewStatus.ISSUED):
        with demo.acting_as(quality):
            services.review_prepare(review=review, user=quality)
    if status == ReviewStatus.ISSUED:
        _hold_meeting(demo, review, chair, held, attendees, absent, inputs, decisions)
    del review._history_date
    return review


def _hold_meeting(demo, review, chair, held, attendees, absent, inputs, decisions) -> None:
    """The meeting and its minutes, on the day it was held; then the decisions' actions as their
    owners carried them on since."""
    with demo.acting_as(chair):
        services.review_start_meeting(review=review, user=chair, at=held)
        for person in attendees:
            services.review_set_attendance(review=review, user=chair, person=person, present=person not in absent)
        for code, note in inputs.items():
            if note.get("minutes"):
                services.review_note_input(review=review, user=chair, input=code, meeting_note=note["minutes"])
        made = []
        for _number, fields in demo.entries("decisions", decisions):
            status, effectiveness = fields.pop("status", ActionStatus.OPEN), fields.pop("effectiveness", "")
            decision = services.review_record_decision(
                review=review,
                user=chair,
                input=fields.pop("input"),
                kind=fields.pop("kind"),
                title=fields.pop("title"),
                description=fields.pop("description", ""),
                owner=demo.get(User, fields.pop("owner")),
                due_date=demo.date(fields.pop("due")),
            )
            made.append((decision, status, effectiveness))
        services.review_issue_minutes(
            review=review, user=chair, password=demo.password, meaning="approved as chair", at=held + timedelta(hours=3)
        )
    for decision, status, effectiveness in made:
        walk_action(demo, decision.action, status, effectiveness=effectiveness)
