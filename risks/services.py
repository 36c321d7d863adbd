"""Risk writes beyond one form: reviews, approving an acceptance, rescoring after the matrix
changes, and the review reminders."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms.history import bulk_update_with_history
from qms.models import User
from qms.services import notification_mail

from .choices import Band, RiskStatus, band_colour, band_label
from .models import Risk, RiskMatrix, RiskReview

BATCH = 1000
# Statuses in which an accepted risk is left to run on its approval.
LEFT_TO_RUN = (RiskStatus.MONITORED, RiskStatus.CLOSED)
SCORE_FIELDS = ["inherent_score", "residual_score", "inherent_band", "residual_band"]
APPROVER_RULE = gettext_lazy(
    "Accepting a high or critical risk is approved by Leadership, never by its owner, a deputy or whoever "
    "last wrote its rationale."
)


@transaction.atomic
def risk_review_record(
    *,
    risk: Risk,
    user: User,
    likelihood: int,
    impact: int,
    note: str,
    next_review_date: date | None = None,
    reviewed_on: date | None = None,
) -> RiskReview:
    """Record a review: its scores become the risk's residual scores, and the next review date moves."""
    if not risk.user_can_change(user):
        raise PermissionDenied(_("Only the risk's owner, deputies and quality managers review it."))
    reviewed_on = reviewed_on or timezone.localdate()
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": _("A review cannot be dated in the future.")})
    if next_review_date is None and risk.status != RiskStatus.CLOSED:
        raise ValidationError({"next_review_date": _("Set the next review: an open risk stays under review.")})
    if next_review_date is not None and next_review_date <= reviewed_on:
        raise ValidationError({"next_review_date": _("The next review must come after this one.")})
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    risk.residual_likelihood, risk.residual_impact = likelihood, impact
    risk.next_review_date = next_review_date
    risk.score(RiskMatrix.current())
    reason = _("Review: %(note)s") % {"note": note[:80]}
    if risk.approval_lapsed and risk.needs_acceptance_approval and risk.status in LEFT_TO_RUN:
        risk.status = RiskStatus.IN_TREATMENT
        reason = _("Review found a new band: back in treatment until Leadership approves it")
    risk.full_clean(exclude=["owner", "reference"])
    risk._change_reason = reason
    risk._history_user = user  # also outside a request (the shell, tasks)
    risk.save()
    review = RiskReview(
        risk=risk,
        reviewer=user,
        reviewed_on=reviewed_on,
        likelihood=likelihood,
        impact=impact,
        score=risk.residual_score,
        band=risk.residual_band,
        note=note,
        next_review_date=next_review_date,
    )
    review._history_user = user
    review.save()
    return review


@transaction.atomic
def risk_approve_acceptance(*, risk: Risk, user: User, comment: str = "") -> Risk:
    """A Leadership member approves accepting a high or critical risk, with its rationale as it
    stands; the comment goes into the history with the approval."""
    risk = Risk.objects.select_for_update().get(pk=risk.pk)  # approve what is stored, not what the caller saw
    if not risk.user_can_approve(user):
        raise PermissionDenied(APPROVER_RULE)
    if not risk.needs_acceptance_approval:
        raise ValidationError(_("This risk needs no approval to be accepted."))
    if not risk.acceptance_rationale.strip():
        raise ValidationError(_("Write down why the risk is accepted before it is approved."))
    risk.approve_acceptance(user)
    risk._change_reason = (
        _("Acceptance approved: %(comment)s") % {"comment": comment} if comment else _("Acceptance approved")
    )
    risk._history_user = user
    risk.save()
    return risk


@transaction.atomic
def risks_rescore(*, user: User | None = None) -> int:
    """After the matrix changed: every risk's stored scores and bands, in bulk and kept in history.
    An approval of acceptance lapses where the residual band moved. Returns how many changed."""
    matrix = RiskMatrix.current()
    changed = []
    for risk in Risk.objects.select_for_update().order_by("pk").iterator(chunk_size=BATCH):
        before = (risk.inherent_score, risk.residual_score, risk.inherent_band, risk.residual_band)
        risk.score(matrix)
        if before != (risk.inherent_score, risk.residual_score, risk.inherent_band, risk.residual_band):
            if risk.approval_lapsed:
                risk.accepted_by, risk.accepted_at, risk.accepted_rationale_sha256 = None, None, ""
            changed.append(risk)
    bulk_update_with_history(
        changed,
        Risk,
        [*SCORE_FIELDS, "accepted_by", "accepted_at", "accepted_rationale_sha256"],
        user=user,
        reason=_("Rescored on the new matrix"),
    )
    return len(changed)


@dataclass(frozen=True)
class BandMove:
    """A risk whose band would move on a new matrix: before controls, with controls, or both
    (each a (from, to) pair of bands, or None where it stays)."""

    pk: int
    reference: str
    title: str
    inherent: tuple[Band | None, Band | None] | None
    residual: tuple[Band | None, Band | None] | None
    approval_lapses: bool


def risks_band_moves(*, matrix: RiskMatrix) -> list[BandMove]:
    """What saving `matrix` (not saved yet) would do: the risks and opportunities whose band would
    move, in reference order, and whether their approved acceptance would lapse (it holds for the
    band it approved). Bands are worked out in the database, in one query."""
    thresholds = matrix.band_thresholds

    def new_band(stage: str) -> Case:
        score = f"new_{stage}_score"  # NULL when a level is missing, as Risk.score() leaves it
        return Case(
            When(Q(**{f"{score}__isnull": True}) | Q(**{score: 0}), then=Value("")),
            *(When(**{f"{score}__gte": thresholds[band]}, then=Value(band)) for band in reversed(Band.values[1:])),
            default=Value(Band.LOW),
            output_field=CharField(),
        )

    rows = (
        Risk.objects.annotate(
            new_inherent_score=F("inherent_likelihood") * F("inherent_impact"),
            new_residual_score=F("residual_likelihood") * F("residual_impact"),
        )
        .annotate(new_inherent_band=new_band("inherent"), new_residual_band=new_band("residual"))
        .filter(~Q(inherent_band=F("new_inherent_band")) | ~Q(residual_band=F("new_residual_band")))
        .order_by("reference")
        .values_list(
            "pk", "reference", "title", "inherent_band", "new_inherent_band", "residual_band", "new_residual_band",
            "accepted_by",
        )
    )  # fmt: skip
    return [
        BandMove(
            pk=pk,
            reference=reference,
            title=title,
            inherent=(_band(inherent), _band(new_inherent)) if inherent != new_inherent else None,
            residual=(_band(residual), _band(new_residual)) if residual != new_residual else None,
            approval_lapses=accepted_by is not None and residual != new_residual,
        )
        for pk, reference, title, inherent, new_inherent, residual, new_residual, accepted_by in rows
    ]


def _band(value: str) -> Band | None:
    return Band(value) if value else None


def band_moves_key(moves: list[BandMove]) -> str:
    """A short fingerprint of what a matrix change would move: a confirmation holds only for the
    moves the person saw."""
    text = ";".join(f"{m.pk}:{m.inherent}:{m.residual}:{m.approval_lapses}" for m in moves)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def risks_notify_review_overdue(*, today: date | None = None) -> int:
    """E-mail the owner of each risk whose review date has passed, once per risk and review date."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Risk.objects.review_overdue(today).exclude(owner__email="").select_related("owner")
    for risk in overdue.in_batches(BATCH):
        sent += notification_mail(
            kind="risk_review_overdue",
            record=risk,
            key=risk.next_review_date.isoformat(),
            recipient=risk.owner,
            subject=_("Review due: %(risk)s") % {"risk": risk},
            body=render_to_string("emails/risk_review_overdue.txt", {"risk": risk, "site_url": settings.SITE_URL}),
        )
    return sent


def heat_map_counts(risks: QuerySet[Risk]) -> dict[str, dict[tuple[int, int], int]]:
    """How many of `risks` sit in each (likelihood, impact) cell, before ("inherent") and with
    ("residual") controls; a risk not yet scored at a stage is in neither's cells. One pass over the
    open risks' score index (risks_risk_heat), grouped by both cells at once."""
    counts: dict[str, dict[tuple[int, int], int]] = {"inherent": defaultdict(int), "residual": defaultdict(int)}
    scores = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
    for *cells, n in risks.values_list(*scores).annotate(n=Count("*")).order_by():
        for stage, cell in zip(counts, (tuple(cells[:2]), tuple(cells[2:])), strict=True):
            if None not in cell:
                counts[stage][cell] += n
    return counts


def heat_map_rows(matrix: RiskMatrix, kind: str, counts: dict[tuple[int, int], int]) -> list[dict]:
    """The rows of a heat map, highest likelihood first: each cell with its levels, how many risks
    sit in it (`counts` by (likelihood, impact)), its score and its band's colour and name. The
    register's heat map and the evidence pack draw the same cells."""
    return [
        {
            "level": likelihood,
            "name": matrix.likelihood_levels[likelihood - 1],
            "cells": [
                _heat_cell(matrix, kind, likelihood, impact, counts.get((likelihood, impact), 0))
                for impact in range(1, matrix.columns + 1)
            ],
        }
        for likelihood in range(matrix.rows, 0, -1)
    ]


def _heat_cell(matrix: RiskMatrix, kind: str, likelihood: int, impact: int, count: int) -> dict:
    band = matrix.band(likelihood * impact)
    return {
        "likelihood": likelihood,
        "impact": impact,
        "count": count,
        "score": likelihood * impact,
        "colour": band_colour(kind, band),
        "band": band_label(kind, band).lower(),
    }
