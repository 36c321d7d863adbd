"""The process map in a real browser: readable at its natural size, zoomed and panned by its controls."""

import pytest
from playwright.sync_api import expect

from qms.choices import Role
from tests.factories import HandOffFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.browser

# The smallest text on the map at 100 %, in CSS pixels: font size times the SVG's scale on screen.
SMALLEST_TEXT = """svg => Math.min(...[...svg.querySelectorAll("text")].map(
    text => parseFloat(text.getAttribute("font-size")) * text.getScreenCTM().a))"""


def test_the_map_is_readable_as_drawn_and_zooms_with_its_buttons_and_keys(page, sign_in):
    UserFactory(username="vera", role=Role.VIEWER)
    processes = ProcessFactory.create_batch(12)  # taller than the box
    for source, target in zip(processes, processes[1:], strict=False):
        HandOffFactory(source=source, target=target, item=f"Parts for {target.name}")

    sign_in("vera")
    page.goto("/processes/map/")
    svg = page.locator(".process-map svg")
    width = float(svg.evaluate("svg => svg.getBoundingClientRect().width"))

    assert svg.evaluate(SMALLEST_TEXT) >= 12
    page.get_by_role("button", name="Zoom in").click()
    expect(page.get_by_role("button", name="Actual size")).to_have_text("125%")
    assert float(svg.get_attribute("width")) == pytest.approx(width * 1.25, rel=0.01)
    page.get_by_role("button", name="Show the whole map").click()
    viewport = page.locator("[data-map-viewport]")
    assert viewport.evaluate("box => box.scrollHeight <= box.clientHeight + 1")
    expect(page.get_by_role("button", name="Zoom out")).to_be_disabled()  # it already shows everything
    viewport.focus()
    page.keyboard.press("0")
    expect(page.get_by_role("button", name="Actual size")).to_have_text("100%")
    assert float(svg.get_attribute("width")) == pytest.approx(width, rel=0.01)


def test_a_process_without_hand_offs_is_one_box_of_normal_size(page, sign_in):
    UserFactory(username="vera", role=Role.VIEWER)
    alone = ProcessFactory(name="Additive manufacturing pilot")

    sign_in("vera")
    page.goto(alone.get_absolute_url())

    box = page.locator(".mini-map svg").bounding_box()
    assert box["width"] < 250 and box["height"] < 130
    assert page.locator(".mini-map svg").evaluate(SMALLEST_TEXT) >= 12


def test_a_map_swapped_in_by_htmx_zooms_too(page, sign_in):
    UserFactory(username="vera", role=Role.VIEWER)
    HandOffFactory(item="Orders")

    sign_in("vera")
    page.goto("/processes/map/")
    page.locator("[data-process-map]").evaluate("frame => frame.dataset.before = 'swap'")
    page.evaluate(
        """() => new Promise(done => {
            document.body.addEventListener("htmx:afterSettle", done, {once: true});
            htmx.ajax("GET", location.href, {target: ".process-map", select: ".process-map > *", swap: "innerHTML"});
        })"""
    )

    frame = page.locator("[data-process-map]")
    expect(frame).to_have_count(1)
    expect(frame).not_to_have_attribute("data-before", "swap")
    expect(frame).to_have_attribute("data-map-ready", "true")
    page.get_by_role("button", name="Zoom in").click()
    expect(page.get_by_role("button", name="Actual size")).to_have_text("125%")
