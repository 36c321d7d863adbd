"""A quality manager's people work in a real browser: invite someone, and when a person leaves,
see what they hold, hand it over from the deactivation dialog and deactivate them."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from qms.choices import Role
from qms.models import User
from risks.models import Risk
from tests.factories import ActionFactory, OrgUnitFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_quality_manager_invites_a_person(page, sign_in):
    UserFactory(username="quality", role=Role.QUALITY_MANAGER)
    OrgUnitFactory(name="Machining")
    sign_in("quality")

    page.locator(".app-nav").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Invite a person").click()
    page.fill("#id_username", "nina")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Kowalski")
    page.fill("#id_email", "nina@example.com")
    page.select_option("#id_role", "process_owner")
    page.select_option("#id_org_unit", label="Machining")
    page.get_by_role("button", name="Invite").click()

    expect(page.locator("h1")).to_have_text("Nina Kowalski")
    expect(page.locator(".alert-success")).to_contain_text("the invite goes to nina@example.com")
    expect(page.locator("main")).to_contain_text("has not chosen a password yet")
    assert [m.to for m in mail.outbox] == [["nina@example.com"]]


def test_a_leaver_hands_over_their_records_then_is_deactivated(page, sign_in):
    UserFactory(username="quality", role=Role.QUALITY_MANAGER)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role=Role.PROCESS_OWNER)
    UserFactory(username="nina", first_name="Nina", last_name="Kowalski", role=Role.PROCESS_OWNER)
    ActionFactory(owner=marco, title="Re-train the night shift")
    RiskFactory(owner=UserFactory()).deputies.add(marco)
    sign_in("quality")

    page.goto(f"/people/{marco.pk}/")
    expect(page.locator("main")).to_contain_text("Re-train the night shift")
    page.get_by_role("link", name="Deactivate").click()
    dialog = page.locator("#dialog")
    expect(dialog).to_contain_text("still holds 2 open records")

    dialog.get_by_role("link", name="Hand over their records first").click()
    expect(dialog.locator("h2")).to_have_text("Hand over Marco Rossi's records")
    dialog.locator("#id_to").select_option(label="Nina Kowalski")
    dialog.locator("#id_reason").fill("Marco moves to the Leeds plant")
    dialog.get_by_role("button", name="Show what moves").click()
    expect(dialog).to_contain_text("2 records move from Marco Rossi to Nina Kowalski")
    dialog.get_by_role("button", name="Hand over 2 records").click()

    expect(page.locator(".alert-success")).to_contain_text("Handed 2 records over to Nina Kowalski")
    expect(page.locator("main")).to_contain_text("owns no records and is deputy on none")
    assert list(Risk.objects.get().deputies.values_list("username", flat=True)) == ["nina"]

    page.get_by_role("link", name="Deactivate").click()
    expect(dialog).to_contain_text("holds no open records")
    dialog.locator("#id_reason").fill("Left the company")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".alert-success")).to_contain_text("Marco Rossi is deactivated")
    expect(page.get_by_role("link", name="Reactivate")).to_be_visible()
    assert not User.objects.get(pk=marco.pk).is_active

    page.locator(".app-nav").get_by_role("link", name="People").click()
    expect(page.locator("#results")).not_to_contain_text("Marco Rossi")
    page.select_option("#id_status", "deactivated")
    expect(page.locator("#results")).to_contain_text(re.compile(r"Marco Rossi\s*Deactivated"))


def test_a_person_makes_an_api_token_on_their_profile_uses_it_and_revokes_it(page, sign_in, live_server):
    olga = UserFactory(username="owner", first_name="Olga", last_name="Berg", role=Role.PROCESS_OWNER)
    sign_in("owner")

    page.goto(f"/people/{olga.pk}/")
    tokens = page.locator("#api-tokens")
    expect(tokens).to_contain_text("None yet")
    tokens.get_by_role("link", name="New token").click()
    dialog = page.locator("#dialog")
    dialog.locator("#id_name").fill("Power BI")
    dialog.get_by_role("button", name="Make the token").click()
    expect(dialog).to_contain_text("shown this once")
    key = dialog.locator("#api-token-key").input_value()
    assert key.startswith("qms_")
    dialog.get_by_role("link", name="Done").click()

    expect(tokens).to_contain_text("Power BI")
    expect(page.locator("main")).not_to_contain_text(key)
    answer = page.request.get(f"{live_server.url}/api/actions/", headers={"Authorization": f"Token {key}"})
    assert answer.status == 200

    tokens.get_by_role("link", name="Revoke").click()
    dialog.locator("#id_reason").fill("Report retired")
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.locator(".alert-success")).to_contain_text("Revoked the token “Power BI”")
    expect(tokens).to_contain_text("Revoked")
    answer = page.request.get(f"{live_server.url}/api/actions/", headers={"Authorization": f"Token {key}"})
    assert answer.status == 401
