"""What a person owns or deputises, read on indexes (owned_by), and the to-dos counted from it."""

import pytest
from django.urls import reverse

from qms.choices import ActionStatus
from qms.models import Action, count_each
from risks.models import Risk
from tests.factories import ActionFactory, RiskFactory

pytestmark = pytest.mark.django_db


def test_owned_by_finds_what_a_person_owns_or_deputises(owner, deputy):
    owned = ActionFactory(owner=owner)
    deputised = ActionFactory(deputies=[owner])
    ActionFactory(deputies=[deputy])
    risk = RiskFactory()
    risk.deputies.add(owner)
    RiskFactory()

    assert set(Action.objects.owned_by(owner)) == {owned, deputised}
    assert list(Risk.objects.owned_by(owner)) == [risk]
    assert list(Action.objects.exclude(pk__in=Action.objects.owned_by(owner).values("pk"))) != []


def test_not_owned_by_is_everything_else(owner, deputy):
    ActionFactory(owner=owner)
    ActionFactory(deputies=[owner])
    ActionFactory(owner=owner, deputies=[deputy])
    others = {ActionFactory(deputies=[deputy]), ActionFactory()}
    risk = RiskFactory()
    RiskFactory().deputies.add(owner)

    assert set(Action.objects.not_owned_by(owner)) == others
    assert set(Action.objects.not_owned_by(owner)) | set(Action.objects.owned_by(owner)) == set(Action.objects.all())
    assert set(Risk.objects.not_owned_by(owner)) == {risk}


def test_held_by_splits_owned_by_into_parts_that_do_not_overlap(owner, deputy):
    owned = ActionFactory(owner=owner)
    owned_and_deputised = ActionFactory(owner=owner, deputies=[owner, deputy])
    deputised = ActionFactory(deputies=[owner])
    ActionFactory(deputies=[deputy])
    ActionFactory(deputies=[owner], status=ActionStatus.CANCELLED)

    mine, standing_in = Action.objects.held_by(owner)

    assert set(mine) == {owned, owned_and_deputised}
    assert set(standing_in) == {deputised, Action.objects.get(status=ActionStatus.CANCELLED)}
    assert Action.objects.owned_by(owner).count() == 4
    assert count_each(owner, open=Action.objects.active().held_by(owner), all=Action.objects.held_by(owner)) == {
        "open": 3,
        "all": 4,
    }


def test_my_to_dos_count_owned_and_deputised_actions(client_for, owner, quality):
    ActionFactory(owner=owner, due_date="2000-01-01")
    ActionFactory(deputies=[owner])
    ActionFactory(owner=quality, status=ActionStatus.DONE)

    page = client_for(owner).get(reverse("qms:dashboard")).content.decode()

    assert "1 of your actions is overdue" in page and "2 open actions of yours" in page


def test_done_actions_to_check_leave_out_the_checkers_own(client_for, quality, owner):
    ActionFactory(owner=owner, status=ActionStatus.DONE)
    ActionFactory(owner=owner, deputies=[quality], status=ActionStatus.DONE)
    ActionFactory(owner=quality, status=ActionStatus.DONE)
    ActionFactory(owner=owner, status=ActionStatus.OPEN)

    page = client_for(quality).get(reverse("qms:dashboard")).content.decode()

    assert "1 done action awaits an effectiveness check" in page


def test_count_each_counts_every_queryset_in_one_query(owner, django_assert_num_queries):
    ActionFactory.create_batch(2, owner=owner)
    ActionFactory(owner=owner, status=ActionStatus.DONE)
    RiskFactory(owner=owner)

    with django_assert_num_queries(1):
        counts = count_each(
            owner,
            actions=Action.objects.owned_by(owner),
            open=Action.objects.owned_by(owner).active(),
            risks=Risk.objects.owned_by(owner),
            nothing=Risk.objects.none(),
        )

    assert counts == {"actions": 3, "open": 2, "risks": 1, "nothing": 0}
