"""Counts that stay right and cheap at scale: sections count every record, not the rows they show;
lists count open actions per row."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from nonconformities import sections as nc_sections
from qms.choices import ActionStatus
from reviews import sections as review_sections
from risks import sections as risk_sections
from risks.choices import Strategy
from risks.sections import SECTION_ROWS, process_risks
from tests.factories import (
    ActionFactory,
    ContextIssueFactory,
    InterestedPartyFactory,
    KPIFactory,
    ManagementReviewFactory,
    NonconformityFactory,
    ProcessFactory,
    ReviewDecisionFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_the_process_risks_section_counts_every_open_risk_not_the_rows_it_shows():
    process = ProcessFactory()
    RiskFactory.create_batch(SECTION_ROWS + 5, processes=[process])

    section = process_risks(None, process)

    assert len(section.context["risks"]) == SECTION_ROWS and section.count == SECTION_ROWS + 5


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_process_context_section_counts_every_issue_and_party_not_the_rows_it_shows():
    process = ProcessFactory()
    rows = review_sections.SECTION_ROWS
    ContextIssueFactory.create_batch(rows + 2, processes=[process])
    InterestedPartyFactory.create_batch(3, processes=[process])

    section = review_sections.process_context(None, process)

    assert len(section.context["issues"]) == rows and section.context["more_issues"]
    assert len(section.context["parties"]) == 3 and not section.context["more_parties"]
    assert section.count == rows + 2 + 3


def test_my_work_counts_every_review_output_and_process_to_comment_not_the_rows_it_shows(owner):
    rows = review_sections.SECTION_ROWS
    ReviewDecisionFactory.create_batch(rows + 1, owner=owner)
    ManagementReviewFactory(planned_at=timezone.now() + timedelta(days=20))
    for process in ProcessFactory.create_batch(rows + 2, owner=owner):
        KPIFactory(processes=[process])

    outputs = review_sections.my_review_outputs(request_by(owner))
    preparation = review_sections.review_preparation(request_by(owner))

    assert len(outputs.context["actions"]) == rows and outputs.count == rows + 1
    assert len(preparation.context["processes"]) == rows and preparation.count == rows + 2


def test_my_work_shows_the_first_acceptances_awaiting_approval_and_counts_them_all(lead):
    accepted = dict(residual_likelihood=4, residual_impact=4, strategy=Strategy.ACCEPT, acceptance_rationale="Cost")
    RiskFactory.create_batch(SECTION_ROWS + 3, **accepted)

    section = risk_sections.acceptances_awaiting_my_approval(request_by(lead))

    assert len(section.context["risks"]) == SECTION_ROWS and section.count == SECTION_ROWS + 3


def test_process_and_people_lists_count_open_actions(client_for, quality):
    person = UserFactory(first_name="Olga", last_name="Novak")
    process = ProcessFactory(name="Machining")
    ActionFactory.create_batch(3, owner=person, processes=[process])
    ActionFactory(owner=person, processes=[process], status=ActionStatus.CANCELLED)

    processes = client_for(quality).get(reverse("processes:process_list")).context["object_list"]
    people = client_for(quality).get(reverse("qms:user_list"), {"q": "Novak"}).context["object_list"]

    assert {p.name: p.open_actions for p in processes}["Machining"] == 3
    assert [p.open_actions for p in people] == [3]


@pytest.mark.parametrize("deputised", [0, 2])
def test_my_work_counts_every_risk_review_due_and_nonconformity_held(owner, deputised):
    """Owned and deputised alike, counted apart from the rows shown: under a full section, and over."""
    overdue = timezone.localdate() - timedelta(days=1)
    someone = UserFactory()
    for holder, n in ((owner, SECTION_ROWS - 3), (someone, deputised)):
        for risk in RiskFactory.create_batch(n, owner=holder, next_review_date=overdue):
            if holder is someone:
                risk.deputies.add(owner)
        for nc in NonconformityFactory.create_batch(n, owner=holder):
            if holder is someone:
                nc.deputies.add(owner)
    RiskFactory(owner=someone, next_review_date=overdue)
    NonconformityFactory(owner=someone)

    reviews = risk_sections.my_reviews_due(request_by(owner))
    ncs = nc_sections.my_nonconformities(request_by(owner))

    held = SECTION_ROWS - 3 + deputised
    assert reviews.count == held and len(reviews.context["risks"]) == min(held, SECTION_ROWS)
    assert ncs.count == held and len(ncs.context["ncs"]) == min(held, nc_sections.SECTION_ROWS)
