"""A process owner assesses a new risk, adds a treatment action and finds the risk on the heat map."""

import pytest
from playwright.sync_api import expect

from qms.choices import Role
from qms.models import Action
from risks.models import Risk
from tests.factories import ProcessFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_process_owner_assesses_a_risk_treats_it_and_finds_it_on_the_heat_map(page, sign_in):
    UserFactory(username="marco", first_name="Marco", last_name="Rossi", role=Role.PROCESS_OWNER)
    production = ProcessFactory(name="Production")
    sign_in("marco")

    page.locator(".app-nav").get_by_role("link", name="Risks").click()
    page.get_by_role("link", name="New risk", exact=True).first.click()
    page.fill("#id_title", "Spindle failure on the 5-axis cell")
    page.fill("#id_cause", "Bearings past their service life")
    page.select_option("#id_category", "infrastructure")
    page.select_option("#id_processes", str(production.pk))
    page.select_option("#id_status", "assessed")
    page.select_option("#id_inherent_likelihood", "4")
    page.select_option("#id_inherent_impact", "5")
    page.select_option("#id_strategy", "reduce")
    page.select_option("#id_residual_likelihood", "3")
    # The impact with controls is left out: both levels or neither.
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Give both the likelihood and the impact")
    expect(page.locator("#id_title")).to_have_value("Spindle failure on the 5-axis cell")
    page.select_option("#id_residual_impact", "4")
    page.get_by_role("button", name="Create").click()

    expect(page.locator("h1")).to_have_text("Spindle failure on the 5-axis cell")
    risk = Risk.objects.get()
    expect(page.locator("main")).to_contain_text("Critical · 20")
    expect(page.locator("main")).to_contain_text("High · 12")

    page.get_by_role("link", name="Add a treatment action").click()
    page.fill("#id_title", "Replace spindle bearings at the next shutdown")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Replace spindle bearings at the next shutdown")
    assert Action.objects.get().source == risk

    page.goto(risk.get_absolute_url())
    expect(page.locator("#treatments-title").locator("xpath=../..")).to_contain_text("Replace spindle bearings")

    page.locator(".app-nav").get_by_role("link", name="Risks").click()
    page.get_by_role("link", name="Heat map").click()
    cell = page.get_by_label("1 at likelihood 3, impact 4 (score 12, high)")
    expect(cell).to_have_text("1")
    cell.click()
    expect(page.get_by_role("link", name="Spindle failure on the 5-axis cell")).to_be_visible()
