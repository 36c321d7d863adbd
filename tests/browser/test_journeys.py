"""The foundation's journeys in a real browser: finding one's way round, raising an action, and
taking it through its lifecycle to the effectiveness check."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qms.choices import ActionStatus, Role
from qms.models import Action
from tests.factories import ActionFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.browser

NAVIGATION = [
    "Dashboard",
    "My work",
    "Processes",
    "Objectives & KPIs",
    "Risks",
    "Audits",
    "Reviews",
    "Actions",
    "People",
]


def test_a_new_user_visits_every_navigation_entry(page, sign_in):
    UserFactory(username="anna", first_name="Anna", last_name="Berg", role=Role.PROCESS_OWNER)
    ProcessFactory(name="Production")

    sign_in("anna")

    nav = page.locator(".app-nav")
    for entry in NAVIGATION:
        with page.expect_navigation() as navigation:
            nav.get_by_role("link", name=entry, exact=True).click()
        assert navigation.value.status < 400, entry
        expect(page.locator("h1")).to_be_visible()
        expect(nav.locator(".nav-link.active")).to_have_text(entry)


def test_a_process_owner_raises_an_action_and_finds_it_in_my_work(page, sign_in, pick):
    UserFactory(username="anna", first_name="Anna", last_name="Berg", role=Role.PROCESS_OWNER)
    production = ProcessFactory(name="Production")
    sign_in("anna")

    page.locator(".app-nav").get_by_role("link", name="Actions").click()
    page.get_by_role("link", name="New action").first.click()
    page.fill("#id_title", "Recalibrate the torque wrenches")
    page.fill("#id_description", "Two wrenches were found out of tolerance.")
    page.select_option("#id_kind", "corrective")
    pick("#id_owner", "Anna Berg")
    pick("#id_processes", production.name)
    page.fill("#id_due_date", str(timezone.localdate() - timedelta(days=1)))
    page.get_by_role("button", name="Create").click()

    # Refused: the message sits beside the field and nothing typed is lost.
    expect(page.locator(".invalid-feedback")).to_contain_text("The due date cannot be in the past.")
    expect(page.locator("#id_title")).to_have_value("Recalibrate the torque wrenches")
    assert not Action.objects.exists()

    page.fill("#id_due_date", str(timezone.localdate() + timedelta(days=10)))
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Recalibrate the torque wrenches")
    action = Action.objects.get()
    assert list(action.processes.all()) == [production]

    page.locator(".app-nav").get_by_role("link", name="My work").click()
    expect(page.get_by_role("link", name=action.reference)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Recalibrate the torque wrenches")


def test_an_action_goes_from_open_to_verified_effective(page, sign_in):
    owner = UserFactory(username="anna", role=Role.PROCESS_OWNER)
    UserFactory(username="quality", role=Role.QUALITY_MANAGER)
    action = ActionFactory(owner=owner, title="Update the control plan")

    sign_in("anna")
    page.goto(action.get_absolute_url())
    page.get_by_role("button", name="Start work").click()
    expect(page.locator(".alert-success")).to_contain_text("is now in progress")
    page.get_by_role("link", name="Mark done").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Comment")).to_be_focused()
    page.keyboard.type("New torque values in the plan, rev. C")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("is now done")
    # The owner does not judge their own action.
    expect(page.get_by_role("button", name="Record the check")).to_have_count(0)

    page.locator(".user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in("quality")
    page.goto(action.get_absolute_url())
    page.get_by_label("Effective: the problem has not come back").check()
    page.fill("#id_note", "No torque escapes in the last three months of inspection records.")
    page.get_by_role("button", name="Record the check").click()

    expect(page.locator("main")).to_contain_text("Verified effective")
    action.refresh_from_db()
    assert action.history.filter(status="done").get().history_change_reason == "New torque values in the plan, rev. C"
    assert action.status == ActionStatus.VERIFIED_EFFECTIVE
    assert action.verified_by.username == "quality"


def test_a_viewer_is_not_offered_and_cannot_open_the_new_action_form(page, sign_in):
    UserFactory(username="victor", role=Role.VIEWER)
    sign_in("victor")

    page.locator(".app-nav").get_by_role("link", name="Actions").click()
    expect(page.get_by_role("link", name="New action")).to_have_count(0)
    assert page.request.get("/actions/new/").status == 403


def test_cancelling_an_action_asks_why_and_keeps_what_was_typed(page, sign_in):
    owner = UserFactory(username="anna", role=Role.PROCESS_OWNER)
    action = ActionFactory(owner=owner, title="Buy a second torque wrench")

    sign_in("anna")
    page.goto(action.get_absolute_url())
    page.get_by_role("link", name="Cancel action").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Cancel the action").click()
    expect(dialog).to_contain_text("Say why the action is cancelled.")
    dialog.get_by_label("Why is it cancelled?").fill("The supplier lends us one")
    dialog.get_by_role("button", name="Cancel the action").click()

    expect(page.locator(".alert-success")).to_contain_text("is now cancelled")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    action.refresh_from_db()
    assert action.history.first().history_change_reason == "The supplier lends us one"


def test_the_owner_filter_is_a_combobox_that_finds_people_as_you_type(page, sign_in, pick):
    anna = UserFactory(username="anna", first_name="Anna", last_name="Berg", role=Role.PROCESS_OWNER)
    ActionFactory(title="Recalibrate the wrenches", owner=anna)
    ActionFactory(title="Order new gloves")
    sign_in("anna")

    page.goto("/actions/")
    owner = page.get_by_role("combobox", name="Owner")
    expect(owner).to_have_attribute("aria-controls", "id_owner-ts-dropdown")
    pick("#id_owner", "Anna Berg", typed="berg")

    expect(page.locator("#results")).to_contain_text("Recalibrate the wrenches")
    expect(page.locator("#results")).not_to_contain_text("Order new gloves")
    assert f"owner={anna.pk}" in page.url


def test_enter_straight_after_typing_chooses_what_was_typed(page, sign_in):
    """A fast typist does not wait for the list to settle: Enter chooses the match for what was
    typed, not the first of the list shown before, and the list stays closed afterwards."""
    UserFactory(username="anna", first_name="Anna", last_name="Berg", role=Role.PROCESS_OWNER)
    UserFactory(first_name="Zoe", last_name="Young")
    sign_in("anna")

    page.goto("/actions/")
    page.locator("#id_owner + .ts-wrapper .ts-control").click()
    expect(page.locator("#id_owner-ts-dropdown [role=option]", has_text="Anna Berg")).to_be_visible()
    page.keyboard.type("young")
    page.keyboard.press("Enter")

    expect(page.locator("#id_owner option:checked")).to_have_text("Zoe Young")
    page.wait_for_timeout(500)  # longer than Tom Select's default refresh delay
    expect(page.locator("#id_owner-ts-dropdown")).to_be_hidden()
