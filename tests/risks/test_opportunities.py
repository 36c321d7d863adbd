"""An opportunity reads as a chance, not a threat: its bands, colours, form and heat map."""

import pytest
from django.urls import reverse

from risks.choices import RiskKind, Strategy
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_opportunity(owner):
    return RiskFactory(
        kind=RiskKind.OPPORTUNITY,
        owner=owner,
        title="Second shift for aerospace work",
        inherent_likelihood=4,
        inherent_impact=5,
        residual_likelihood=4,
        residual_impact=5,
        strategy=Strategy.PURSUE,
    )


def test_a_big_benefit_is_exceptional_in_green_never_a_red_critical(client_for, viewer, big_opportunity):
    register = client_for(viewer).get(reverse("risks:risk_list"), {"kind": "opportunity"}).content.decode()
    page = client_for(viewer).get(big_opportunity.get_absolute_url()).content.decode()

    for html in (register, page):
        assert "Exceptional · 20" in html and "band-opp-4" in html
        assert "Critical ·" not in html and "band-danger" not in html
    assert "Before our actions" in page and "With our actions" in page


def test_the_opportunity_heat_map_speaks_of_benefit(client_for, viewer, big_opportunity):
    page = client_for(viewer).get(reverse("risks:heat_map"), {"kind": "opportunity"}).content.decode()

    assert "1 at likelihood 4, benefit 5 (score 20, exceptional)" in page
    assert "band-opp-4" in page and "band-danger" not in page


def test_the_form_for_an_opportunity_offers_its_strategies_and_no_acceptance(client_for, owner):
    form = client_for(owner).get(reverse("risks:risk_add"), {"kind": "opportunity"}).context["form"]

    assert [value for value, _label in form.fields["strategy"].choices] == ["", "pursue", "enhance", "share", "decline"]
    assert form.fields["inherent_impact"].label == "Benefit before our actions"
    assert "acceptance_rationale" not in form.fields
    assert form.fieldsets[0][0] == "What could go well"


def test_choosing_the_other_kind_redraws_the_form_and_keeps_what_was_typed(client_for, owner):
    query = {"kind": "opportunity", "title": "Sell machining capacity", "cause": "Idle 5-axis hours"}

    response = client_for(owner).get(reverse("risks:risk_add"), query, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert 'id="record-form"' in page and 'value="Sell machining capacity"' in page
    assert "Idle 5-axis hours" in page and "What we would gain" in page
    assert '<option value="avoid"' not in page


def test_an_opportunity_with_a_risk_strategy_is_refused_with_its_own_choices(client_for, owner):
    data = {"kind": "opportunity", "title": "New market", "category": "customer", "owner": owner.pk}
    data |= {"status": "identified", "strategy": "avoid"}

    response = client_for(owner).post(reverse("risks:risk_add"), data)

    assert response.status_code == 422
    assert "strategy" in response.context["form"].errors
