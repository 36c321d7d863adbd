"""A nonconformity's journey in a real browser: a customer complaint is recorded, contained, its root
cause found by 5 whys typed from the keyboard, a corrective action raised from it; it goes to its
effectiveness review, which its owner may not make, and a quality manager's review closes it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nonconformities.choices import NCStatus, Origin
from nonconformities.models import Nonconformity
from qms.choices import Role
from qms.models import Action
from tests.factories import ProcessFactory, UserFactory

pytestmark = pytest.mark.browser


def confirm_step(page, button: str) -> None:
    """Take a workflow step: its button asks first in the dialog, which takes it."""
    page.get_by_role("link", name=button).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()
    expect(page.locator(".alert-success")).to_be_visible()


def test_a_complaint_is_contained_analysed_corrected_and_closed_by_an_independent_review(page, sign_in, pick):
    UserFactory(username="sam", first_name="Sam", last_name="Patel", role=Role.PROCESS_OWNER)
    UserFactory(username="priya", first_name="Priya", last_name="Shah", role=Role.QUALITY_MANAGER)
    service = ProcessFactory(name="Customer service")
    received = timezone.localdate() - timezone.timedelta(days=3)
    sign_in("sam")

    page.locator(".app-nav").get_by_role("link", name="Nonconformities").click()
    page.get_by_role("link", name="Customer complaint").click()
    expect(page.get_by_role("textbox", name="Customer", exact=True)).to_be_visible()
    page.fill("#id_title", "Burrs on M8 threads of GH-220")
    page.fill("#id_description", "Arden's line found burrs in 14 housings; two bolts cross-threaded.")
    page.select_option("#id_severity", "major")
    pick("#id_processes", service.name)
    page.get_by_role("button", name="Create").click()
    # The customer and the day it came in are missing: nothing typed is lost.
    expect(page.locator("main")).to_contain_text("Nothing has been saved yet")
    expect(page.locator("#id_title")).to_have_value("Burrs on M8 threads of GH-220")
    page.fill("#id_party", "Arden Motors")
    page.fill("#id_received_on", received.isoformat())
    page.fill("#id_responded_on", timezone.localdate().isoformat())
    page.fill("#id_containment", "All 1,240 housings thread-gauged; 37 re-tapped.")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Burrs on M8 threads of GH-220")
    nc = Nonconformity.objects.get()
    assert (nc.origin, nc.party, nc.response_days) == (Origin.CUSTOMER_COMPLAINT, "Arden Motors", 3)

    confirm_step(page, "Mark contained")
    expect(page.locator("#record-status")).to_have_text("Contained")

    # Without a root cause the gate holds, and says why.
    page.get_by_role("link", name="Root cause found").click()
    page.get_by_role("dialog").get_by_role("button", name="Root cause found").click()
    expect(page.get_by_role("dialog")).to_contain_text("Find the root cause first")
    page.get_by_role("dialog").get_by_role("button", name="Go back").click()

    page.get_by_role("link", name="Edit").click()
    page.select_option("#id_root_cause_method", "five_whys")
    page.locator("#id_whys_0").click()
    page.keyboard.type("The tap wore out before its tool-life count.")
    page.keyboard.press("Tab")
    page.keyboard.type("Tool life was set for the old tap grade.")
    page.keyboard.press("Tab")
    page.keyboard.type("The new grade came in without a review.")
    page.fill("#id_root_cause", "Tool changes are not reviewed by process engineering.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Tool life was set for the old tap grade.")

    confirm_step(page, "Root cause found")
    confirm_step(page, "Start corrective action")
    expect(page.locator("#record-status")).to_have_text("Corrective action")

    page.get_by_role("link", name="Raise a corrective action").click()
    page.fill("#id_title", "Engineering sign-off for every tool change")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Engineering sign-off for every tool change")
    assert Action.objects.get().source == nc
    action_url = page.url
    page.goto(nc.get_absolute_url())
    expect(page.locator("#actions-title").locator("xpath=../..")).to_contain_text("Engineering sign-off")

    # The review waits until the corrective action is done.
    page.get_by_role("link", name="Ready for effectiveness review").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Ready for effectiveness review").click()
    expect(page.get_by_role("dialog")).to_contain_text("Finish its corrective actions first")
    page.get_by_role("dialog").get_by_role("button", name="Go back").click()
    page.goto(action_url)
    page.get_by_role("link", name="Mark done").click()
    page.get_by_role("dialog").get_by_role("button", name="Mark done").click()
    expect(page.locator(".alert-success")).to_contain_text("is now done")
    page.goto(nc.get_absolute_url())

    confirm_step(page, "Ready for effectiveness review")
    expect(page.locator("#record-status")).to_have_text("Effectiveness review")
    expect(page.locator("#effectiveness-review")).to_have_count(0)  # never the owner's to review

    page.locator(".user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in("priya")
    page.get_by_role("link", name="1 nonconformity awaits your effectiveness review").click()
    page.get_by_role("link", name="Burrs on M8 threads of GH-220").click()
    page.get_by_label("Effective: the problem has not come back").check()
    page.fill("#id_note", "No thread burrs in the next 12 deliveries to Arden.")
    page.get_by_role("button", name="Record the review").click()

    expect(page.locator("#record-status")).to_have_text("Closed")
    expect(page.locator("main")).to_contain_text("reviewed by Priya Shah")
    nc.refresh_from_db()
    assert (nc.status, nc.reviewed_by.username) == (NCStatus.CLOSED, "priya")
