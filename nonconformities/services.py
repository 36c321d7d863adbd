"""Nonconformity writes: raising one from wherever it was found, moving it through its gated
workflow, and its effectiveness review."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from processes.models import Process
from qms.models import User

from .choices import NCStatus, Severity
from .models import Nonconformity


@transaction.atomic
def nonconformity_raise(
    *,
    user: User,
    owner: User,
    title: str,
    description: str,
    origin: str,
    severity: str = Severity.MINOR,
    processes: list[Process] | None = None,
    source: models.Model | None = None,
    **details,
) -> Nonconformity:
    """Record a nonconformity where it was found: from an audit finding, a KPI or a process page,
    or as a customer complaint (`party`, `received_on`) or a supplier's (`party`)."""
    if not Nonconformity.user_can_add(user):
        raise PermissionDenied(_("Your role may not record nonconformities."))
    nc = Nonconformity(owner=owner, title=title, description=description, origin=origin, severity=severity, **details)
    nc.source = source
    nc.full_clean(exclude=["reference"])
    nc._history_user = user
    nc.save()
    if processes:
        nc.processes.set(processes)
    return nc


@transaction.atomic
def nonconformity_move(*, nc: Nonconformity, user: User, status: str, note: str = "") -> Nonconformity:
    """Move a nonconformity along its workflow, through its gates; the note goes into the history."""
    nc = _locked(nc)
    if not nc.user_can_change(user):
        raise PermissionDenied(_("You may not change this nonconformity."))
    if status == NCStatus.CANCELLED and not note.strip():
        raise ValidationError({"note": _("Say why the nonconformity is cancelled.")})
    nc.move_to(status)
    nc._change_reason, nc._history_user = note, user
    nc.save()
    return nc


@transaction.atomic
def nonconformity_review_effectiveness(
    *, nc: Nonconformity, user: User, effective: bool, note: str, at: datetime | None = None
) -> Nonconformity:
    """Quality, leadership or an auditor other than its owner and deputies reviews whether the
    corrective actions worked: effective closes it, not effective sends it back to corrective action."""
    nc = _locked(nc)
    if not nc.user_can_review_effectiveness(user):
        raise PermissionDenied(
            _("The effectiveness review is made by quality, leadership or an auditor, never the owner or a deputy.")
        )
    nc.record_effectiveness(effective=effective, by=user, note=note, at=at)
    nc._history_user = user
    nc.save()
    return nc


def _locked(nc: Nonconformity) -> Nonconformity:
    """The nonconformity as stored, its row held for this transaction."""
    return Nonconformity.objects.select_for_update().get(pk=nc.pk)
