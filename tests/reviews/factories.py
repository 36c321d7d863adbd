"""Factories of management reviews for the reviews tests."""

from datetime import date, timedelta

import factory
from django.utils import timezone

from reviews.choices import ReviewInput, ReviewStatus
from reviews.models import ManagementReview, ReviewAttendance, ReviewDecision
from tests import factories


class ManagementReviewFactory(factories.ManagementReviewFactory):
    """A planned review ten days ahead of the first half of 2026, chaired by a member of Leadership,
    with its attendees."""

    class Meta:
        model = ManagementReview
        skip_postgeneration_save = True

    planned_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=10))
    location = "Board room"
    period_start = date(2026, 1, 1)
    period_end = date(2026, 6, 30)

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        if create and extracted:
            for person in extracted:
                ReviewAttendance.objects.create(review=self, person=person)


class ReviewDecisionFactory(factories.ReviewDecisionFactory):
    """A decision on c3), due in a month, with its action."""

    class Meta:
        model = ReviewDecision

    review = factory.SubFactory(ManagementReviewFactory)
    input = ReviewInput.C3
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" viewBox="0 0 200 80">'
    '<polyline points="0,70 50,40 100,50 150,20 200,10" fill="none" stroke="#1f3a5f" stroke-width="2"/></svg>'
)


def sample_pack(review) -> dict:
    """A pack in the shape reviews.pack.compile_pack gives, small enough to read in a test."""
    sections = []
    for code, label in ReviewInput.choices:
        sections.append(
            {
                "input": code,
                "title": str(label),
                "decision_needed": code == ReviewInput.C3,
                "note": "Scrap rose in Q2." if code == ReviewInput.C3 else "",
                "figures": [{"label": "Open", "value": 3, "colour": "warning"}],
                "charts": [{"ref": "KPI-001", "title": "KPI-001 First-pass yield", "url": "/objectives/kpis/1/",
                            "svg": CHART}] if code == ReviewInput.C5 else [],
                "tables": [{"key": f"t-{code}", "title": f"Records of {code}", "columns": ["Ref", "Title", "Status"],
                            "rows": [{"ref": "ACT-001", "url": "/actions/1/", "cells": [
                                {"text": "ACT-001", "url": "/actions/1/", "colour": ""},
                                {"text": f"Frozen row of {code}", "url": "", "colour": ""},
                                {"text": "Overdue", "url": "", "colour": "danger"}]}],
                            "total": 1, "more_url": "", "empty": "None."}],
                "links": [],
            }
        )  # fmt: skip
    period = {"start": review.period_start.isoformat(), "end": review.period_end.isoformat()}
    return {"version": 1, "review": {"id": review.pk, "reference": review.reference}, "period": period,
            "sections": sections}  # fmt: skip


def freeze(review, pack: dict | None = None):
    review.freeze_pack(pack if pack is not None else sample_pack(review))
    review.status = ReviewStatus.IN_MEETING
    review.save()
    return review


def issue(review, meaning: str = "approved as chair"):
    """The review as the chair's signature leaves it (the workflow's service does this on its page)."""
    if not review.is_pack_frozen:
        freeze(review)
    review.status = ReviewStatus.ISSUED
    review.minutes_issued_at, review.minutes_issued_by = timezone.now(), review.owner
    review.signature_meaning = meaning
    review.minutes_sha256 = "ab" * 32
    review.save()
    return review
