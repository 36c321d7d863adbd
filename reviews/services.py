"""Writes of the reviews app beyond one form: retiring and reactivating context issues and
interested parties, approving a version of the policy or the scope, and a management review's
steps (preparation, the meeting, its decisions, the signed minutes and their addenda). Each checks
the one permission rule (the models' user_can_*) and records its history."""

import hashlib
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import Process
from qms.choices import ActionKind
from qms.models import Action, User

from .choices import ContextStatus, ReviewInput, ReviewStatus, StatementStatus
from .models import (
    ContextRecord,
    ManagementReview,
    MinutesAddendum,
    ProcessCommentary,
    QmsStatement,
    ReviewAttendance,
    ReviewDecision,
    ReviewInputNote,
)
from .models.review import canonical_json
from .tasks import queue_minutes


@transaction.atomic
def context_set_status(
    *, record: ContextRecord, user: User, status: str, reason: str = "", at: datetime | None = None
) -> ContextRecord:
    """Retire a context issue or an interested party that no longer matters (with the reason,
    which history keeps), or bring a retired one back. `at` is when that happened when it was
    before now (the demo's past); pages record it as it happens."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if not record.user_can_change(user):
        raise PermissionDenied(_("You may view this record but not change it."))
    if status not in ContextStatus.values or record.status == status:
        raise ValidationError(
            _("%(record)s is %(status)s already.") % {"record": record, "status": record.get_status_display().lower()}
        )
    if status == ContextStatus.RETIRED and not reason.strip():
        raise ValidationError({"reason": _("Say why it no longer matters: the history keeps the reason.")})
    record.status = status
    record._change_reason = reason
    record._history_user = user
    if at is not None:
        record._history_date = at
    record.save()
    return record


@transaction.atomic
def statement_approve(
    *, statement: QmsStatement, user: User, comment: str = "", at: datetime | None = None, text_marker: str = ""
) -> QmsStatement:
    """A Leadership member approves a draft of the policy or the scope: it becomes the next
    version, the version approved until now is superseded, and both keep the step in their
    history. `at` is when it was approved when that was before now (the demo's past); pages record
    approvals as they happen. `text_marker` is the draft's text_marker() as it was shown: when the
    text changed since, nothing is approved."""
    # Every version of the kind, locked: two approvals at once take turns and the second finds no draft.
    versions = {v.pk: v for v in QmsStatement.objects.select_for_update().filter(kind=statement.kind)}
    statement = versions[statement.pk]
    if statement.status != StatementStatus.DRAFT:
        raise ValidationError(_("%(record)s is not a draft: it was approved already.") % {"record": statement})
    if not statement.user_can_approve(user):
        raise PermissionDenied(_("A Leadership member other than its drafter approves a new version."))
    if text_marker and text_marker != statement.text_marker():
        raise ValidationError(
            _("The text of %(record)s changed since you read it: nothing was approved. Read it again first.")
            % {"record": statement.reference}
        )
    at = at or timezone.now()
    statement.version = max((v.version or 0) for v in versions.values()) + 1
    for previous in versions.values():
        if previous.status == StatementStatus.APPROVED:
            previous.status = StatementStatus.SUPERSEDED
            previous._change_reason = _("Superseded by version %(n)d") % {"n": statement.version}
            previous._history_user, previous._history_date = user, at
            previous.save()
    statement.status, statement.approved_by, statement.approved_at = StatementStatus.APPROVED, user, at
    statement._change_reason = _("Approved: %(comment)s") % {"comment": comment} if comment else _("Approved")
    statement._history_user, statement._history_date = user, at
    statement.save()
    return statement


# Management review: planning
# ------------------------------------------------------------------------------


def review_defaults(*, planned: date | None = None) -> dict:
    """What a new review starts with: the date proposed from the last review's interval, and the
    period from the day after the last review's period up to the planned date."""
    last = ManagementReview.objects.order_by("-planned_at").first()
    planned = planned or (last.next_proposed_date() if last else timezone.localdate() + timedelta(days=30))
    start = last.period_end + timedelta(days=1) if last else planned - timedelta(days=182)
    return {
        "planned_date": planned,
        "period_start": min(start, planned),
        "period_end": planned,
        "interval_months": last.interval_months if last else 6,
    }


def _lock(review: ManagementReview) -> ManagementReview:
    """The review as stored, its row held for this transaction."""
    return ManagementReview.objects.select_related("owner").select_for_update(of=("self",)).get(pk=review.pk)


def _refuse_if_issued(review: ManagementReview) -> None:
    if review.is_frozen:
        raise PermissionDenied(
            _("The minutes of %(ref)s are issued: nothing in the review changes; add a signed addendum instead.")
            % {"ref": review.reference}
        )


@transaction.atomic
def review_save(*, review: ManagementReview, user: User, attendees, change_note: str = "") -> ManagementReview:
    """Save a review's plan (from the form, already validated) and its invitation list: an invitee
    added gets an attendance row, one removed loses it. A change of date, length or place counts
    up the calendar sequence (ManagementReview.save), so calendars replace the invitation they hold."""
    is_new = review.pk is None
    if is_new:
        if not ManagementReview.user_can_add(user):
            raise PermissionDenied(_("Leadership and quality managers plan management reviews."))
    else:
        stored = _lock(review)
        _refuse_if_issued(stored)
        if not stored.user_can_edit(user):
            raise PermissionDenied(_("The plan of %(ref)s no longer changes.") % {"ref": review.reference})
    review._history_user, review._change_reason = user, change_note
    review.save()
    _set_invited(review, user, {person.pk: person for person in attendees})
    return review


def _set_invited(review: ManagementReview, user: User, wanted: dict) -> None:
    """One attendance row per invitee, each written on its own so history keeps who was invited and removed."""
    current = {row.person_id: row for row in review.attendance.all()}
    for person_id, row in current.items():
        if person_id not in wanted:
            row._history_user = user
            row.delete()
    for person_id, person in wanted.items():
        if person_id not in current:
            row = ReviewAttendance(review=review, person=person)
            row._history_user = user
            row.save()


@transaction.atomic
def review_prepare(*, review: ManagementReview, user: User) -> ManagementReview:
    """The quality manager marks the pack prepared: the review is ready for its meeting."""
    review = _lock(review)
    _refuse_if_issued(review)
    if not review.user_can_prepare(user):
        raise PermissionDenied(_("The quality manager prepares the review, before its meeting."))
    if review.status != ReviewStatus.PLANNED:
        raise ValidationError(_("%(ref)s is prepared already.") % {"ref": review.reference})
    review.status = ReviewStatus.PREPARED
    review._history_user, review._change_reason = user, _("Prepared")
    review.save()
    return review


@transaction.atomic
def review_note_input(
    *,
    review: ManagementReview,
    user: User,
    input: str,
    decision_needed: bool | None = None,
    preparation_note: str | None = None,
    meeting_note: str | None = None,
) -> ReviewInputNote:
    """Write the note of one input (9.3.2 a..f): the preparer's note and decision-needed flag
    before the meeting, the chair's note in it. Only what is given changes."""
    review = _lock(review)
    _refuse_if_issued(review)
    if input not in ReviewInput.values:
        raise ValidationError({"input": _("Not an input of the review.")})
    preparing = decision_needed is not None or preparation_note is not None
    if preparing and not review.user_can_prepare(user):
        raise PermissionDenied(_("The quality manager prepares the inputs, before the meeting."))
    if meeting_note is not None and not review.user_can_run_meeting(user):
        raise PermissionDenied(_("The chair records the meeting's notes, in the meeting."))
    note = ReviewInputNote.objects.filter(review=review, input=input).first() or ReviewInputNote(
        review=review, input=input
    )
    if decision_needed is not None:
        note.decision_needed = decision_needed
    if preparation_note is not None:
        note.preparation_note = preparation_note.strip()
    if meeting_note is not None:
        note.meeting_note = meeting_note.strip()
    note._history_user = user
    note.save()
    return note


@transaction.atomic
def commentary_save(*, review: ManagementReview, process: Process, user: User, text: str) -> ProcessCommentary:
    """A process owner writes their process's commentary for the review (shown in c3), until the
    meeting starts."""
    review = _lock(review)
    _refuse_if_issued(review)
    commentary = ProcessCommentary.objects.filter(review=review, process=process).first() or ProcessCommentary(
        review=review, process=process
    )
    commentary.review = review
    if not commentary.user_can_change(user):
        raise PermissionDenied(
            _("The owner of %(process)s writes its commentary, before the meeting.") % {"process": process}
        )
    if not text.strip():
        raise ValidationError({"text": _("Write a few lines on how the process performed.")})
    commentary.text, commentary.author = text.strip(), user
    commentary._history_user = user
    commentary.save()
    return commentary


# Management review: the meeting
# ------------------------------------------------------------------------------


def compile_pack(review: ManagementReview, today: date | None = None) -> dict:
    """The 9.3.2 pack from live data (reviews.pack); imported here so tests may replace it."""
    from .pack import compile_pack as compile_live_pack

    return compile_live_pack(review, today=today)


@transaction.atomic
def review_start_meeting(*, review: ManagementReview, user: User, at: datetime | None = None) -> ManagementReview:
    """Leadership opens the meeting: the pack is compiled from live data and frozen with its
    SHA-256, in the same transaction as the status, so the minutes show what the meeting saw.
    `at` is for the demo's past."""
    review = _lock(review)
    _refuse_if_issued(review)
    if not review.user_can_start_meeting(user):
        raise PermissionDenied(_("A member of Leadership opens the meeting of a review not yet held."))
    review.freeze_pack(compile_pack(review, today=timezone.localdate(at) if at else None), at=at)
    review.status = ReviewStatus.IN_MEETING
    review._history_user, review._change_reason = user, _("Meeting started: pack frozen")
    if at is not None:
        review._history_date = at
    review.save()
    return review


def _may_run_meeting(review: ManagementReview, user: User) -> None:
    _refuse_if_issued(review)
    if not review.user_can_run_meeting(user):
        raise PermissionDenied(_("Leadership records the meeting of %(ref)s, while it is held.") % {"ref": review})


@transaction.atomic
def review_set_attendance(*, review: ManagementReview, user: User, person: User, present: bool) -> ReviewAttendance:
    """Record whether someone attended; a person not invited who attends is added."""
    review = _lock(review)
    _may_run_meeting(review, user)
    row = ReviewAttendance.objects.filter(review=review, person=person).first() or ReviewAttendance(
        review=review, person=person
    )
    row.present = present
    row._history_user = user
    row.save()
    return row


@transaction.atomic
def review_record_decision(
    *,
    review: ManagementReview,
    user: User,
    input: str,
    kind: str,
    title: str,
    description: str = "",
    owner: User,
    due_date: date,
) -> ReviewDecision:
    """Record a decision (an output of 9.3.3) on one input. It becomes an improvement action in the
    shared actions at once, owned by the person named, due when the decision says, raised from the
    decision; the decision keeps the action it became."""
    review = _lock(review)
    _may_run_meeting(review, user)
    decision = ReviewDecision(
        review=review,
        reference=f"{review.reference}-D{review.decisions.count() + 1}",  # the review's row is locked
        input=input,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        created_by=user,
    )
    decision.full_clean(exclude=["action"])
    if not owner.is_active or owner.is_read_only:
        raise ValidationError({"owner": _("The owner of a decision is an active person who may act on it.")})
    decision._history_user = user
    decision.save()
    action = Action(
        title=decision.title,
        description=decision.description or _("Decided in management review %(review)s.") % {"review": review},
        kind=ActionKind.IMPROVEMENT,
        owner=owner,
        due_date=due_date,
        source=decision,
    )
    action._history_user = user
    action._change_reason = _("Decided in management review %(ref)s") % {"ref": review.reference}
    action.save()
    # The decision's one snapshot names its action: set it there and on the row, not by a second save.
    ReviewDecision.objects.filter(pk=decision.pk).update(action=action)
    decision.history.filter(id=decision.pk).update(action=action)
    decision.action = action
    return decision


# Management review: the minutes
# ------------------------------------------------------------------------------


def minutes_content(review: ManagementReview) -> dict:
    """What the chair signs: the frozen pack's hash, the attendance, the notes per input, the
    decisions with their actions, and the signature. Its canonical JSON gives minutes_sha256, so
    anyone can check later that the minutes are those signed. People are named by id: renaming
    someone later changes nothing that was signed."""
    attendance = review.attendance.order_by("person_id")
    notes = review.input_notes.order_by("input")
    decisions = review.decisions.select_related("action").order_by("pk")
    return {
        "review": {
            "reference": review.reference,
            "title": review.title,
            "planned_at": review.planned_at.isoformat(),
            "period": [review.period_start.isoformat(), review.period_end.isoformat()],
            "chair": review.owner_id,
        },
        "pack": {
            "frozen_at": review.frozen_at.isoformat() if review.frozen_at else None,
            "sha256": review.frozen_pack_sha256,
        },
        "attendance": [{"id": a.person_id, "present": a.present} for a in attendance],
        "notes": [
            {
                "input": n.input,
                "decision_needed": n.decision_needed,
                "preparation_note": n.preparation_note,
                "meeting_note": n.meeting_note,
            }
            for n in notes
        ],
        "decisions": [
            {
                "id": d.pk,
                "input": d.input,
                "kind": d.kind,
                "title": d.title,
                "description": d.description,
                "owner": d.owner_id,
                "due_date": d.due_date.isoformat(),
                "action": d.action.reference if d.action else None,
            }
            for d in decisions
        ],
        "signature": {
            "by": review.minutes_issued_by_id,
            "at": review.minutes_issued_at.isoformat() if review.minutes_issued_at else None,
            "meaning": review.signature_meaning,
        },
    }


def minutes_sha256(review: ManagementReview) -> str:
    return hashlib.sha256(canonical_json(minutes_content(review)).encode()).hexdigest()


def _check_signature(user: User, password: str, meaning: str) -> str:
    """The signer confirms who they are with their password and says what the signature means."""
    if not password or not user.check_password(password):
        raise ValidationError({"password": _("That is not your password: nothing was signed.")})
    meaning = meaning.strip()
    if not meaning:
        raise ValidationError({"meaning": _("Say what your signature means, e.g. “approved as chair”.")})
    return meaning


@transaction.atomic
def review_issue_minutes(
    *, review: ManagementReview, user: User, password: str, meaning: str, at: datetime | None = None
) -> ManagementReview:
    """The chair issues the minutes, confirming with their password and a stated meaning. The time,
    signer, meaning and the SHA-256 of minutes_content() are recorded; after that nothing in the
    review changes (a correction is an addendum with its own signature). `at` is for the demo's past."""
    review = _lock(review)
    if not review.user_can_sign(user):
        raise PermissionDenied(_("Only the chair issues the minutes, once the meeting is held."))
    meaning = _check_signature(user, password, meaning)
    review.minutes_issued_at, review.minutes_issued_by = at or timezone.now(), user
    review.signature_meaning = meaning
    review.minutes_sha256 = minutes_sha256(review)
    review.status = ReviewStatus.ISSUED
    review._history_user, review._change_reason = user, _("Minutes issued: %(meaning)s") % {"meaning": meaning}
    if at is not None:
        review._history_date = at
    review.save()
    queue_minutes(review.pk)
    return review


@transaction.atomic
def review_add_addendum(
    *, review: ManagementReview, user: User, password: str, meaning: str, text: str
) -> MinutesAddendum:
    """The chair corrects issued minutes with an addendum signed like the minutes; the minutes stay
    as issued. Its SHA-256 covers the minutes' hash, the text and the signature."""
    review = _lock(review)
    if not review.user_can_sign_addendum(user):
        raise PermissionDenied(_("The chair signs an addendum to issued minutes."))
    meaning = _check_signature(user, password, meaning)
    if not text.strip():
        raise ValidationError({"text": _("Write the correction.")})
    addendum = MinutesAddendum(review=review, text=text.strip(), signed_by=user, signed_at=timezone.now())
    addendum.meaning = meaning
    addendum.sha256 = hashlib.sha256(
        canonical_json(
            {
                "minutes_sha256": review.minutes_sha256,
                "text": addendum.text,
                "signed_by": {"id": user.pk, "name": str(user)},
                "signed_at": addendum.signed_at.isoformat(),
                "meaning": meaning,
            }
        ).encode()
    ).hexdigest()
    addendum._history_user = user
    addendum.save()
    queue_minutes(review.pk)
    return addendum
