"""One rule for audits: everyone reads; the lead auditor, the team and quality managers write in
their audit, but only the lead auditor, deputies and quality managers change its plan and move it;
auditees alone answer its findings; others, auditors outside the team and viewers included, change
nothing. The pages and the API ask the same rule, and show only the controls allowed."""

import pytest
from django.urls import reverse

from audits import services
from audits.choices import Result
from qms.choices import Role
from tests.api import api
from tests.factories import FindingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(audit, quality, viewer):
    return {
        "lead": audit.owner,
        "team": audit.team.get(),
        "auditee": audit.auditees.get(),
        "other auditor": UserFactory(role=Role.AUDITOR),
        "quality": quality,
        "viewer": viewer,
    }


WRITERS = {"lead", "team", "quality"}
PLANNERS = {"lead", "quality"}  # the plan and the status moves: not the team


@pytest.mark.parametrize("who", ["lead", "team", "auditee", "other auditor", "quality", "viewer"])
def test_who_answers_the_checklist_and_records_findings(audit, people, who, client_for, machining):
    person = people[who]
    item = services.checklist_add(audit=audit, user=audit.owner, question="Are gauges labelled?")
    client = client_for(person)

    page = client.get(audit.get_absolute_url())
    assert page.status_code == 200  # everyone reads
    assert ("Record a finding" in page.text) == (who in WRITERS)
    assert (reverse("audits:audit_edit", args=[audit.pk]) in page.text) == (who in PLANNERS)
    assert ("?status=prepared" in page.text) == (who in PLANNERS)

    answered = client.post(reverse("audits:checklist_item", args=[item.pk]), {"result": Result.CONFORMS})
    assert (answered.status_code == 302) == (who in WRITERS)
    assert answered.status_code in (302, 403)
    finding = client.post(
        reverse("audits:finding_add", args=[audit.pk]),
        {
            "kind": "observation",
            "clause": "8.5",
            "process": machining.pk,
            "title": "T",
            "description": "D",
            "evidence": "E",
        },  # fmt: skip
    )
    assert (finding.status_code == 302) == (who in WRITERS)
    assert client.get(reverse("audits:audit_edit", args=[audit.pk])).status_code == (200 if who in PLANNERS else 403)


@pytest.mark.parametrize("who", ["lead", "team", "auditee", "other auditor", "quality", "viewer"])
def test_who_answers_a_finding(audit, people, who, client_for):
    finding = FindingFactory(audit=audit)
    client = client_for(people[who])
    page = client.get(finding.get_absolute_url())
    may = who == "auditee"  # the answer is the auditees' own
    assert ("Send the answer" in page.text) == may
    response = client.post(reverse("audits:finding_respond", args=[finding.pk]), {"auditee_response": "We fix it"})
    assert response.status_code == (302 if may else 403)
    finding.refresh_from_db()
    assert (finding.auditee_response == "We fix it") == may


@pytest.mark.parametrize("who", ["lead", "team", "auditee", "other auditor", "quality", "viewer"])
def test_the_api_asks_the_same_rule(audit, people, who):
    client = api(people[who])
    item = services.checklist_add(audit=audit, user=audit.owner, question="Q?")
    assert client.get(f"/api/audits/{audit.pk}/").status_code == 200
    patched = client.patch(f"/api/audits/{audit.pk}/", {"title": "Renamed"}, format="json")
    assert patched.status_code == (200 if who in PLANNERS else 403)
    answered = client.patch(f"/api/checklist-items/{item.pk}/", {"result": "conforms"}, format="json")
    assert answered.status_code == (200 if who in WRITERS else 403)
    finding = FindingFactory(audit=audit)
    responded = client.post(f"/api/findings/{finding.pk}/respond/", {"auditee_response": "Agreed"}, format="json")
    assert responded.status_code == (200 if who == "auditee" else 403)


def test_only_auditors_and_quality_managers_plan_audits(owner, auditor, quality, viewer, client_for):
    assert client_for(owner).get(reverse("audits:audit_add")).status_code == 403
    assert client_for(viewer).get(reverse("audits:audit_add")).status_code == 403
    assert client_for(auditor).get(reverse("audits:audit_add")).status_code == 200
    assert client_for(auditor).get(reverse("audits:auditprogramme_add")).status_code == 403
    assert client_for(quality).get(reverse("audits:auditprogramme_add")).status_code == 200


def test_the_team_cannot_take_over_the_plan(audit, people, client_for):
    """A team member works the checklist but neither rewrites the plan nor makes themself lead."""
    teammate = people["team"]
    taken = api(teammate).patch(f"/api/audits/{audit.pk}/", {"owner": teammate.pk, "team": []}, format="json")
    assert taken.status_code == 403
    edited = client_for(teammate).post(reverse("audits:audit_edit", args=[audit.pk]), {"title": "Mine"})
    assert edited.status_code == 403
    moved = client_for(teammate).post(reverse("audits:audit_move", args=[audit.pk]), {"status": "prepared"})
    assert moved.status_code == 403
    assert api(teammate).post(f"/api/audits/{audit.pk}/status/", {"status": "prepared"}).status_code == 403
    audit.refresh_from_db()
    assert audit.owner == people["lead"] and audit.team.get() == teammate
    assert audit.title != "Mine" and audit.status == "planned"
