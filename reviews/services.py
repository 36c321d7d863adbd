"""Writes on the context records beyond one form: retiring and reactivating context issues and
interested parties, and approving a version of the policy or the scope."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.models import User

from .choices import ContextStatus, StatementStatus
from .models import ContextRecord, QmsStatement


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
