"""The turtle of a process, edited in place: inputs, outputs, resources, documents and hand-offs."""

import pytest
from django.urls import reverse

from processes.models import HandOff, ProcessInput
from qms.history import record_history
from tests.factories import HandOffFactory, ProcessFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def add_url(process, part):
    return reverse("processes:process_part_add", args=[process.pk, part])


def test_owner_adds_an_input_in_place_and_gets_the_turtle_back(client_for, owner):
    process = ProcessFactory(owner=owner)

    response = client_for(owner).post(
        add_url(process, "inputs"), {"name": "Customer drawings", "supplier": "Customers"}, headers=HTMX
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="turtle"' in body and "<html" not in body
    assert "Customer drawings" in body
    assert process.inputs.get().supplier == "Customers"


def test_without_htmx_the_form_redirects_back_to_the_process(client_for, owner):
    process = ProcessFactory(owner=owner)

    response = client_for(owner).post(add_url(process, "outputs"), {"name": "Invoices", "customer": "Customers"})

    assert response.status_code == 302
    assert response.url == process.get_absolute_url()
    assert process.outputs.get().name == "Invoices"


def test_a_bad_line_is_refused_with_a_message_and_nothing_saved(client_for, owner):
    process = ProcessFactory(owner=owner)

    response = client_for(owner).post(
        add_url(process, "documents"), {"title": "Procedure", "url": "not a link"}, headers=HTMX
    )

    assert response.status_code == 422
    assert "Enter a valid URL." in response.content.decode()
    assert not process.documents.exists()


@pytest.mark.parametrize("who", ["outsider", "viewer"])
def test_others_cannot_change_the_turtle(request, client_for, owner, who):
    process = ProcessFactory(owner=owner)
    line = ProcessInput.objects.create(process=process, name="Orders", supplier="Customers")
    client = client_for(request.getfixturevalue(who))

    assert client.post(add_url(process, "inputs"), {"name": "X", "supplier": "Y"}).status_code == 403
    remove = reverse("processes:process_part_remove", args=[process.pk, "inputs", line.pk])
    assert client.post(remove).status_code == 403
    assert list(process.inputs.all()) == [line]


def test_removing_a_line_keeps_it_in_history(client_for, owner):
    process = ProcessFactory(owner=owner)
    line = ProcessInput.objects.create(process=process, name="Orders", supplier="Customers")

    url = reverse("processes:process_part_remove", args=[process.pk, "inputs", line.pk])

    question = client_for(owner).get(url, headers=HTMX)
    response = client_for(owner).post(url, {"reason": "We no longer take phone orders"}, headers=HTMX)

    assert "Remove this input?" in question.content.decode() and "Orders (Customers)" in question.content.decode()
    assert response.headers["HX-Redirect"] == f"{process.get_absolute_url()}#turtle"
    assert not process.inputs.exists()
    deleted = ProcessInput.history.get(id=line.pk, history_type="-")
    assert deleted.history_user == owner
    assert deleted.name == "Orders"
    assert deleted.history_change_reason == "We no longer take phone orders"


def test_unknown_part_is_404(client_for, owner):
    process = ProcessFactory(owner=owner)

    assert client_for(owner).post(add_url(process, "secrets"), {}).status_code == 404


def test_a_hand_off_added_from_one_end_shows_on_both(client_for, owner):
    production = ProcessFactory(owner=owner, name="Production")
    inspection = ProcessFactory(name="Inspection")

    response = client_for(owner).post(
        add_url(production, "handoffs"), {"direction": "to", "other": inspection.pk, "item": "Finished parts"}
    )

    assert response.status_code == 302
    handoff = HandOff.objects.get()
    assert (handoff.source, handoff.target, handoff.item) == (production, inspection, "Finished parts")
    assert "Finished parts" in client_for(owner).get(inspection.get_absolute_url()).content.decode()


def test_a_hand_off_can_be_recorded_from_the_receiving_end(client_for, owner):
    inspection = ProcessFactory(owner=owner)
    production = ProcessFactory()

    client_for(owner).post(
        add_url(inspection, "handoffs"), {"direction": "from", "other": production.pk, "item": "Parts"}
    )

    assert HandOff.objects.filter(source=production, target=inspection).exists()


def test_a_process_cannot_hand_over_to_itself(client_for, owner):
    process = ProcessFactory(owner=owner)

    response = client_for(owner).post(
        add_url(process, "handoffs"), {"direction": "to", "other": process.pk, "item": "Loop"}, headers=HTMX
    )

    assert response.status_code == 422
    assert "cannot hand over to itself" in response.content.decode()
    assert not HandOff.objects.exists()


def test_the_same_hand_off_twice_is_refused(client_for, owner):
    source = ProcessFactory(owner=owner)
    target = ProcessFactory()
    HandOffFactory(source=source, target=target, item="Released drawings")

    response = client_for(owner).post(
        add_url(source, "handoffs"), {"direction": "to", "other": target.pk, "item": "released drawings"}, headers=HTMX
    )

    assert response.status_code == 422
    assert "already recorded" in response.content.decode()
    assert HandOff.objects.count() == 1


def test_either_ends_owner_may_remove_a_hand_off_but_nobody_else(client_for, owner, outsider):
    handoff = HandOffFactory(target=ProcessFactory(owner=owner))
    url = reverse("processes:process_part_remove", args=[handoff.target.pk, "handoffs", handoff.pk])

    assert client_for(outsider).post(url).status_code == 403
    assert client_for(owner).post(url).status_code == 302
    assert not HandOff.objects.exists()


def test_turtle_changes_by_a_deputy_are_recorded_with_the_user(client_for, deputy):
    process = ProcessFactory()
    process.deputies.add(deputy)

    client_for(deputy).post(add_url(process, "resources"), {"kind": "equipment", "description": "Laser cutter"})

    created = process.resources.get().history.get()
    assert created.history_user == deputy
    assert record_history(process)  # the process's own history is still readable


def test_removing_a_hand_off_from_the_other_end_offers_no_forms_there(client_for, owner):
    handoff = HandOffFactory(target=ProcessFactory(owner=owner))
    source = handoff.source
    url = reverse("processes:process_part_remove", args=[source.pk, "handoffs", handoff.pk])

    page = client_for(owner).post(url, follow=True).content.decode()

    assert not HandOff.objects.exists()
    assert reverse("processes:process_part_add", args=[source.pk, "inputs"]) not in page
