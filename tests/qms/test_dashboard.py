"""The dashboard starts with what the signed-in person must do, then the organisation's picture."""

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from objectives.choices import Frequency
from qms.choices import ActionStatus, Role
from qms.services import action_move
from risks.choices import Strategy
from tests.factories import ActionFactory, KPIFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


def _todos(client) -> list[str]:
    return [todo.label for todo in client.get(reverse("qms:dashboard")).context["todos"]]


def _overdue_figure(response) -> int:
    """The organisation's overdue actions, as the dashboard's card shows them."""
    card = re.search(r'Overdue actions</span><span class="stat-value">(\d+)<', response.content.decode())
    return int(card.group(1))


def test_a_process_owner_is_told_their_measures_are_due_and_their_actions_overdue(client_for, owner):
    KPIFactory(owner=owner, frequency=Frequency.MONTHLY, measured_from=date(2025, 1, 1))
    ActionFactory(owner=owner, due_date=timezone.localdate() - timedelta(days=3))
    ActionFactory(owner=owner)

    assert _todos(client_for(owner)) == [
        "1 of your actions is overdue",
        "1 KPI value is due from you",
        "2 open actions of yours",
    ]


def test_leadership_is_told_of_acceptances_awaiting_their_approval_but_not_of_their_own(client_for, lead):
    accepted = dict(residual_likelihood=4, residual_impact=4, strategy=Strategy.ACCEPT, acceptance_rationale="Cost")
    RiskFactory(**accepted)
    RiskFactory(owner=lead, **accepted)

    todos = _todos(client_for(lead))
    my_work = client_for(lead).get(reverse("qms:my_work")).content.decode()

    assert todos[0] == "1 risk acceptance awaits your approval"
    assert "Acceptances awaiting my approval" in my_work


def test_someone_with_nothing_to_do_is_told_so_and_still_sees_the_organisation(client_for):
    person = UserFactory(role=Role.CONTRIBUTOR)

    page = client_for(person).get(reverse("qms:dashboard")).content.decode()

    assert "Nothing is waiting for you right now" in page
    assert "The organisation" in page and "Open actions" in page


def test_the_organisations_figures_are_shared_for_a_minute_and_the_to_dos_are_always_fresh(
    client_for, owner, django_assert_max_num_queries
):
    ActionFactory(owner=owner, due_date=timezone.localdate() - timedelta(days=3))
    with django_assert_max_num_queries(60) as captured:
        first = client_for(owner).get(reverse("qms:dashboard"))
        first_view = len(captured)
    ActionFactory(owner=owner, due_date=timezone.localdate() - timedelta(days=1))  # written by no one

    with django_assert_max_num_queries(60) as captured:
        again = client_for(UserFactory(role=Role.VIEWER)).get(reverse("qms:dashboard"))
        second_view = len(captured)
    mine = client_for(owner).get(reverse("qms:dashboard"))

    assert _overdue_figure(first) == _overdue_figure(again) == 1
    assert second_view < first_view - 5
    assert "Figures as of" in again.content.decode()
    assert "2 of your actions are overdue" in [todo.label for todo in mine.context["todos"]]
    cache.clear()  # what a minute does (SHARED_SECONDS)
    assert _overdue_figure(client_for(owner).get(reverse("qms:dashboard"))) == 2


def test_whoever_changes_a_record_sees_the_figures_worked_out_again_at_once(
    client_for, owner, django_capture_on_commit_callbacks
):
    action = ActionFactory(owner=owner, due_date=timezone.localdate() - timedelta(days=3))
    viewer = client_for(UserFactory(role=Role.VIEWER))
    assert _overdue_figure(viewer.get(reverse("qms:dashboard"))) == 1

    with django_capture_on_commit_callbacks(execute=True):
        action_move(action=action, user=owner, status=ActionStatus.DONE)

    assert _overdue_figure(client_for(owner).get(reverse("qms:dashboard"))) == 0


def test_the_organisation_part_is_the_same_whoever_draws_it(client_for, quality, viewer, owner):
    """It is drawn once a minute for everyone, so what the apps add to it must not depend on who looks."""
    ActionFactory(owner=owner, due_date=timezone.localdate() - timedelta(days=3))
    RiskFactory(owner=owner)
    KPIFactory(owner=owner)
    drawn = []
    for person in (quality, viewer, owner):
        cache.clear()
        page = client_for(person).get(reverse("qms:dashboard")).content.decode()
        drawn.append(page[page.index("The organisation") :])

    assert drawn[0] == drawn[1] == drawn[2]
