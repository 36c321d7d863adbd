import pytest
from django.urls import NoReverseMatch, reverse

from qms.history import record_history
from tests.factories import ActionFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_edit_through_the_form_records_who_changed_what_from_what_to_what(client_for, owner):
    new_owner = UserFactory(first_name="Nora", last_name="Field")
    process = ProcessFactory(name="Welding")
    action = ActionFactory(owner=owner, title="Before")

    client_for(owner).post(
        reverse("qms:action_edit", args=[action.pk]),
        {
            "title": "After",
            "kind": "preventive",
            "owner": new_owner.pk,
            "processes": [process.pk],
            "due_date": action.due_date.isoformat(),
            "change_note": "Agreed at the weekly meeting",
            "version": action.updated_at.isoformat(),
        },
    )

    latest_edit = next(e for e in record_history(action) if any(c.label == "title" for c in e.changes))
    changes = {c.label: (c.old, c.new) for c in latest_edit.changes}
    assert latest_edit.user == owner
    assert latest_edit.reason == "Agreed at the weekly meeting"
    assert changes["title"] == ("Before", "After")
    assert changes["kind"] == ("Corrective action", "Preventive action")
    assert changes["owner"] == (str(owner), "Nora Field")
    process_change = next(c for e in record_history(action) for c in e.changes if c.label == "processes")
    assert process_change.new == str(process)


def test_history_tab_shows_the_change(client_for, quality):
    action = ActionFactory(title="Old wording")
    action.title = "New wording"
    action.save()

    response = client_for(quality).get(reverse("qms:action_history", args=[action.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Old wording" in body and "New wording" in body


def test_creation_is_the_first_entry(owner):
    action = ActionFactory(owner=owner)

    entries = record_history(action)

    assert entries[-1].kind == "+"


def test_history_has_no_route_to_edit_or_delete_it():
    for name in ("qms:action_history_edit", "qms:action_history_delete", "qms:history_delete"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1])


def test_history_tab_query_count_does_not_grow_with_history(client_for, quality, django_assert_max_num_queries):
    short = ActionFactory()
    long = ActionFactory()
    for n in range(30):
        long.title = f"Version {n}"
        long.deputies.set([UserFactory()])
        long.save()
    client = client_for(quality)

    with django_assert_max_num_queries(15) as short_run:
        client.get(reverse("qms:action_history", args=[short.pk]))
    with django_assert_max_num_queries(len(short_run.captured_queries)):
        client.get(reverse("qms:action_history", args=[long.pk]))
