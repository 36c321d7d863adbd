"""Pages the journeys pass by quickly or not at all, opened under the Content-Security-Policy: the
`page` fixture fails the test on anything the browser refused. tests/qms/test_csp.py checks the
HTML of every page for what the policy would refuse."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from qms.choices import Role
from tests.factories import (
    ActionFactory,
    KPIFactory,
    MeasurementFactory,
    OrgUnitFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


def test_charts_heat_maps_computed_widths_and_the_api_docs_work_under_the_policy(page, sign_in):
    quality = UserFactory(username="quinn", role=Role.QUALITY_MANAGER)
    kpi = KPIFactory(direction="higher", target=Decimal(90), warning=Decimal(80))
    for month, value in [(7, 70), (8, 85), (9, 95)]:
        MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1), value=value)
    RiskFactory(owner=quality)
    ActionFactory(owner=quality, status="open")
    OrgUnitFactory(parent=OrgUnitFactory())

    sign_in("quinn")
    # A computed width is an inline style attribute, which the policy allows (style-src-attr).
    assert page.locator(".status-bars .bar-open").evaluate("bar => bar.style.width") == "100%"
    page.goto(kpi.get_absolute_url())
    chart = page.locator("#kpi-chart svg")
    expect(chart).to_be_visible()
    # The chart's presentation attributes apply: the dashed target line is not the default black fill.
    assert chart.locator("path[stroke-dasharray]").count() >= 1
    for url in ("/risks/heat-map/", "/org-units/", "/objectives/", "/actions/", "/my-work/", "/api/actions/"):
        page.goto(url)
        expect(page.locator("body")).not_to_be_empty()
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15000)
