"""The risks API: the register with scores and reviews, acceptance approval and the matrix, with
the same rules and permissions as the pages."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from objectives.choices import ObjectiveStatus
from risks.choices import Band, RiskKind, RiskStatus, Strategy
from risks.models import Risk, RiskMatrix
from tests.api import api
from tests.factories import ObjectiveFactory, ProcessFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(owner, deputy):
    risk = RiskFactory(owner=owner, title="Single-source resin supplier")
    risk.deputies.set([deputy])
    return risk


def test_a_process_owner_assesses_a_risk_and_the_scores_are_worked_out(owner):
    process, objective = ProcessFactory(owner=owner), ObjectiveFactory()

    response = api(owner).post(
        "/api/risks/",
        {
            "title": "Moulding press breakdown",
            "category": "infrastructure",
            "owner": owner.pk,
            "processes": [process.pk],
            "objectives": [objective.pk],
            "status": "assessed",
            "inherent_likelihood": 4,
            "inherent_impact": 5,
            "strategy": "reduce",
            "residual_likelihood": 2,
            "residual_impact": 4,
            "inherent_score": 1,  # read-only: worked out, never taken
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("RSK-")
    assert (body["inherent_score"], body["inherent_band"]) == (20, Band.CRITICAL)
    assert (body["residual_score"], body["residual_band"]) == (8, Band.MEDIUM)
    risk = Risk.objects.get()
    assert list(risk.processes.all()) == [process]
    assert risk.history.first().history_user == owner


@pytest.mark.parametrize(
    "change, field",
    [
        ({"inherent_likelihood": 6}, "inherent_likelihood"),  # beyond the 5 × 5 matrix
        ({"residual_likelihood": 2}, "residual_impact"),  # likelihood without impact
        ({"strategy": Strategy.PURSUE}, "strategy"),  # an opportunity's strategy
        ({"inherent_likelihood": None, "inherent_impact": None}, "inherent_likelihood"),  # assessed, unscored
        ({"strategy": Strategy.ACCEPT, "residual_likelihood": 4, "residual_impact": 4}, "acceptance_rationale"),
    ],
)
def test_the_api_refuses_what_the_pages_refuse(owner, change, field):
    payload = {
        "title": "Late customs clearance",
        "category": "supply",
        "owner": owner.pk,
        "status": "assessed",
        "inherent_likelihood": 3,
        "inherent_impact": 3,
    } | change

    response = api(owner).post("/api/risks/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Risk.objects.exists()


def test_a_risk_stays_a_risk_and_closed_objectives_take_no_new_risks(owner, risk):
    closed = ObjectiveFactory(status=ObjectiveStatus.ACHIEVED)

    response = api(owner).patch(
        f"/api/risks/{risk.pk}/", {"kind": RiskKind.OPPORTUNITY, "objectives": [closed.pk]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"kind", "objectives"}
    risk.refresh_from_db()
    assert risk.kind == RiskKind.RISK


def test_who_may_write_risks(risk, owner, deputy, quality, outsider, viewer):
    assert api(viewer).post("/api/risks/", {"title": "X"}, format="json").status_code == 403
    assert api(outsider).patch(f"/api/risks/{risk.pk}/", {"title": "Mine now"}, format="json").status_code == 403
    assert api(deputy).patch(f"/api/risks/{risk.pk}/", {"title": "Resin supply"}, format="json").status_code == 200
    assert api(quality).delete(f"/api/risks/{risk.pk}/").status_code == 405
    assert api(viewer).get(f"/api/risks/{risk.pk}/").json()["title"] == "Resin supply"


def test_a_review_moves_the_residual_scores_and_lists_with_the_others(risk, owner, outsider):
    next_review = timezone.localdate() + timedelta(days=90)

    response = api(owner).post(
        f"/api/risks/{risk.pk}/reviews/",
        {"likelihood": 2, "impact": 2, "note": "Second supplier qualified", "next_review_date": next_review},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["score"], response.json()["band"], response.json()["reviewer"]) == (4, "low", owner.pk)
    body = api(outsider).get(f"/api/risks/{risk.pk}/").json()
    assert (body["residual_score"], body["residual_band"], body["next_review_date"]) == (
        4,
        Band.LOW,
        next_review.isoformat(),
    )
    reviews = api(outsider).get(f"/api/risks/{risk.pk}/reviews/").json()
    assert [r["note"] for r in reviews] == ["Second supplier qualified"]


def test_a_bad_or_unauthorised_review_changes_nothing(risk, owner, outsider):
    today = timezone.localdate()

    too_soon = api(owner).post(
        f"/api/risks/{risk.pk}/reviews/",
        {"likelihood": 1, "impact": 1, "note": "Done", "next_review_date": today},
        format="json",
    )
    beyond = api(owner).post(
        f"/api/risks/{risk.pk}/reviews/",
        {"likelihood": 9, "impact": 1, "note": "x", "next_review_date": today + timedelta(days=30)},
        format="json",
    )
    not_theirs = api(outsider).post(f"/api/risks/{risk.pk}/reviews/", {"likelihood": 1, "impact": 1, "note": "x"})

    assert (too_soon.status_code, list(too_soon.json())) == (400, ["next_review_date"])
    assert (beyond.status_code, list(beyond.json())) == (400, ["residual_likelihood"])
    assert not_theirs.status_code == 403
    risk.refresh_from_db()
    assert (risk.residual_score, risk.reviews.count()) == (9, 0)


def test_leadership_approves_an_accepted_high_risk_until_its_band_changes(owner, lead):
    risk = RiskFactory(
        owner=owner,
        residual_likelihood=4,
        residual_impact=3,
        strategy=Strategy.ACCEPT,
        acceptance_rationale="A second tool costs more than the exposure.",
    )
    assert api(owner).get(f"/api/risks/{risk.pk}/").json()["acceptance_pending"] is True

    assert api(owner).post(f"/api/risks/{risk.pk}/approve/").status_code == 403
    approved = api(lead).post(f"/api/risks/{risk.pk}/approve/")

    assert approved.status_code == 200
    assert (approved.json()["accepted_by"], approved.json()["acceptance_pending"]) == (lead.pk, False)
    monitored = api(owner).patch(f"/api/risks/{risk.pk}/", {"status": RiskStatus.MONITORED}, format="json")
    assert monitored.status_code == 200, monitored.json()

    worse = api(owner).patch(f"/api/risks/{risk.pk}/", {"residual_likelihood": 5, "residual_impact": 4}, format="json")
    assert worse.status_code == 400  # monitored at a new band with no approval for it
    assert "status" in worse.json()
    back_in_treatment = api(owner).patch(
        f"/api/risks/{risk.pk}/",
        {"residual_likelihood": 5, "residual_impact": 4, "status": RiskStatus.IN_TREATMENT},
        format="json",
    )
    assert back_in_treatment.status_code == 200
    assert (back_in_treatment.json()["accepted_by"], back_in_treatment.json()["acceptance_pending"]) == (None, True)


def test_a_risk_needing_no_approval_is_not_approved(lead):
    risk = RiskFactory(residual_likelihood=1, residual_impact=2, strategy=Strategy.ACCEPT)

    response = api(lead).post(f"/api/risks/{risk.pk}/approve/")

    assert response.status_code == 400
    assert "needs no approval" in response.json()["non_field_errors"][0]


def test_the_matrix_is_read_by_everyone_and_written_by_nobody_here(viewer, quality):
    matrix = RiskMatrix.current()
    matrix.likelihood_levels = ["Rare", "Possible", "Likely"]
    matrix.save()

    body = api(viewer).get("/api/risk-matrix/").json()

    assert body["likelihood_levels"] == ["Rare", "Possible", "Likely"]
    assert body["band_thresholds"] == {"medium": 5, "high": 10, "critical": 16}
    assert api(quality).put("/api/risk-matrix/", body, format="json").status_code == 405
    assert api().get("/api/risk-matrix/").status_code in (401, 403)


def test_the_register_filters_like_the_page(viewer):
    high = RiskFactory(residual_likelihood=4, residual_impact=3)
    RiskFactory(residual_likelihood=1, residual_impact=1)
    RiskFactory(kind=RiskKind.OPPORTUNITY, strategy=Strategy.PURSUE, residual_likelihood=4, residual_impact=3)

    body = api(viewer).get("/api/risks/", {"kind": "risk", "band": "high"}).json()

    assert [r["reference"] for r in body["results"]] == [high.reference]


def test_the_schema_documents_the_risks_api(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--file", str(out), stderr=StringIO())

    schema = out.read_text()
    for path in ("/api/risks/", "/api/risks/{id}/reviews/", "/api/risks/{id}/approve/", "/api/risk-matrix/"):
        assert path in schema


def test_the_register_costs_the_same_queries_for_5_and_50_risks(viewer, django_assert_max_num_queries):
    def build(n):
        for _ in range(n):
            risk = RiskFactory(processes=[ProcessFactory()], objectives=[ObjectiveFactory()])
            risk.deputies.set([UserFactory()])

    build(5)
    with django_assert_max_num_queries(10) as few:
        assert api(viewer).get("/api/risks/").status_code == 200
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api(viewer).get("/api/risks/")
    assert len(response.json()["results"]) == 50


def test_a_review_through_the_api_is_dated_today(risk, owner):
    review = {"likelihood": 2, "impact": 2, "note": "Checked", "next_review_date": "2099-06-01"}

    response = api(owner).post(f"/api/risks/{risk.pk}/reviews/", review | {"reviewed_on": "2099-01-01"}, format="json")

    assert response.status_code == 201
    assert response.json()["reviewed_on"] == timezone.localdate().isoformat()
