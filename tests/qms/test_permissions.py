"""The one permission rule, seen through the HTML pages: who may see, create and change an action."""

import pytest
from django.urls import reverse

from qms.models import Action
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(owner, deputy):
    return ActionFactory(owner=owner, deputies=[deputy], title="Original title")


def edit_payload(action: Action, **changes) -> dict:
    data = {
        "title": action.title,
        "description": action.description,
        "kind": action.kind,
        "owner": action.owner_id,
        "deputies": list(action.deputies.values_list("pk", flat=True)),
        "due_date": action.due_date.isoformat(),
        "version": action.updated_at.isoformat(),
    }
    return {**data, **changes}


@pytest.mark.parametrize("who", ["owner", "deputy", "quality"])
def test_owner_deputy_and_quality_manager_can_edit_an_action(request, client_for, action, who):
    client = client_for(request.getfixturevalue(who))
    url = reverse("qms:action_edit", args=[action.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, edit_payload(action, title="Sharper title"))

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.title == "Sharper title"


@pytest.mark.parametrize("who", ["outsider", "viewer", "auditor", "lead"])
def test_others_see_the_action_but_get_403_on_edit_and_nothing_changes(request, client_for, action, who):
    client = client_for(request.getfixturevalue(who))
    url = reverse("qms:action_edit", args=[action.pk])

    assert client.get(action.get_absolute_url()).status_code == 200
    assert client.get(url).status_code == 403
    assert client.post(url, edit_payload(action, title="Hijacked")).status_code == 403

    action.refresh_from_db()
    assert action.title == "Original title"


def test_unknown_action_is_404(client_for, owner):
    assert client_for(owner).get(reverse("qms:action_detail", args=[999999])).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, action):
    response = client.get(action.get_absolute_url())

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_viewer_cannot_create_an_action(client_for, viewer, owner):
    client = client_for(viewer)
    url = reverse("qms:action_add")

    assert client.get(url).status_code == 403
    payload = {"title": "x", "kind": "corrective", "owner": owner.pk, "due_date": "2099-01-01"}
    assert client.post(url, payload).status_code == 403
    assert not Action.objects.exists()


def test_viewer_cannot_move_an_action(client_for, viewer, action):
    response = client_for(viewer).post(reverse("qms:action_move", args=[action.pk]), {"status": "done"})

    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == "open"


def test_contributor_may_raise_an_action_owned_by_someone_else(client_for, outsider, owner):
    response = client_for(outsider).post(
        reverse("qms:action_add"),
        {"title": "Fix the gauge", "kind": "correction", "owner": owner.pk, "due_date": "2099-01-01"},
    )

    assert response.status_code == 302
    action = Action.objects.get()
    assert action.owner == owner
    assert action.created_by == outsider


def test_restrict_gives_quality_manager_everything_and_viewer_nothing_to_change(quality, viewer, owner, deputy):
    mine = ActionFactory(owner=owner)
    shared = ActionFactory(owner=quality, deputies=[owner])
    ActionFactory(owner=deputy)

    assert Action.objects.restrict(quality, "change").count() == 3
    assert Action.objects.restrict(viewer, "change").count() == 0
    assert Action.objects.restrict(viewer, "view").count() == 3
    assert set(Action.objects.restrict(owner, "change")) == {mine, shared}


def test_inactive_user_sees_nothing(owner):
    ActionFactory(owner=owner)
    owner.is_active = False

    assert Action.objects.restrict(owner, "view").count() == 0
