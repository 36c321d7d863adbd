"""Management review on the dashboard, in My work and in the to-dos: the next review, the outputs
of earlier reviews still open and overdue, what changed in the context since the last review, the
commentaries process owners owe the review in preparation, and the decisions a person carries out."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from qms.choices import ActionKind, ActionStatus
from qms.services import action_move
from reviews import services
from reviews.choices import OutputKind, ReviewStatus
from reviews.models import ManagementReview
from reviews.sections import review_summary
from reviews.selectors import commentaries_to_write, review_in_preparation
from tests.factories import ActionFactory, ContextIssueFactory, KPIFactory, ManagementReviewFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def _held_review(chair, *, days_ago: int, decisions: list[tuple]) -> ManagementReview:
    """A review held `days_ago` with its minutes issued, whose decisions are (owner, due in days)."""
    held = timezone.now() - timedelta(days=days_ago)
    review = ManagementReviewFactory(
        owner=chair, planned_at=held, period_start=held.date() - timedelta(days=180), period_end=held.date()
    )
    review.freeze_pack({"sections": []}, at=held)
    review.status = ReviewStatus.IN_MEETING
    review.save()
    for number, (owner, due_in) in enumerate(decisions, start=1):
        services.review_record_decision(
            review=review,
            user=chair,
            input="c3",
            kind=OutputKind.IMPROVEMENT,
            title=f"Decision {number}",
            owner=owner,
            due_date=timezone.localdate() + timedelta(days=due_in),
        )
    ManagementReview.objects.filter(pk=review.pk).update(status=ReviewStatus.ISSUED, minutes_issued_at=held)
    review.refresh_from_db()
    return review


def _card(user) -> dict:
    """What the dashboard's review card shows (the dashboard itself keeps only its drawing)."""
    request = RequestFactory().get(reverse("qms:dashboard"))
    request.user = user
    return review_summary(request).context


def test_dashboard_card_shows_next_review_outputs_and_context_changes(lead, owner, quality, client_for):
    last = _held_review(lead, days_ago=100, decisions=[(owner, -5), (owner, 30), (quality, -1)])
    done = last.decisions.get(title="Decision 2").action
    for status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE):
        action_move(action=done, user=owner, status=status)
    upcoming = ManagementReviewFactory(owner=lead, planned_at=timezone.now() + timedelta(days=20))
    ContextIssueFactory()  # added today: after the last review

    response = client_for(lead).get(reverse("qms:dashboard"))

    card = _card(lead)
    assert card["upcoming"] == upcoming
    assert card["outputs"] == {"open": 2, "overdue": 2}
    assert card["changed_issues"] == 1 and card["changed_parties"] == 0
    assert card["since"] == timezone.localtime(last.planned_at).date()
    html = response.content.decode()
    assert upcoming.reference in html and "2 still open" in html and "2 overdue" in html

    # The count links to the action list showing exactly those actions.
    ActionFactory(kind=ActionKind.IMPROVEMENT)  # raised directly: not an output of a review
    url = card["outputs_url"]
    assert f'href="{url.replace("&", "&amp;")}"' in html
    for page_url in (reverse("qms:dashboard"), reverse("reviews:managementreview_list")):
        assert url.replace("&", "&amp;") in client_for(lead).get(page_url).content.decode()
    listed = client_for(lead).get(url).context["page_obj"].object_list
    assert sorted(a.pk for a in listed) == sorted(
        last.decisions.exclude(title="Decision 2").values_list("action", flat=True)
    )


def test_dashboard_card_proposes_the_next_date_when_none_is_planned(lead, client_for):
    last = _held_review(lead, days_ago=30, decisions=[])
    card = _card(lead)
    assert card["upcoming"] is None
    assert card["proposed"] == last.next_proposed_date()


def test_process_owner_is_asked_to_comment_on_processes_with_kpis(owner, lead, client_for):
    measured, unmeasured = ProcessFactory(owner=owner), ProcessFactory(owner=owner)
    KPIFactory(owner=owner, processes=[measured])
    review = ManagementReviewFactory(owner=lead)

    assert review_in_preparation() == review
    assert list(commentaries_to_write(owner, review)) == [measured]
    page = client_for(owner).get(reverse("qms:my_work")).content.decode()
    assert measured.reference in page and unmeasured.reference not in page
    assert f"{review.get_absolute_url()}#commentaries" in page

    services.commentary_save(review=review, process=measured, user=owner, text="On target all period.")
    assert not commentaries_to_write(owner, review).exists()
    assert measured.reference not in client_for(owner).get(reverse("qms:my_work")).content.decode()


def test_no_commentary_is_asked_once_the_pack_is_frozen(owner, lead):
    process = ProcessFactory(owner=owner)
    KPIFactory(owner=owner, processes=[process])
    review = ManagementReviewFactory(owner=lead)
    services.review_start_meeting(review=review, user=lead)
    assert review_in_preparation() is None
    assert not commentaries_to_write(owner, None).exists()


def test_my_work_lists_the_review_decisions_a_person_carries_out(owner, quality, lead, client_for):
    review = _held_review(lead, days_ago=40, decisions=[(owner, -3), (quality, 10)])
    mine, theirs = review.decisions.get(owner=owner).action, review.decisions.get(owner=quality).action

    page = client_for(owner).get(reverse("qms:my_work")).content.decode()

    assert "Decisions of management reviews I carry out" in page
    assert mine.reference in page and theirs.reference not in page
    decision = review.decisions.get(owner=owner)
    assert f"Improvement opportunity, decided in {decision.reference}" in page


def test_todos_count_commentaries_and_overdue_outputs(owner, lead, client_for):
    process = ProcessFactory(owner=owner)
    KPIFactory(owner=owner, processes=[process])
    _held_review(lead, days_ago=40, decisions=[(owner, -3), (owner, -1), (owner, 5)])
    ManagementReviewFactory(owner=lead)

    todos = {t.order: t for t in client_for(owner).get(reverse("qms:dashboard")).context["todos"]}

    assert todos[50].count == 1  # one process to comment on
    assert todos[51].count == 2  # two decisions overdue


def test_viewer_has_no_review_todos(viewer, client_for):
    ManagementReviewFactory()
    orders = {t.order for t in client_for(viewer).get(reverse("qms:dashboard")).context["todos"]}
    assert not orders & {50, 51}


def test_dashboard_and_my_work_queries_do_not_grow_with_reviews(owner, lead, client_for, django_assert_max_num_queries):
    client = client_for(owner)

    def measure() -> dict[str, int]:
        cache.clear()  # the dashboard's organisation figures, worked out afresh each time
        counts = {}
        for name in ("qms:dashboard", "qms:my_work"):
            with django_assert_max_num_queries(35) as captured:
                client.get(reverse(name))
            counts[name] = len(captured)
        return counts

    process = ProcessFactory(owner=owner)
    KPIFactory(owner=owner, processes=[process])
    _held_review(lead, days_ago=200, decisions=[(owner, -3)])
    ManagementReviewFactory(owner=lead)
    few = measure()
    for days in (150, 100, 50):
        _held_review(lead, days_ago=days, decisions=[(owner, -3), (owner, 4), (lead, -2)])
    for _ in range(3):
        extra = ProcessFactory(owner=owner)
        KPIFactory(owner=owner, processes=[extra])
    assert measure() == few


def test_actions_decided_in_a_review_say_where_they_were_raised(owner, lead, client_for):
    review = _held_review(lead, days_ago=20, decisions=[(owner, 10), (owner, 20)])
    first, second = review.decisions.order_by("pk")
    assert (first.reference, second.reference) == (f"{review.reference}-D1", f"{review.reference}-D2")

    page = client_for(owner).get(reverse("qms:action_list")).content.decode()
    assert f'">{first.reference}</a>' in page and f'">{second.reference}</a>' in page
    assert first.get_absolute_url() in client_for(owner).get(first.action.get_absolute_url()).content.decode()
