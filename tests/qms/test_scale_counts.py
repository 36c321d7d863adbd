"""Counts that stay right and cheap at scale: sections count every record, not the rows they show;
lists count open actions per row."""

import pytest
from django.urls import reverse

from qms.choices import ActionStatus
from risks.sections import SECTION_ROWS, process_risks
from tests.factories import ActionFactory, ProcessFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_process_risks_section_counts_every_open_risk_not_the_rows_it_shows():
    process = ProcessFactory()
    RiskFactory.create_batch(SECTION_ROWS + 5, processes=[process])

    section = process_risks(None, process)

    assert len(section.context["risks"]) == SECTION_ROWS and section.count == SECTION_ROWS + 5


def test_process_and_people_lists_count_open_actions(client_for, quality):
    person = UserFactory(first_name="Olga", last_name="Novak")
    process = ProcessFactory(name="Machining")
    ActionFactory.create_batch(3, owner=person, processes=[process])
    ActionFactory(owner=person, processes=[process], status=ActionStatus.CANCELLED)

    processes = client_for(quality).get(reverse("processes:process_list")).context["object_list"]
    people = client_for(quality).get(reverse("qms:user_list"), {"q": "Novak"}).context["object_list"]

    assert {p.name: p.open_actions for p in processes}["Machining"] == 3
    assert [p.open_actions for p in people] == [3]
