"""The quality policy in a real browser: the quality manager drafts a new version from the one in
force, a Leadership member approves it after reading it, and the old version shows as superseded."""

import pytest
from playwright.sync_api import expect

from qms.choices import Role
from reviews import services
from reviews.choices import StatementStatus
from reviews.models import QmsStatement
from tests.factories import QmsStatementFactory, UserFactory

pytestmark = pytest.mark.browser


def test_the_quality_manager_drafts_a_policy_and_leadership_approves_it(page, sign_in):
    priya = UserFactory(username="priya", first_name="Priya", last_name="Shah", role=Role.QUALITY_MANAGER)
    helen = UserFactory(username="helen", first_name="Helen", last_name="Carter", role=Role.LEADERSHIP)
    services.statement_approve(
        statement=QmsStatementFactory(owner=priya, text="We make parts that fit first time."), user=helen
    )
    sign_in("priya")

    page.locator(".app-nav").get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Quality policy").click()
    page.get_by_role("link", name="Draft a new version").click()
    expect(page.locator("#id_text")).to_have_value("We make parts that fit first time.")
    page.fill("#id_text", "We make parts that fit first time and arrive when promised.")
    page.fill("#id_change_summary", "Adds on-time delivery")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("main")).to_contain_text("Not yet: a Leadership member other than its drafter approves it")
    page.get_by_role("link", name="Policy and scope versions").click()
    expect(page.locator("main")).to_contain_text("awaiting approval by Leadership")
    expect(page.get_by_role("link", name="Approve")).to_have_count(0)  # the drafter never approves

    page.locator(".user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in("helen")
    page.goto("/reviews/policy/")
    page.get_by_role("link", name="Approve").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("arrive when promised")
    expect(dialog).to_contain_text("version 1 is superseded")
    dialog.get_by_label("Comment").fill("Agreed at the board")
    dialog.get_by_role("button", name="Approve").click()

    expect(page.locator("main")).to_contain_text("You approved Quality policy, version 2")
    expect(page.locator("#current-title").locator("xpath=../..")).to_contain_text("arrive when promised")
    earlier = page.locator("#earlier-title").locator("xpath=../..")
    expect(earlier).to_contain_text("Version 1")
    expect(earlier).to_contain_text("Superseded")
    assert QmsStatement.objects.get(version=1).status == StatementStatus.SUPERSEDED
    earlier.get_by_role("link", name="Version 1").click()
    expect(page.locator("main")).to_contain_text("This version has been superseded")
    expect(page.locator("main")).to_contain_text("We make parts that fit first time.")
