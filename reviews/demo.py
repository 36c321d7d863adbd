"""Builder of the demo context (reviews/demo.yaml): context issues and interested parties as their
owners wrote and changed them over the past years, and the versions of the quality policy and the
QMS scope, drafted by the quality manager and approved by Leadership.

Their history carries the dates the data gives, not the day of seeding, so "changed in the last 6
months" and the changes between two reviews show what the demo company really changed when.
"""

from datetime import datetime, time

from django.db.models import Max, Min
from django.utils import timezone

from qms.demo_loader import Demo, builds
from qms.models import User

from . import services
from .choices import ContextStatus
from .models import ContextIssue, InterestedParty, QmsStatement

WRITTEN_AT = time(10, 0)  # the time of day the demo's people write


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
