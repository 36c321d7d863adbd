"""Two people editing the same record: the second save of a stale form is a conflict, not an overwrite."""

import pytest
from django.urls import reverse

from tests.factories import ActionFactory
from tests.qms.test_permissions import edit_payload

pytestmark = pytest.mark.django_db


def test_stale_form_gets_a_conflict_and_keeps_the_editors_input(client_for, owner, quality):
    action = ActionFactory(owner=owner, title="First wording")
    url = reverse("qms:action_edit", args=[action.pk])
    stale = edit_payload(action, title="Owner's wording")

    assert client_for(quality).post(url, edit_payload(action, title="Quality's wording")).status_code == 302
    response = client_for(owner).post(url, stale)

    assert response.status_code == 409
    body = response.content.decode()
    assert "changed this record after you opened it" in body
    assert "Owner&#x27;s wording" in body
    action.refresh_from_db()
    assert action.title == "Quality's wording"

    # Saving again from the conflict page is a deliberate decision and goes through.
    retry = {**stale, "version": response.context["form"].data["version"]}
    assert client_for(owner).post(url, retry).status_code == 302
    action.refresh_from_db()
    assert action.title == "Owner's wording"
