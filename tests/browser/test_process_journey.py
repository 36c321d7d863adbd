"""A process owner describes their process in the browser and sees the result on the process map."""

from html import unescape

import pytest
from playwright.sync_api import expect

from processes.models import HandOff
from qms.choices import Role
from tests.factories import ActionFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.browser


def test_process_owner_adds_an_output_and_a_hand_off_and_sees_it_on_the_map(page, sign_in, pick):
    owner = UserFactory(username="marco", role=Role.PROCESS_OWNER)
    production = ProcessFactory(owner=owner, name="Production")
    inspection = ProcessFactory(name="Inspection and release")

    ActionFactory(processes=[production], title="Recalibrate the press")
    sign_in("marco")
    page.goto(production.get_absolute_url())
    # Its sections load once the page shows, each in its place, none left loading.
    expect(page.get_by_role("region", name="Actions")).to_contain_text("Recalibrate the press")
    expect(page.locator(".section-loading")).to_have_count(0)
    titles = page.locator("section.card h2").all_inner_texts()
    assert titles.index("Measures") < titles.index("Risks and opportunities") < titles.index("Actions")

    # An output to a party outside the organisation, added in place.
    page.get_by_text("Add an output to outside").click()
    page.fill("#id_outputs_name", "Scrap metal")
    page.fill("#id_outputs_customer", "Recycler")
    page.locator("#turtle form").filter(has=page.locator("#id_outputs_name")).get_by_role("button").click()
    expect(page.locator("#turtle")).to_contain_text("Scrap metal")

    # A hand-off to another process; a typo first (empty item), then the real thing.
    page.get_by_text("Add a hand-off with another process").click()
    pick("#id_handoffs_other", "Inspection and release", typed="Inspection")
    page.locator("#id_handoffs_item").press("Enter")  # from the keyboard, as the picker leaves the focus near
    expect(page.locator("#turtle")).to_contain_text("This field is required.")
    page.fill("#id_handoffs_item", "Finished parts")
    page.locator("#id_handoffs_item").press("Enter")
    expect(page.locator("#turtle")).to_contain_text("Finished parts")
    assert HandOff.objects.filter(source=production, target=inspection, item="Finished parts").exists()

    # The map shows both processes and the hand-off between them; a click opens the process.
    page.locator(".app-nav").get_by_role("link", name="Processes").click()
    page.get_by_role("link", name="Process map").click()
    svg = page.locator(".process-map svg")
    expect(svg).to_be_visible()
    text = unescape(svg.inner_html())
    assert production.reference in text and inspection.reference in text
    assert "Finished parts" in text
    page.locator(f'.process-map a[*|href="{inspection.get_absolute_url()}"]').first.click()
    expect(page.locator("h1")).to_have_text("Inspection and release")
    expect(page.locator("#turtle")).to_contain_text("Finished parts")


def test_a_section_that_fails_to_load_says_so_in_its_place(page, sign_in, provoked_errors):
    UserFactory(username="vera", role=Role.VIEWER)
    process = ProcessFactory(name="Production")
    ActionFactory(processes=[process], title="Recalibrate the press")
    provoked_errors.append("500")
    page.route("**/sections/process_risks/", lambda route: route.fulfill(status=500, body="Server error"))
    sign_in("vera")
    page.goto(process.get_absolute_url())

    expect(page.get_by_text("This section could not be loaded. Reload the page to try again.")).to_be_visible()
    expect(page.get_by_role("region", name="Actions")).to_contain_text("Recalibrate the press")
    expect(page.locator("#notice")).to_be_hidden()  # the page-wide notice speaks of saving, not loading
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
