"""Two-factor sign-in in a real browser: set it up from one's profile with a code computed from the
key the page shows, keep the recovery codes, sign out, and sign in again with a code."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from qms.choices import Role
from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def app_code(secret: str, steps: int = 0) -> str:
    """What an authenticator app shows for the key typed in by hand (`steps` periods from now)."""
    totp = TOTP(b32decode(secret.replace(" ", "")), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def test_a_person_sets_up_two_factor_then_signs_in_with_a_code(page, sign_in, settings):
    settings.OTP_TOTP_SYNC = False  # the next code is the next period's, whatever the clock
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the right code may follow the wrong one at once
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role=Role.PROCESS_OWNER)
    sign_in("marco")

    page.locator(".user-menu").click()
    page.get_by_role("link", name="My profile").click()
    card = page.locator("#two-factor")
    expect(card).to_contain_text("Not set up")
    card.get_by_role("link", name="Set up").click()

    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".twofactor-qr svg")).to_be_visible()
    code = page.get_by_label("Code from the app")
    expect(code).to_be_focused()
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    expect(page.locator(".invalid-feedback")).to_contain_text("not the code the app shows now")
    page.get_by_text("Cannot scan? Type the key instead").click()
    secret = page.locator("#twofactor-secret").inner_text()
    page.get_by_label("Code from the app").fill(app_code(secret))
    page.keyboard.press("Enter")

    expect(page.locator(".alert-success")).to_contain_text("Two-factor sign-in is on")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them").click()
    expect(page.locator("#two-factor")).to_contain_text("10 unused recovery codes")

    page.locator(".user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"/people/{marco.pk}/")
    page.fill("#id_username", "marco")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    expect(page.locator("h1")).to_have_text("Two-factor sign-in")
    expect(page.get_by_label("Code")).to_be_focused()
    page.keyboard.type(app_code(secret, steps=1))
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Marco Rossi")  # where the sign-in was asked for
    expect(page.locator("#two-factor")).to_contain_text("On since")
