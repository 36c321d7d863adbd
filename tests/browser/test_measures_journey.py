"""A process owner keeps their KPIs current on My measures: a value saves with Enter and the row's
status changes in place; a bad value gets a message beside the field and saves nothing."""

import pytest
from playwright.sync_api import expect

from objectives import services
from objectives.models import KPI, Measurement
from qms.choices import Role
from tests.factories import KPIFactory, MeasurementFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_process_owner_enters_values_on_my_measures(page, sign_in):
    owner = UserFactory(username="marco", role=Role.PROCESS_OWNER)
    kpi = KPIFactory(owner=owner, name="First-pass yield", valid_min=0, valid_max=100)
    due = kpi.due_period()
    MeasurementFactory(kpi=kpi, period_start=due.previous().start, value=88)
    services.kpi_refresh_statuses(KPI.objects.all())

    sign_in("marco")
    page.locator(".app-nav").get_by_role("link", name="Objectives & KPIs").click()
    page.get_by_role("link", name="My measures").first.click()
    row = page.locator(f"#measure-{kpi.pk}")
    expect(row).to_contain_text("First-pass yield")
    expect(row).to_contain_text("Overdue")

    field = row.get_by_role("textbox")
    field.fill("1O2")  # a typo: letter O
    field.press("Enter")
    expect(row.locator(".invalid-feedback")).to_contain_text("is not a number")
    expect(row.get_by_role("textbox")).to_have_value("1O2")

    row.get_by_role("textbox").fill("102")
    row.get_by_role("textbox").press("Enter")
    expect(row.locator(".invalid-feedback")).to_contain_text("above the highest possible value, 100")
    assert not Measurement.objects.filter(kpi=kpi, period_start=due.start).exists()

    row.get_by_role("textbox").fill("97.5")
    row.get_by_role("textbox").press("Enter")
    expect(row).to_contain_text(f"Saved 97.5 for {due.label}")
    expect(row).to_contain_text("On target")
    assert Measurement.objects.get(kpi=kpi, period_start=due.start).entered_by == owner

    page.get_by_role("link", name="First-pass yield").click()
    expect(page.locator("h1")).to_have_text("First-pass yield")
    expect(page.locator(".kpi-chart svg")).to_be_visible()


def test_a_process_owner_corrects_a_stored_value_in_place(page, sign_in):
    owner = UserFactory(username="marco", role=Role.PROCESS_OWNER)
    kpi = KPIFactory(owner=owner, name="Scrap rate", unit="%", direction="lower", target=2, warning=3, valid_max=100)
    typo = MeasurementFactory(kpi=kpi, period_start=kpi.due_period().start, value=17.2, comment="From the ERP")
    MeasurementFactory(kpi=kpi, period_start=kpi.due_period().previous().start, value=1.9)
    services.kpi_refresh_statuses(KPI.objects.all())

    sign_in("marco")
    page.goto(kpi.get_absolute_url())
    row = page.locator(f"#value-{typo.pk}")
    expect(row).to_contain_text("Off target")

    row.get_by_role("link", name="Edit").click()
    field = row.get_by_role("textbox", name="Value for")
    expect(field).to_be_focused()
    field.fill("x")
    page.keyboard.press("Escape")  # nothing changes
    expect(row.get_by_role("link", name="Edit")).to_be_focused()
    expect(row).to_contain_text("17.2")

    row.get_by_role("link", name="Edit").click()
    row.get_by_role("textbox", name="Value for").fill("1O")
    row.get_by_role("textbox", name="Value for").press("Enter")
    expect(row.locator(".invalid-feedback")).to_contain_text("is not a number")
    # The form comes back with the value to correct in focus; typing before it does could land there.
    expect(row.get_by_role("textbox", name="Value for")).to_be_focused()
    row.get_by_role("textbox", name="Value for").fill("1.72")
    row.get_by_role("textbox", name="Comment").fill("Typo: decimal point")
    row.get_by_role("textbox", name="Comment").press("Enter")

    expect(row).to_contain_text("was 17.2")
    expect(row).to_contain_text("On target")
    expect(page.locator("#kpi-facts")).to_contain_text("1.72")  # the latest value and status follow
    expect(page.locator("#record-status")).to_contain_text("On target")
    page.screenshot(path="/tmp/kpi-correction.png", full_page=True)
    typo.refresh_from_db()
    assert (float(typo.value), typo.comment, typo.entered_by) == (1.72, "Typo: decimal point", owner)
