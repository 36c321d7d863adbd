"""Prepared queries (qms.models.records.prepared_rows, prepared_count_each): the SQL is built once for
a stand-in and run with each person's id, and gives what the queryset built for that person gives."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from qms.choices import Role
from qms.models import Action, count_each, prepared_count_each, prepared_rows
from qms.models import records as records_module
from tests.factories import ActionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_prepared(monkeypatch):
    monkeypatch.setattr(records_module, "_prepared", {})


def _held(user) -> dict:
    owned, deputised = Action.objects.held_by(user)
    return {"open": (owned.active(), deputised.active()), "overdue": (owned.overdue(), deputised.overdue())}


def test_each_person_gets_their_own_counts_from_the_one_prepared_query(settings):
    settings.CHECK_PREPARED_QUERIES = False  # so that building is seen only when it happens
    anna, bob = UserFactory(role=Role.PROCESS_OWNER), UserFactory(role=Role.PROCESS_OWNER)
    ActionFactory(owner=anna, due_date=timezone.localdate() - timedelta(days=1))
    ActionFactory(owner=anna)
    ActionFactory(owner=UserFactory()).deputies.add(bob)
    built = []

    def counted(user):
        built.append(user.pk)
        return _held(user)

    assert prepared_count_each("held", anna, counted) == {"open": 2, "overdue": 1}
    assert prepared_count_each("held", bob, counted) == {"open": 1, "overdue": 0}
    assert prepared_count_each("held", bob, counted) == count_each(bob, **_held(bob))
    assert built == [records_module.STAND_IN_ID]  # built once, for the stand-in alone


def test_another_kind_of_person_or_another_day_builds_its_own(settings, monkeypatch):
    settings.CHECK_PREPARED_QUERIES = False
    owner, manager = UserFactory(role=Role.PROCESS_OWNER), UserFactory(role=Role.QUALITY_MANAGER)
    built = []

    def counted(user):
        built.append(user.role)
        return (
            {"mine": Action.objects.filter(owner=user)}
            if user.role == Role.PROCESS_OWNER
            else {"mine": Action.objects.none()}
        )

    prepared_count_each("kinds", owner, counted)
    prepared_count_each("kinds", manager, counted)
    prepared_count_each("kinds", owner, counted)
    monkeypatch.setattr(records_module.timezone, "localdate", lambda: date(2031, 1, 2))
    prepared_count_each("kinds", owner, counted)

    assert built == [Role.PROCESS_OWNER, Role.QUALITY_MANAGER, Role.PROCESS_OWNER]
    assert {key[3] for key in records_module._prepared} == {date(2031, 1, 2)}  # yesterday's are dropped


def test_the_tests_catch_a_count_that_depends_on_more_than_the_kind_of_person():
    first, second = UserFactory(role=Role.PROCESS_OWNER, username="first"), UserFactory(role=Role.PROCESS_OWNER)

    def by_username(user):  # the stand-in is a copy of the first person, so it keeps their username
        return {"n": Action.objects.filter(owner__username=user.username)}

    assert prepared_count_each("by_username", first, by_username) == {"n": 0}
    with pytest.raises(AssertionError, match="differs"):
        prepared_count_each("by_username", second, by_username)


def test_rows_of_another_shape_are_built_apart(settings):
    settings.CHECK_PREPARED_QUERIES = False
    anna = UserFactory(role=Role.PROCESS_OWNER)
    first, second = ActionFactory(owner=anna), ActionFactory(owner=anna)
    built = []

    def newest(user, n):
        built.append(n)
        return Action.objects.filter(owner=user).order_by("-pk").values_list("pk")[:n]

    assert prepared_rows("newest", anna, lambda user: newest(user, 1), shape=(1,)) == [(second.pk,)]
    assert prepared_rows("newest", anna, lambda user: newest(user, 2), shape=(2,)) == [(second.pk,), (first.pk,)]
    assert prepared_rows("newest", anna, lambda user: newest(user, 1), shape=(1,)) == [(second.pk,)]
    assert built == [1, 2]


def test_a_section_gets_its_first_rows_in_order_with_what_it_shows_and_counts_only_when_full(
    django_assert_num_queries,
):
    from qms.hub import first_rows_for

    anna = UserFactory(role=Role.PROCESS_OWNER)
    due = [ActionFactory(owner=anna, due_date=timezone.localdate() + timedelta(days=n)) for n in (3, 1, 2)]
    ActionFactory(deputies=[anna], due_date=timezone.localdate() + timedelta(days=9))

    def section(rows):
        return first_rows_for(
            f"mine:{rows}",
            anna,
            lambda user: Action.objects.owned_by(user).order_by("due_date"),
            Action.objects.select_related("owner"),
            rows,
            counted=lambda user: Action.objects.held_by(user),
        )

    with django_assert_num_queries(2):  # the ids, then those records with their owners
        shown, count = section(10)
        owners = [action.owner for action in shown]
    assert owners[:3] == [anna] * 3 and owners[3] != anna
    assert (shown[:3], count) == ([due[1], due[2], due[0]], 4)
    with django_assert_num_queries(3):  # and, as they fill the section, the count
        shown, count = section(2)
    assert (shown, count) == ([due[1], due[2]], 4)
