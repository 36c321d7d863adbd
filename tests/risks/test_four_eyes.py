"""Four eyes on accepting a high or critical risk: a Leadership member approves it, never its owner,
a deputy or whoever last wrote its rationale (superuser or not); the approval holds for the
rationale it approved. The same rule on the page, in htmx and in the API, and the Approve control
shows only to those it allows."""

import pytest
from django.urls import reverse

from qms.choices import Role
from risks import services
from risks.choices import RiskStatus, Strategy
from risks.forms import RiskForm
from risks.models import Risk
from risks.sections import _awaiting_approval_by
from tests.api import api
from tests.factories import RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(owner):
    """RSK accepted at high (4 × 3 = 12), its rationale written by its owner, awaiting approval."""
    return RiskFactory(
        owner=owner,
        residual_likelihood=4,
        residual_impact=3,
        strategy=Strategy.ACCEPT,
        acceptance_rationale="A second tool costs more than the exposure.",
    )


@pytest.fixture
def lead_deputy(db):
    return UserFactory(username="lead-deputy", role=Role.LEADERSHIP)


@pytest.fixture
def superuser_quality(db):
    return UserFactory(username="qm-superuser", role=Role.QUALITY_MANAGER, is_superuser=True, is_staff=True)


def _edit_page(client, risk: Risk, user, **changes):
    """Post the risk's edit form as `user` sees it, with `changes`."""
    form = RiskForm(instance=risk, user=user)
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    return client.post(risk.get_edit_url(), data | changes)


def _approve_page(client, risk: Risk, **headers):
    return client.post(reverse("risks:risk_approve", args=[risk.pk]), {"reason": "Read and agreed"}, **headers)


# A Leadership deputy who rewrote the rationale
# ------------------------------------------------------------------------------


def test_a_leadership_deputy_who_rewrote_the_rationale_cannot_approve_it_on_the_page(client_for, risk, lead_deputy):
    risk.deputies.set([lead_deputy])
    client = client_for(lead_deputy)

    # Rewrite the rationale and step down as deputy in the same save, then approve.
    edited = _edit_page(client, risk, lead_deputy, acceptance_rationale="It is fine, trust me.", deputies=[])
    assert edited.status_code == 302
    risk.refresh_from_db()
    assert risk.rationale_written_by == lead_deputy
    assert not risk.deputies.exists()

    assert reverse("risks:risk_approve", args=[risk.pk]) not in client.get(risk.get_absolute_url()).content.decode()
    assert _approve_page(client, risk).status_code == 403
    assert _approve_page(client, risk, HTTP_HX_REQUEST="true").status_code == 403
    risk.refresh_from_db()
    assert risk.accepted_by is None


def test_a_leadership_deputy_who_rewrote_the_rationale_cannot_approve_it_in_the_api(risk, lead_deputy):
    risk.deputies.set([lead_deputy])
    client = api(lead_deputy)

    edited = client.patch(
        f"/api/risks/{risk.pk}/", {"acceptance_rationale": "It is fine, trust me.", "deputies": []}, format="json"
    )
    assert edited.status_code == 200, edited.json()

    assert client.post(f"/api/risks/{risk.pk}/approve/").status_code == 403
    risk.refresh_from_db()
    assert (risk.accepted_by, risk.rationale_written_by) == (None, lead_deputy)


def test_a_leadership_deputy_cannot_approve(client_for, risk, lead_deputy):
    risk.deputies.set([lead_deputy])

    assert _approve_page(client_for(lead_deputy), risk).status_code == 403
    assert api(lead_deputy).post(f"/api/risks/{risk.pk}/approve/").status_code == 403


def test_the_writer_of_the_rationale_is_kept_with_history(client_for, risk, quality):
    _edit_page(client_for(quality), risk, quality, acceptance_rationale="Stock covers six weeks.")

    risk.refresh_from_db()
    assert risk.rationale_written_by == quality
    assert risk.rationale_written_at is not None
    latest = risk.history.latest("history_date")
    assert (latest.rationale_written_by_id, latest.history_user) == (quality.pk, quality)
    # A save that leaves the rationale as it was keeps its writer.
    _edit_page(client_for(risk.owner), risk, risk.owner, title="Single-source resin supplier")
    risk.refresh_from_db()
    assert risk.rationale_written_by == quality


# A quality manager who is a superuser but not Leadership
# ------------------------------------------------------------------------------


def test_a_superuser_quality_manager_cannot_approve_on_the_page(client_for, risk, superuser_quality):
    client = client_for(superuser_quality)

    assert reverse("risks:risk_approve", args=[risk.pk]) not in client.get(risk.get_absolute_url()).content.decode()
    assert client.get(reverse("risks:risk_approve", args=[risk.pk])).status_code == 403
    assert _approve_page(client, risk).status_code == 403
    assert _approve_page(client, risk, HTTP_HX_REQUEST="true").status_code == 403
    risk.refresh_from_db()
    assert risk.accepted_by is None


def test_a_superuser_quality_manager_cannot_approve_in_the_api(risk, superuser_quality):
    assert api(superuser_quality).post(f"/api/risks/{risk.pk}/approve/").status_code == 403
    risk.refresh_from_db()
    assert risk.accepted_by is None


def test_only_leadership_outside_the_risk_is_asked_to_approve(risk, lead, lead_deputy, superuser_quality, owner):
    risk.deputies.set([lead_deputy])

    assert list(_awaiting_approval_by(lead)) == [risk]
    assert not _awaiting_approval_by(lead_deputy).exists()
    assert not _awaiting_approval_by(superuser_quality).exists()
    assert not _awaiting_approval_by(owner).exists()


def test_leadership_outside_the_risk_sees_the_approve_control_and_approves(client_for, risk, lead):
    client = client_for(lead)

    assert reverse("risks:risk_approve", args=[risk.pk]) in client.get(risk.get_absolute_url()).content.decode()
    assert _approve_page(client, risk).status_code == 302
    risk.refresh_from_db()
    assert risk.accepted_by == lead


# An approval holds for the rationale it approved
# ------------------------------------------------------------------------------


def test_a_rewritten_rationale_lapses_the_approval_on_the_page(client_for, risk, lead, owner):
    risk = services.risk_approve_acceptance(risk=risk, user=lead)

    edited = _edit_page(client_for(owner), risk, owner, acceptance_rationale="Something else entirely.")

    assert edited.status_code == 302
    risk.refresh_from_db()
    assert (risk.accepted_by, risk.accepted_at, risk.acceptance_pending) == (None, None, True)
    assert risk.rationale_written_by == owner


def test_a_rewritten_rationale_lapses_the_approval_in_the_api(risk, lead, owner):
    services.risk_approve_acceptance(risk=risk, user=lead)

    edited = api(owner).patch(
        f"/api/risks/{risk.pk}/", {"acceptance_rationale": "Something else entirely."}, format="json"
    )

    assert edited.status_code == 200, edited.json()
    assert (edited.json()["accepted_by"], edited.json()["acceptance_pending"]) == (None, True)


def test_a_monitored_risk_cannot_keep_its_status_on_a_rewritten_rationale(risk, lead, owner):
    services.risk_approve_acceptance(risk=risk, user=lead)
    assert (
        api(owner).patch(f"/api/risks/{risk.pk}/", {"status": RiskStatus.MONITORED}, format="json").status_code == 200
    )

    edited = api(owner).patch(f"/api/risks/{risk.pk}/", {"acceptance_rationale": "Changed."}, format="json")

    assert edited.status_code == 400
    assert "status" in edited.json()
    risk.refresh_from_db()
    assert risk.accepted_by == lead


def test_an_unchanged_rationale_keeps_the_approval(risk, lead, owner):
    services.risk_approve_acceptance(risk=risk, user=lead)

    edited = api(owner).patch(
        f"/api/risks/{risk.pk}/", {"acceptance_rationale": risk.acceptance_rationale, "title": "New"}, format="json"
    )

    assert edited.status_code == 200
    assert edited.json()["accepted_by"] == lead.pk
