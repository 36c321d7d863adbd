"""The autocomplete picker: pages render only the chosen values; the endpoint offers the field's
choices, searched, 20 at a time, within what the user may see."""

import pytest
from django.urls import reverse

from processes.choices import ProcessStatus
from qms.choices import Role
from tests.api import api
from tests.factories import ActionFactory, KPIFactory, OrgUnitFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


def pick(client, source, query="", **params):
    response = client.get(reverse("qms:picker", args=[source]), {"q": query, **params})
    return response.status_code, [(r["value"], r["text"]) for r in response.json().get("results", [])] if (
        response.status_code == 200
    ) else []


def test_people_are_searched_by_name_twenty_at_a_time(client_for, viewer):
    UserFactory(username="anna", first_name="Anna", last_name="Berg")
    UserFactory(username="gone", first_name="Anna", last_name="Gone", is_active=False)
    UserFactory.create_batch(25, first_name="Bob")

    status, found = pick(client_for(viewer), "people", "anna berg")
    assert status == 200 and [text for _pk, text in found] == ["Anna Berg"]
    assert len(pick(client_for(viewer), "people", "bob")[1]) == 20


def test_owners_are_never_viewers(client_for, quality):
    UserFactory(username="vera", first_name="Vera", last_name="Viewer", role=Role.VIEWER)
    UserFactory(username="olga", first_name="Olga", last_name="Owner", role=Role.PROCESS_OWNER)

    assert "Vera Viewer" not in [text for _pk, text in pick(client_for(quality), "record-people", "vera")[1]]
    assert "Olga Owner" in [text for _pk, text in pick(client_for(quality), "record-people", "olga")[1]]


def test_processes_by_reference_or_name_and_retired_ones_only_in_filters(client_for, owner):
    active = ProcessFactory(name="Machining")
    retired = ProcessFactory(name="Machining, old line", status=ProcessStatus.RETIRED)
    client = client_for(owner)

    assert {pk for pk, _text in pick(client, "processes", "machining")[1]} == {str(active.pk), str(retired.pk)}
    assert [pk for pk, _text in pick(client, "current-processes", "machining")[1]] == [str(active.pk)]
    assert [pk for pk, _text in pick(client, "processes", active.reference)[1]] == [str(active.pk)]


def test_actions_a_kpi_may_judge_are_only_those_the_user_may_change(client_for, owner):
    process = ProcessFactory()
    kpi = KPIFactory(owner=owner, processes=[process])
    mine = ActionFactory(owner=owner, processes=[process])
    ActionFactory(processes=[process])  # someone else's

    status, found = pick(client_for(owner), "actions-to-judge", **{"for": kpi.pk})
    assert status == 200 and [pk for pk, _text in found] == [str(mine.pk)]
    assert pick(client_for(owner), "actions-to-judge")[0] == 404  # which KPI?
    assert pick(client_for(owner), "actions-to-judge", **{"for": str(2**64)})[0] == 404
    assert pick(client_for(owner), "nothing-like-this")[0] == 404


def test_units_are_searched_by_name(client_for, viewer):
    plant = OrgUnitFactory(name="Leeds plant")
    machining = OrgUnitFactory(name="Machining", parent=plant)
    OrgUnitFactory(name="Head office")

    status, found = pick(client_for(viewer), "org-units", "ma")
    assert status == 200 and found == [(str(machining.pk), "Machining")]
    assert [text for _pk, text in pick(client_for(viewer), "org-units")[1]] == [
        "Head office",
        "Leeds plant",
        "Machining",
    ]


@pytest.mark.parametrize("list_name", ["processes:process_list", "qms:user_list", "processes:process_map"])
def test_unit_filters_render_only_the_chosen_unit(client_for, quality, list_name):
    chosen, other = OrgUnitFactory(name="Machining"), OrgUnitFactory(name="Zinc plating")
    client = client_for(quality)

    page = client.get(reverse(list_name)).content.decode()
    assert 'data-picker="/pick/org-units/"' in page and "Zinc plating" not in page and "Machining" not in page

    page = client.get(reverse(list_name), {"org_unit": chosen.pk}).content.decode()
    assert f'<option value="{chosen.pk}" selected>Machining</option>' in page and other.name not in page


def test_list_filters_render_only_the_chosen_person(client_for, quality):
    anna = UserFactory(first_name="Anna", last_name="Berg")
    UserFactory(first_name="Zoltan", last_name="Nagy")
    client = client_for(quality)

    page = client.get(reverse("qms:action_list")).content.decode()
    assert "Zoltan" not in page and 'data-picker="/pick/people/"' in page
    assert "Zoltan" not in client.get(reverse("risks:risk_list")).content.decode()

    chosen = client.get(reverse("qms:action_list"), {"owner": anna.pk}).content.decode()
    assert f'<option value="{anna.pk}" selected>Anna Berg</option>' in chosen and "Zoltan" not in chosen


def test_forms_render_the_chosen_values_and_still_validate_any_choice(client_for, quality):
    UserFactory(first_name="Zoltan", last_name="Nagy")
    viewer = UserFactory(role=Role.VIEWER)
    process = ProcessFactory(name="Painting")
    ProcessFactory(name="Welding")
    client = client_for(quality)

    form = client.get(reverse("qms:action_add")).content.decode()
    assert "Zoltan" not in form and "Welding" not in form
    assert 'data-picker="/pick/record-people/"' in form and 'data-picker="/pick/current-processes/"' in form

    data = {
        "title": "Fix it",
        "kind": "corrective",
        "owner": viewer.pk,
        "processes": [process.pk],
        "due_date": "2099-01-01",
    }
    refused = client.post(reverse("qms:action_add"), data)
    assert refused.status_code in (200, 422) and "Select a valid choice" in refused.content.decode()


def test_kpi_page_does_not_list_every_action_it_could_judge(client_for, quality):
    process = ProcessFactory()
    kpi = KPIFactory(processes=[process])
    actions = ActionFactory.create_batch(30, processes=[process])

    page = client_for(quality).get(kpi.get_absolute_url()).content.decode()
    assert f"/pick/actions-to-judge/?for={kpi.pk}" in page
    assert not any(f'<option value="{action.pk}"' in page for action in actions)


HUGE = [str(2**63), "99999999999999999999999999"]
FORMS = [
    ("qms:action_add", {"title": "Big", "kind": "corrective", "due_date": "2099-01-01"}, "owner deputies processes"),
    ("risks:risk_add", {"title": "Big"}, "owner deputies processes objectives"),
    (
        "objectives:kpi_add",
        {"name": "Big", "frequency": "monthly", "direction": "higher", "target": "1"},
        "owner deputies processes objectives",
    ),
    ("objectives:objective_add", {"title": "Big"}, "owner deputies processes theme main_kpi"),
]


@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize(
    ("url", "data", "field"), [(url, data, field) for url, data, fields in FORMS for field in fields.split()]
)
def test_an_id_too_large_for_the_database_is_a_form_error(client_for, quality, url, data, field, huge):
    """Ids above a bigint's largest, typed into a picker's form data, are an unknown choice, not a
    server error (SQLite cannot even bind them)."""
    response = client_for(quality).post(reverse(url), {"owner": quality.pk, **data, field: huge})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("field", ["owner", "deputies", "processes"])
def test_an_id_too_large_for_the_database_is_a_400_on_the_api(quality, field):
    huge = 2**64
    data = {"title": "Big", "kind": "corrective", "due_date": "2099-01-01", "owner": quality.pk}
    data[field] = huge if field == "owner" else [huge]

    response = api(quality).post("/api/actions/", data, format="json")

    assert response.status_code == 400
    assert field in response.json()
