"""A matrix change that moves bands is shown before it is saved, with the approvals that would lapse."""

import pytest
from django.urls import reverse

from risks import services
from risks.choices import Band, RiskKind, Strategy
from risks.models import Risk, RiskMatrix
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db

DEFAULT_LEVELS = {
    "likelihood_levels": "Rare\nUnlikely\nPossible\nLikely\nAlmost certain",
    "impact_levels": "Negligible\nMinor\nModerate\nMajor\nSevere",
    "benefit_levels": "Slight\nMinor\nModerate\nMajor\nExceptional",
}
# High from 8 instead of 10: a residual score of 9 (3 × 3) moves from medium to high.
HIGH_FROM_8 = DEFAULT_LEVELS | {"medium_from": 5, "high_from": 8, "critical_from": 16}


@pytest.fixture
def accepted(lead, owner):
    """RSK with an approved acceptance at high (4 × 3 = 12), which critical from 12 would move."""
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    return services.risk_approve_acceptance(risk=risk, user=lead)


def test_a_band_moving_change_is_shown_first_and_nothing_is_saved(client_for, quality, accepted):
    medium = RiskFactory(title="Seal wear")  # residual 9: medium, would become high
    history_rows = Risk.history.count()

    response = client_for(quality).post(
        reverse("risks:matrix_edit"), DEFAULT_LEVELS | {"medium_from": 5, "high_from": 8, "critical_from": 12}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Saving this matrix moves 2 records to another band" in body
    assert "1 approved acceptance would lapse." in body
    assert medium.reference in body and accepted.reference in body
    assert RiskMatrix.current().band_thresholds == {"medium": 5, "high": 10, "critical": 16}
    medium.refresh_from_db()
    accepted.refresh_from_db()
    assert (medium.residual_band, accepted.residual_band) == (Band.MEDIUM, Band.HIGH)
    assert accepted.accepted_by is not None
    assert Risk.history.count() == history_rows


def test_the_confirmed_change_is_saved_and_rescored(client_for, quality, accepted):
    moves = services.risks_band_moves(matrix=RiskMatrix(band_thresholds={"medium": 5, "high": 8, "critical": 12}))
    data = DEFAULT_LEVELS | {"medium_from": 5, "high_from": 8, "critical_from": 12}

    response = client_for(quality).post(
        reverse("risks:matrix_edit"), data | {"confirmed": services.band_moves_key(moves)}
    )

    assert response.status_code == 302
    accepted.refresh_from_db()
    assert (accepted.residual_band, accepted.accepted_by) == (Band.CRITICAL, None)
    assert RiskMatrix.current().band_thresholds["critical"] == 12


def test_a_confirmation_of_other_moves_shows_the_moves_again(client_for, quality):
    RiskFactory()  # residual 9: medium, high from 8
    response = client_for(quality).post(reverse("risks:matrix_edit"), HIGH_FROM_8 | {"confirmed": "0123456789abcdef"})

    assert response.status_code == 200
    assert "Save and rescore" in response.content.decode()
    assert RiskMatrix.current().band_thresholds["high"] == 10


def test_a_change_that_moves_no_band_is_saved_at_once(client_for, quality):
    RiskFactory(residual_likelihood=3, residual_impact=3)  # 9: medium whether high starts at 10 or 11

    response = client_for(quality).post(
        reverse("risks:matrix_edit"), DEFAULT_LEVELS | {"medium_from": 5, "high_from": 11, "critical_from": 16}
    )

    assert response.status_code == 302
    assert RiskMatrix.current().band_thresholds["high"] == 11


def test_moves_list_each_stage_that_moves_and_only_approved_acceptances_lapse(accepted):
    unscored = RiskFactory(status="identified", inherent_likelihood=None, inherent_impact=None,
                           residual_likelihood=None, residual_impact=None)  # fmt: skip
    opportunity = RiskFactory(kind=RiskKind.OPPORTUNITY, strategy=Strategy.PURSUE)  # 16 and 9
    matrix = RiskMatrix(band_thresholds={"medium": 5, "high": 8, "critical": 12})

    moves = {move.reference: move for move in services.risks_band_moves(matrix=matrix)}

    assert unscored.reference not in moves
    assert moves[opportunity.reference].inherent is None  # 16 stays critical
    assert moves[opportunity.reference].residual == (Band.MEDIUM, Band.HIGH)
    assert not moves[opportunity.reference].approval_lapses
    assert moves[accepted.reference].residual == (Band.HIGH, Band.CRITICAL)
    assert moves[accepted.reference].approval_lapses


def test_working_out_the_moves_is_one_query_whatever_the_number_of_risks(django_assert_num_queries):
    matrix = RiskMatrix(band_thresholds={"medium": 5, "high": 8, "critical": 12})
    RiskFactory()
    with django_assert_num_queries(1):
        assert len(services.risks_band_moves(matrix=matrix)) == 1
    RiskFactory.create_batch(20)
    with django_assert_num_queries(1):
        assert len(services.risks_band_moves(matrix=matrix)) == 21
