"""Risk journeys in a real browser: a process owner assesses a new risk, treats it and finds it on the
heat map; Leadership finds an acceptance waiting on the dashboard and approves it."""

import pytest
from playwright.sync_api import expect

from qms.choices import Role
from qms.models import Action
from risks.choices import Strategy
from risks.models import Risk
from tests.factories import ProcessFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_process_owner_assesses_a_risk_treats_it_and_finds_it_on_the_heat_map(page, sign_in, pick):
    UserFactory(username="marco", first_name="Marco", last_name="Rossi", role=Role.PROCESS_OWNER)
    production = ProcessFactory(name="Production")
    sign_in("marco")

    page.locator(".app-nav").get_by_role("link", name="Risks").click()
    page.get_by_role("link", name="New risk", exact=True).first.click()
    page.fill("#id_title", "Spindle failure on the 5-axis cell")
    page.fill("#id_cause", "Bearings past their service life")
    page.select_option("#id_category", "infrastructure")
    pick("#id_processes", production.name)
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


def test_leadership_finds_an_acceptance_on_the_dashboard_and_approves_it(page, sign_in):
    UserFactory(username="helen", first_name="Helen", last_name="Carter", role=Role.LEADERSHIP)
    RiskFactory(
        title="Loss of our largest customer",
        residual_likelihood=3,
        residual_impact=5,
        strategy=Strategy.ACCEPT,
        acceptance_rationale="A long-term agreement runs to 2028.",
    )
    sign_in("helen")

    page.get_by_role("link", name="1 acceptance awaiting Leadership").click()
    page.get_by_role("link", name="Loss of our largest customer").click()
    page.get_by_role("link", name="Approve acceptance").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("A long-term agreement runs to 2028.")
    dialog.get_by_label("Comment").fill("Reviewed with the board")
    dialog.get_by_role("button", name="Approve acceptance").click()

    expect(page.locator("main")).to_contain_text("Approved by Helen Carter")
    page.locator(".app-nav").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("link", name="0 acceptances awaiting Leadership")).to_be_visible()


def test_switching_a_new_record_to_an_opportunity_redraws_the_form_in_its_words(page, sign_in):
    UserFactory(username="marco", role=Role.PROCESS_OWNER)
    sign_in("marco")

    page.goto("/risks/new/")
    page.fill("#id_title", "Sell spare 5-axis capacity")
    page.fill("#id_cause", "Night shift runs at 60 %")
    page.select_option("#id_kind", "opportunity")

    expect(page.get_by_label("What creates it")).to_have_value("Night shift runs at 60 %")
    expect(page.locator("#id_title")).to_have_value("Sell spare 5-axis capacity")
    expect(page.locator("#id_strategy option")).to_have_text(["—", "Pursue", "Enhance", "Share", "Decline"])
    page.select_option("#id_category", "customer")
    page.get_by_role("button", name="Create").click()

    expect(page.locator("main")).to_contain_text("Created OPP-001")
