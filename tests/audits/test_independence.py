"""Nobody audits a process they own or deputise: the plan says who and why, and the team picker
leaves them out with the reason."""

import pytest
from django.urls import reverse

from audits.forms import AuditForm
from qms.choices import Role
from tests.api import api
from tests.factories import AuditProgrammeFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scope(owner, deputy):
    process = ProcessFactory(name="Machining", owner=owner)
    process.deputies.add(deputy)
    return process


def plan(programme, process, lead, team=()):
    return {
        "programme": programme.pk,
        "title": "Machining audit",
        "processes": [process.pk],
        "clauses": ["8.5"],
        "owner": lead.pk,
        "team": [p.pk for p in team],
        "planned_start": f"{programme.year}-10-01",
        "planned_end": f"{programme.year}-10-02",
    }


def test_the_plan_refuses_owner_and_deputy_on_the_team_naming_them_and_why(quality, auditor, owner, deputy, scope):
    programme = AuditProgrammeFactory()
    form = AuditForm(data=plan(programme, scope, auditor, team=[owner, deputy]), user=quality)
    assert not form.is_valid()
    errors = " ".join(form.errors["team"])
    assert f"{owner} cannot audit their own work: owns {scope.reference}." in errors
    assert f"{deputy} cannot audit their own work: deputises {scope.reference}." in errors


def test_a_lead_auditor_who_owns_the_process_is_refused(quality, scope):
    programme = AuditProgrammeFactory()
    lead = UserFactory(role=Role.AUDITOR)
    scope.deputies.add(lead)
    form = AuditForm(data=plan(programme, scope, lead), user=quality)
    assert not form.is_valid()
    assert f"deputises {scope.reference}" in " ".join(form.errors["owner"])


def test_the_team_picker_leaves_out_whoever_owns_a_chosen_process_with_the_reason(
    quality, auditor, owner, scope, client_for
):
    programme = AuditProgrammeFactory()
    client = client_for(quality)
    # Choosing the processes redraws the form with htmx, keeping what was typed.
    response = client.get(
        reverse("audits:audit_add"),
        {**plan(programme, scope, auditor), "title": "Typed"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.text
    assert f"{owner} — owns {scope.reference}" in html
    option = html[html.index(f"{owner} — owns") - 200 : html.index(f"{owner} — owns")]
    assert "disabled" in option
    assert 'value="Typed"' in html


def test_an_independent_team_is_saved(quality, auditor, scope, client_for):
    programme = AuditProgrammeFactory()
    colleague = UserFactory(role=Role.AUDITOR)
    response = client_for(quality).post(reverse("audits:audit_add"), plan(programme, scope, auditor, team=[colleague]))
    assert response.status_code == 302
    audit = programme.audits.get()
    assert list(audit.team.all()) == [colleague] and audit.owner == auditor


def test_the_api_refuses_the_same(quality, auditor, owner, scope):
    programme = AuditProgrammeFactory()
    data = plan(programme, scope, auditor, team=[owner])
    response = api(quality).post("/api/audits/", data, format="json")
    assert response.status_code == 400
    assert f"owns {scope.reference}" in str(response.json()["team"])
