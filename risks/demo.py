"""Builder of the demo risks and opportunities (risks/demo.yaml), scored on the default matrix.

Each is created by its owner; its treatments are actions raised from it, as "Add a treatment
action" on its page raises them, walked to their state by their people; its reviews go through
the review service, oldest first, acting as the reviewer, so the score's history shows; and
Leadership approves an acceptance where the data says so, before the risk takes its status.
"""

from dataclasses import dataclass

from qms.choices import ActionKind
from qms.demo import demo_action
from qms.demo_loader import Demo, DemoDataError, builds, parse
from qms.models import User

from . import services
from .choices import RiskKind, RiskStatus
from .models import Risk

STAGES = ("inherent", "residual", "target")


@dataclass(frozen=True, kw_only=True)
class _Review:
    """A review, and the scores with controls it found: [likelihood, impact]."""

    reviewed_on: str
    reviewer: str
    scores: list
    note: str


SECTIONS = {"risks": RiskKind.RISK, "opportunities": RiskKind.OPPORTUNITY}


@builds(*SECTIONS, order=50)
def seed_risks(demo: Demo, **sections: list) -> dict[str, int]:
    made = {section: len(entries) for section, entries in sections.items()}
    made |= {"treatment actions": 0, "risk reviews": 0}
    for section, kind in SECTIONS.items():
        for _number, fields in demo.entries(section, sections[section]):
            treatments, reviews = _seed_risk(demo, kind, fields)
            made["treatment actions"] += treatments
            made["risk reviews"] += reviews
    return made


def _seed_risk(demo: Demo, kind: str, fields: dict) -> tuple[int, int]:
    """One risk or opportunity with its treatments, reviews and approval; returns how many
    treatments and reviews it got."""
    reviews, treatments = fields.pop("reviews", []), fields.pop("treatments", [])
    approved_by, status = fields.pop("approved_by", None), fields.pop("status", RiskStatus.IDENTIFIED)
    levels = {stage: fields.pop(stage, None) for stage in STAGES}
    found = [parse(_Review, review) for _number, review in demo.entries("reviews", reviews)]
    if found and found[-1].scores != levels["residual"]:
        raise DemoDataError("the latest review must find the residual scores.")
    # A reviewed risk starts from the scores of its first review, which the later ones move.
    if found:
        levels["residual"] = found[0].scores
    next_review = demo.date(fields.pop("next_review_date", None))
    risk = demo.create(
        Risk,
        fields,
        by=demo.get(User, fields.get("owner")),
        kind=kind,
        status=RiskStatus.ASSESSED if approved_by else status,  # monitored once the acceptance is approved
        next_review_date=demo.date(found[0].reviewed_on) if found else next_review,
        **_levels(levels),
    )
    default_kind = ActionKind.IMPROVEMENT if risk.is_opportunity else ActionKind.PREVENTIVE
    for _number, treatment in demo.entries("treatments", treatments):
        treatment.setdefault("kind", default_kind)
        treatment.setdefault("processes", fields.get("processes", []))  # as "Add a treatment action" sets them
        demo_action(demo, treatment, by=risk.owner, source=risk)
    for index, _entry in enumerate(demo.entries("reviews", reviews)):
        review, reviewer = found[index], demo.get(User, found[index].reviewer)
        likelihood, impact = _pair("scores", review.scores)
        # Each review plans the next for the day it took place; the latest plans the risk's next review.
        later = found[index + 1 :]
        with demo.acting_as(reviewer):
            services.risk_review_record(
                risk=risk,
                user=reviewer,
                likelihood=likelihood,
                impact=impact,
                note=review.note,
                next_review_date=demo.date(later[0].reviewed_on) if later else next_review,
                reviewed_on=demo.date(review.reviewed_on),
            )
    if approved_by:
        approver = demo.get(User, approved_by)
        with demo.acting_as(approver):
            services.risk_approve_acceptance(risk=risk, user=approver)
    risk = Risk.objects.get(pk=risk.pk)  # as the reviews and the approval left it, as its page loads it
    if risk.status != status:
        demo.change(risk, {"status": status}, by=risk.owner)
    return len(treatments), len(reviews)


def _levels(levels: dict[str, list | None]) -> dict[str, int | None]:
    """The likelihood and impact of each stage, from its [likelihood, impact] pair."""
    fields = {}
    for stage, pair in levels.items():
        fields[f"{stage}_likelihood"], fields[f"{stage}_impact"] = _pair(stage, pair) if pair else (None, None)
    return fields


def _pair(name: str, pair) -> tuple[int, int]:
    if not isinstance(pair, list) or len(pair) != 2:
        raise DemoDataError(f"{name} is [likelihood, impact], not {pair!r}.")
    return pair[0], pair[1]
