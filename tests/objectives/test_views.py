"""Objectives and KPI pages: what they show, who may write, and My measures with htmx."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from objectives import services
from objectives.choices import KPIStatus, Nature, ObjectiveStatus, Source
from objectives.models import KPI, EffectivenessMeasure, Measurement, Objective
from objectives.periods import Period
from objectives.views import OVERVIEW_ROWS
from tests.factories import (
    ActionFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    ProcessFactory,
    ThemeFactory,
)
from tests.hub import process_page

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_my_measures_lists_what_is_due_and_a_value_saves_in_place(client_for, owner):
    due = KPIFactory(owner=owner, name="On-time delivery")
    done = KPIFactory(owner=owner, name="Scrap rate")
    MeasurementFactory(kpi=done, period_start=due.due_period().start)
    KPIFactory(owner=owner, source=Source.FORMULA, formula=f"{done.reference} * 2", name="Calculated one")
    services.kpi_refresh_statuses(KPI.objects.all())
    client = client_for(owner)

    page = client.get(reverse("objectives:my_measures")).content.decode()
    assert "On-time delivery" in page
    assert "Scrap rate" not in page and "Calculated one" not in page

    response = client.post(
        reverse("objectives:measurement_enter", args=[due.pk]),
        {"period": str(due.due_period()), "value": "97,5"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Saved 97.5 for" in response.content.decode()
    assert "On target" in response.content.decode()
    assert Measurement.objects.get(kpi=due).value == Decimal("97.5")
    due.refresh_from_db()
    assert due.status == KPIStatus.ON_TARGET


@pytest.mark.parametrize(
    ("value", "period", "message"),
    [
        ("ninety", None, "is not a number"),
        ("120", None, "above the highest possible value, 100"),
        ("50", "2099-01", "has not started yet"),
        ("50", "1999-01", "Jan 1999 is before Jan 2020, the period the KPI is measured from"),
        ("50", "0001-01", "is not a period"),
        ("50", "2026-Q1", "is not a monthly period"),
    ],
)
def test_bad_input_shows_beside_the_field_and_saves_nothing(client_for, owner, value, period, message):
    kpi = KPIFactory(owner=owner, valid_min=0, valid_max=100)

    response = client_for(owner).post(
        reverse("objectives:measurement_enter", args=[kpi.pk]),
        {"period": period or str(kpi.due_period()), "value": value},
        **HTMX,
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert f'value="{value}"' in body  # what was typed is kept
    assert not Measurement.objects.exists()


def test_only_owner_deputies_and_quality_enter_values(client_for, owner, deputy, quality, outsider, viewer):
    kpi = KPIFactory(owner=owner)
    kpi.deputies.set([deputy])
    url = reverse("objectives:measurement_enter", args=[kpi.pk])

    for person, value, status in [(outsider, 1, 403), (viewer, 2, 403), (deputy, 96, 302), (quality, 97, 302)]:
        response = client_for(person).post(url, {"period": "2026-10", "value": value})
        assert response.status_code == status, person

    measurement = Measurement.objects.get(kpi=kpi)
    assert (measurement.value, measurement.entered_by) == (97, quality)
    assert measurement.history.earliest().entered_by == deputy


def test_the_kpi_page_shows_the_trend_values_and_actions(client_for, viewer, outsider):
    kpi = KPIFactory(name="First-pass yield", status=KPIStatus.OFF_TARGET)
    for month, value in [(7, 96), (8, 93), (9, 85)]:
        MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1), value=value)
    action = ActionFactory(title="Fix the fixture")
    action.source = kpi
    action.save()

    page = client_for(viewer).get(kpi.get_absolute_url()).content.decode()

    assert "<svg" in page and "Trend of" in page
    assert "Sep 2026" in page and "85" in page
    assert "Fix the fixture" in page
    assert "Raise an action" not in page  # a viewer raises nothing
    assert "Enter the value" not in page  # a viewer gets no form
    assert "Raise an action" in client_for(outsider).get(kpi.get_absolute_url()).content.decode()


def test_a_chart_names_its_own_kpi_and_takes_any_unit(client_for, viewer):
    same = {"unit": "$^$", "target": Decimal(5), "warning": Decimal(6), "direction": "lower"}
    dollars, twin = KPIFactory(name="Cost of poor quality", **same), KPIFactory(name="Cost of rework", **same)
    for kpi in (dollars, twin):
        for month, value in [(8, 4), (9, 7)]:
            MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1), value=value)

    first = client_for(viewer).get(dollars.get_absolute_url())
    second = client_for(viewer).get(twin.get_absolute_url()).content.decode()

    assert first.status_code == 200
    assert 'aria-label="Trend of ' + str(twin) in second


def test_a_chart_is_styled_without_css_the_content_security_policy_refuses(client_for, viewer):
    """An inline SVG's <style> element is refused by the page's policy (style-src 'self'): the
    chart says the same with presentation attributes."""
    kpi = KPIFactory(direction="higher", target=Decimal(90), warning=Decimal(80))
    for month, value in [(8, 85), (9, 95)]:
        MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1), value=value)

    chart = client_for(viewer).get(reverse("objectives:kpi_chart", args=[kpi.pk])).content.decode()

    assert chart.startswith("<svg ") and 'stroke-linejoin="round"' in chart.split(">", 1)[0]
    assert "<style" not in chart and "style=" not in chart
    assert 'stroke-dasharray="' in chart and 'fill="#198754"' in chart


def test_a_bad_value_on_the_kpi_page_keeps_the_page_and_the_input(client_for, owner):
    kpi = KPIFactory(owner=owner, valid_min=0, valid_max=100)

    response = client_for(owner).post(
        reverse("objectives:measurement_enter", args=[kpi.pk]), {"period": "2026-10", "value": "101"}
    )

    assert response.status_code == 422
    assert "above the highest possible value" in response.content.decode()
    assert 'value="101"' in response.content.decode()


def test_an_objective_measured_only_by_activity_is_flagged(client_for, viewer):
    objective = ObjectiveFactory(title="Train every operator")
    KPIFactory(nature=Nature.ACTIVITY, objectives=[objective], status=KPIStatus.ON_TARGET)
    outcome_measured = ObjectiveFactory(title="Fewer complaints")
    KPIFactory(nature=Nature.OUTCOME, objectives=[outcome_measured])

    detail = client_for(viewer).get(objective.get_absolute_url()).content.decode()
    overview = client_for(viewer).get(reverse("objectives:index")).content.decode()

    assert "measured only by activity KPIs" in detail
    assert overview.count("Activity KPIs only") == 1


def test_the_overview_is_drawn_once_a_minute_for_who_may_do_the_same_and_again_for_who_wrote(
    client_for, viewer, lead, django_capture_on_commit_callbacks
):
    theme = ThemeFactory(title="Deliver on time")
    ObjectiveFactory(theme=theme, title="Ship complete")
    index = reverse("objectives:index")
    add_objective = f"{reverse('objectives:objective_add')}?theme={theme.pk}"

    seen_by_viewer = client_for(viewer).get(index).content.decode()
    changed = ObjectiveFactory(theme=theme, title="Ship on the promised day")  # by no one who looks
    seen_by_lead = client_for(lead).get(index).content.decode()
    seen_again = client_for(viewer).get(index).content.decode()

    assert "Ship complete" in seen_by_viewer and "Figures as of" in seen_by_viewer
    assert add_objective not in seen_by_viewer and add_objective in seen_by_lead  # each their own controls
    assert "Ship on the promised day" in seen_by_lead  # the drawing for those who may add: drawn since
    assert "Ship on the promised day" not in seen_again  # the viewers' drawing, kept for a minute

    changed.title, changed._history_user = "Ship on the day promised", lead
    with django_capture_on_commit_callbacks(execute=True):
        changed.save()
    assert "Ship on the day promised" in client_for(lead).get(index).content.decode()  # who wrote sees it at once


def test_who_enters_a_kpi_value_sees_the_overview_drawn_again_at_once(
    client_for, owner, django_capture_on_commit_callbacks
):
    """A value is written in bulk with its history (no per-record signal): it still counts as a write."""
    kpi = KPIFactory(owner=owner, objectives=[ObjectiveFactory(owner=owner)])
    index = reverse("objectives:index")

    def on_target() -> int:
        page = client_for(owner).get(index).content.decode()
        return int(re.search(r'On target</div><div class="fs-3 fw-semibold text-success">(\d+)<', page).group(1))

    assert on_target() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.measurement_record(
            kpi=kpi, period=Period.last_closed(kpi.frequency, timezone.localdate()), value=Decimal("99"), user=owner
        )
    assert on_target() == 1


def test_progress_comes_from_the_kpis(viewer):
    objective = ObjectiveFactory()
    for status in [KPIStatus.ON_TARGET, KPIStatus.ON_TARGET, KPIStatus.OFF_TARGET, KPIStatus.NO_DATA]:
        KPIFactory(objectives=[objective], status=status)

    assert (objective.progress.percent, objective.progress.basis) == (67, "kpi_share")


def test_outcome_kpis_come_first(client_for, viewer):
    KPIFactory(name="Activity measure", nature=Nature.ACTIVITY, status=KPIStatus.OFF_TARGET)
    KPIFactory(name="Outcome measure", nature=Nature.OUTCOME, status=KPIStatus.ON_TARGET)

    page = client_for(viewer).get(reverse("objectives:kpi_list")).content.decode()

    assert page.index("Outcome measure") < page.index("Activity measure")


def test_a_kpi_with_a_bad_formula_is_refused_with_the_reason(client_for, quality, owner):
    response = client_for(quality).post(
        reverse("objectives:kpi_add"),
        {
            "name": "Ratio",
            "nature": "outcome",
            "owner": owner.pk,
            "frequency": "monthly",
            "direction": "higher",
            "target": "90",
            "source": "formula",
            "formula": "KPI-404 / 2",
            "measured_from": "2026-01-01",
            "is_active": "on",
        },
    )

    assert response.status_code == 422
    assert "do not exist: KPI-404" in response.content.decode()
    assert not KPI.objects.exists()


def test_who_may_create_and_change_kpis_and_objectives(client_for, owner, outsider, viewer, lead):
    kpi = KPIFactory(owner=owner)
    objective = ObjectiveFactory(owner=lead)

    assert client_for(owner).get(kpi.get_edit_url()).status_code == 200
    assert client_for(outsider).get(kpi.get_edit_url()).status_code == 403
    assert client_for(viewer).get(reverse("objectives:kpi_add")).status_code == 403
    assert client_for(owner).get(reverse("objectives:objective_add")).status_code == 403
    assert client_for(lead).get(objective.get_edit_url()).status_code == 200


def test_the_kpi_form_offers_the_objectives_its_user_may_change(client_for, owner, lead):
    kpi = KPIFactory(owner=owner)
    ObjectiveFactory(owner=lead, title="Lead's objective")
    ObjectiveFactory(owner=owner, title="Owner's objective")

    page = client_for(owner).get(kpi.get_edit_url()).content.decode()
    offered = client_for(owner).get(reverse("qms:picker", args=["objectives-to-measure"])).json()["results"]

    assert 'data-picker="/pick/objectives-to-measure/"' in page
    assert [choice["text"] for choice in offered] == [str(Objective.objects.get(title="Owner's objective"))]


def test_process_page_shows_its_kpis_and_objectives(client_for, viewer):
    process = ProcessFactory()
    KPIFactory(name="Setup time", processes=[process])
    ObjectiveFactory(title="Halve setup time", processes=[process])

    page = process_page(client_for(viewer), process)

    assert "Setup time" in page and "Halve setup time" in page


def test_naming_a_kpi_to_judge_an_action(client_for, owner):
    process = ProcessFactory()
    kpi = KPIFactory(owner=owner, processes=[process])
    action = ActionFactory(owner=owner, processes=[process])
    someone_elses = ActionFactory(processes=[process])
    url = reverse("objectives:effectiveness_measure_set", args=[kpi.pk])

    response = client_for(owner).post(url, {"action": action.pk, "periods": 3})
    refused = client_for(owner).post(url, {"action": someone_elses.pk, "periods": 3})

    assert response.status_code == 302 and refused.status_code == 302
    assert EffectivenessMeasure.objects.get().action == action  # not someone else's action


def test_theme_page_and_dashboard_render(client_for, viewer):
    theme = ThemeFactory(title="Delight customers")
    ObjectiveFactory(theme=theme, title="Raise on-time delivery")
    KPIFactory(status=KPIStatus.OFF_TARGET, name="On-time delivery")

    assert "Raise on-time delivery" in client_for(viewer).get(theme.get_absolute_url()).content.decode()
    dashboard = client_for(viewer).get(reverse("qms:dashboard")).content.decode()
    assert "On-time delivery" in dashboard


@pytest.mark.parametrize(
    "name", ["objectives:index", "objectives:kpi_list", "objectives:objective_list", "objectives:my_measures"]
)
def test_pages_cost_the_same_queries_for_5_and_50_records(
    client_for, owner, django_assert_max_num_queries, name, monkeypatch
):
    monkeypatch.setattr("qms.overview.SHARED_SECONDS", 0)  # the overview is drawn for each view, as counted here

    def build(n):
        theme = ThemeFactory()
        process = ProcessFactory()
        for _ in range(n):
            objective = ObjectiveFactory(theme=theme, processes=[process])
            kpi = KPIFactory(owner=owner, objectives=[objective], processes=[process])
            MeasurementFactory(kpi=kpi, period_start=date(2026, 1, 1))

    client = client_for(owner)
    build(5)
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse(name)).status_code == 200
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_kpi_page_queries_do_not_grow_with_values(client_for, owner, django_assert_max_num_queries):
    small, big = KPIFactory(owner=owner), KPIFactory(owner=owner)
    MeasurementFactory(kpi=small, period_start=date(2026, 1, 1))
    for year in range(2016, 2026):
        for month in range(1, 13):
            MeasurementFactory(kpi=big, period_start=date(year, month, 1))
    client = client_for(owner)

    with django_assert_max_num_queries(25) as few:
        client.get(small.get_absolute_url())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(big.get_absolute_url())


def test_the_process_map_colours_processes_by_their_kpis(client_for, viewer):
    healthy, failing, unmeasured = ProcessFactory(name="Healthy"), ProcessFactory(name="Failing"), ProcessFactory()
    KPIFactory(processes=[healthy], status=KPIStatus.ON_TARGET)
    KPIFactory(processes=[failing], status=KPIStatus.ON_TARGET)
    KPIFactory(processes=[failing], status=KPIStatus.OFF_TARGET)

    body = client_for(viewer).get("/api/processes/map/").json()

    health = {node["id"]: node["health"] for node in body["nodes"]}
    assert health == {healthy.pk: "good", failing.pk: "bad", unmeasured.pk: None}
    svg = client_for(viewer).get(reverse("processes:process_map")).content.decode()
    assert f'<g id="process&#45;{failing.pk}" class="node health-bad">' in svg
    assert f'<g id="process&#45;{healthy.pk}" class="node health-good">' in svg
    assert f'<g id="process&#45;{unmeasured.pk}" class="node">' in svg


def test_a_row_asks_for_the_oldest_missing_period_first(client_for, owner):
    kpi = KPIFactory(owner=owner)
    MeasurementFactory(kpi=kpi, period_start=kpi.due_period().previous().previous().start)
    services.kpi_refresh_statuses(KPI.objects.all())
    kpi.refresh_from_db()
    url = reverse("objectives:measurement_enter", args=[kpi.pk])
    september, october = kpi.period_to_enter(), kpi.due_period()
    assert september.start == october.previous().start

    row = client_for(owner).post(url, {"period": str(september), "value": "96"}, **HTMX).content.decode()

    assert f"Saved 96 for {september.label}" in row
    assert f'name="period" value="{october.label}"' in row  # and now the next one, as the app shows it


def kpi_form_data(kpi, **changes) -> dict:
    data = {
        "name": kpi.name, "nature": kpi.nature, "owner": kpi.owner_id, "frequency": kpi.frequency,
        "direction": kpi.direction, "target": kpi.target, "warning": kpi.warning or "", "source": kpi.source,
        "formula": kpi.formula, "measured_from": kpi.measured_from, "is_active": "on",
        "version": kpi.updated_at.isoformat(),
    }  # fmt: skip
    return {**data, **changes}


def test_changing_a_target_rejudges_the_kpi_at_once(client_for, owner):
    kpi = KPIFactory(owner=owner)
    MeasurementFactory(kpi=kpi, period_start=kpi.due_period().start, value=92)
    services.kpi_refresh_statuses(KPI.objects.all())
    kpi.refresh_from_db()
    assert kpi.status == KPIStatus.WARNING

    response = client_for(owner).post(kpi.get_edit_url(), kpi_form_data(kpi, target="90", warning="85"))

    assert response.status_code == 302
    kpi.refresh_from_db()
    assert kpi.status == KPIStatus.ON_TARGET


def test_the_frequency_cannot_change_once_there_are_values(client_for, owner):
    kpi = KPIFactory(owner=owner)
    MeasurementFactory(kpi=kpi)

    response = client_for(owner).post(kpi.get_edit_url(), kpi_form_data(kpi, frequency="quarterly"))

    assert response.status_code == 422
    assert "frequency cannot change" in response.content.decode()


def test_a_corrected_value_shows_what_it_was(client_for, owner):
    kpi = KPIFactory(owner=owner)
    for value in ("91", "19", "91.5"):
        client_for(owner).post(
            reverse("objectives:measurement_enter", args=[kpi.pk]), {"period": "2026-09", "value": value}
        )

    page = client_for(owner).get(kpi.get_absolute_url()).content.decode()

    assert "was 91, 19" in page


def test_a_calculated_kpi_links_its_inputs_and_each_input_what_it_feeds(client_for, viewer):
    rejects, shipped = KPIFactory(name="Rejected parts"), KPIFactory(name="Shipped parts")
    KPI.objects.filter(pk=rejects.pk).update(reference="KPI-100")
    KPI.objects.filter(pk=shipped.pk).update(reference="KPI-1000")
    ppm = KPIFactory(name="Customer ppm", source=Source.FORMULA, formula="KPI-100 / KPI-1000 * 1000000")
    KPIFactory(name="Shipments doubled", source=Source.FORMULA, formula="KPI-1000 * 2")
    client = client_for(viewer)

    ppm_page = client.get(ppm.get_absolute_url()).content.decode()
    rejects_page = client.get(rejects.get_absolute_url()).content.decode()

    assert "Rejected parts" in ppm_page and "Shipped parts" in ppm_page
    assert "Customer ppm" in rejects_page
    assert "Shipments doubled" not in rejects_page  # KPI-100 is not part of KPI-1000


def test_the_value_form_shows_periods_as_the_app_does_and_reads_them_back(client_for, owner):
    kpi = KPIFactory(owner=owner)
    quarterly = KPIFactory(owner=owner, frequency="quarterly")
    client = client_for(owner)

    page = client.get(kpi.get_absolute_url()).content.decode()
    saved = client.post(reverse("objectives:measurement_enter", args=[kpi.pk]), {"period": "Sep 2026", "value": "96"})
    wrong = client.post(
        reverse("objectives:measurement_enter", args=[quarterly.pk]), {"period": "Sep 2026", "value": "96"}
    )

    assert f'name="period" value="{kpi.due_period().label}"' in page
    assert saved.status_code == 302
    assert Measurement.objects.get(kpi=kpi).period_start == date(2026, 9, 1)
    assert wrong.status_code == 422
    assert "“Sep 2026” is not a quarterly period. Write it like Q" in wrong.content.decode()
    assert 'value="Sep 2026"' in wrong.content.decode()  # what was typed is kept


# Correcting a stored value in place
# ------------------------------------------------------------------------------


def edit_url(measurement) -> str:
    return reverse("objectives:measurement_edit", args=[measurement.kpi_id, measurement.pk])


def correction(measurement, **changes) -> dict:
    measurement.refresh_from_db()
    return {"value": "91", "comment": "", "version": measurement.entered_at.isoformat(), **changes}


def test_a_stored_value_is_corrected_in_place_and_the_row_shows_what_it_was(
    client_for, owner, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(owner=owner)
    doubled = KPIFactory(source=Source.FORMULA, formula=f"{kpi.reference} * 2", target=150, warning=None)
    typo = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19, comment="From the ERP")
    client = client_for(owner)

    form = client.get(edit_url(typo), **HTMX)
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(edit_url(typo), correction(typo, value="91,5", comment="Typo: digits swapped"), **HTMX)

    assert form.status_code == 200
    assert f'<tr id="value-{typo.pk}"' in form.content.decode()
    assert 'name="value" value="19"' in form.content.decode() and "From the ERP" in form.content.decode()
    assert saved.status_code == 200
    row = saved.content.decode()
    assert f'<tr id="value-{typo.pk}"' in row and "91.5" in row and "was 19" in row and "Typo: digits swapped" in row
    assert "kpi-values-changed" in saved["HX-Trigger"]  # the chart and the facts follow
    typo.refresh_from_db()
    assert (typo.value, typo.comment, typo.entered_by) == (Decimal("91.5"), "Typo: digits swapped", owner)
    assert [h.value for h in typo.history.order_by("history_date")] == [19, Decimal("91.5")]
    assert typo.history.latest().history_user == owner
    kpi.refresh_from_db()
    assert kpi.latest_value == Decimal("91.5")
    assert doubled.measurements.get().value == 183  # what is calculated from it is recalculated


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ninety", "“ninety” is not a number."),
        ("101", "101 is above the highest possible value, 100."),
        ("", "This field is required."),
    ],
)
def test_a_bad_correction_shows_beside_the_field_and_changes_nothing(client_for, owner, value, message):
    kpi = KPIFactory(owner=owner, valid_min=0, valid_max=100)
    stored = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19, comment="First count")

    response = client_for(owner).post(edit_url(stored), correction(stored, value=value, comment="Recount"), **HTMX)

    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and "invalid-feedback" in body
    assert (f'name="value" value="{value}"' if value else 'name="value" ') in body  # nothing typed is lost
    assert 'value="Recount"' in body
    stored.refresh_from_db()
    assert (stored.value, stored.comment) == (19, "First count")


def test_a_correction_made_meanwhile_is_a_conflict_not_overwritten(client_for, owner, deputy):
    kpi = KPIFactory(owner=owner)
    kpi.deputies.set([deputy])
    stored = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19)
    opened = correction(stored, value="91")
    services.measurement_record(kpi=kpi, period=stored.period, value=Decimal("92"), user=deputy)

    stale = client_for(owner).post(edit_url(stored), opened, **HTMX)

    assert stale.status_code == 409
    assert "changed this value to 92 after you opened it" in stale.content.decode()
    assert 'name="value" value="91"' in stale.content.decode()
    stored.refresh_from_db()
    assert stored.value == 92
    again = client_for(owner).post(edit_url(stored), correction(stored, value="91"), **HTMX)
    assert again.status_code == 200
    stored.refresh_from_db()
    assert stored.value == 91


def test_without_javascript_a_correction_is_a_page_of_its_own(client_for, owner):
    kpi = KPIFactory(owner=owner)
    stored = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19)
    client = client_for(owner)

    page = client.get(edit_url(stored))
    refused = client.post(edit_url(stored), correction(stored, value="lots"))
    saved = client.post(edit_url(stored), correction(stored, value="91"))
    cancel = client.get(reverse("objectives:measurement_row", args=[kpi.pk, stored.pk]))

    assert page.status_code == 200 and "Correct the value for Sep 2026" in page.content.decode()
    assert refused.status_code == 422 and "is not a number" in refused.content.decode()
    assert saved.status_code == 302 and saved.url == kpi.get_absolute_url()
    assert cancel.status_code == 302 and cancel.url == kpi.get_absolute_url()
    stored.refresh_from_db()
    assert stored.value == 91


def test_cancel_gives_the_row_back_as_it_was(client_for, owner):
    kpi = KPIFactory(owner=owner)
    stored = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19)

    row = client_for(owner).get(reverse("objectives:measurement_row", args=[kpi.pk, stored.pk]), **HTMX)

    assert row.status_code == 200
    assert f'<tr id="value-{stored.pk}"' in row.content.decode() and "<form" not in row.content.decode()


def test_only_those_who_may_change_a_hand_entered_kpi_correct_its_values(
    client_for, owner, deputy, quality, outsider, viewer
):
    kpi = KPIFactory(owner=owner)
    kpi.deputies.set([deputy])
    stored = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19)
    calculated = KPIFactory(owner=owner, source=Source.FORMULA, formula=f"{kpi.reference} * 2")
    services.kpi_calculate(calculated)
    derived = calculated.measurements.get()

    for person in (outsider, viewer):
        page = client_for(person).get(kpi.get_absolute_url()).content.decode()
        assert edit_url(stored) not in page, person
        assert client_for(person).get(edit_url(stored), **HTMX).status_code == 403, person
        assert client_for(person).post(edit_url(stored), correction(stored), **HTMX).status_code == 403, person
    for person in (owner, deputy, quality):
        assert edit_url(stored) in client_for(person).get(kpi.get_absolute_url()).content.decode(), person
    assert edit_url(derived) not in client_for(owner).get(calculated.get_absolute_url()).content.decode()
    assert client_for(owner).post(edit_url(derived), correction(derived), **HTMX).status_code == 403
    other = KPIFactory(owner=owner)
    assert client_for(owner).get(reverse("objectives:measurement_edit", args=[other.pk, stored.pk])).status_code == 404
    stored.refresh_from_db()
    assert stored.value == 19


@pytest.mark.parametrize(
    "stored", [date(1, 1, 1), date(1, 2, 1), date(1900, 1, 1), date(9999, 12, 1), date(9999, 12, 31), date(2026, 9, 17)]
)
def test_the_kpi_page_and_chart_survive_whatever_period_is_stored(client_for, owner, stored):
    """Values written before periods were checked, or straight into the database, still show."""
    kpi = KPIFactory(owner=owner)
    for start in (date(2026, 8, 1), stored):
        Measurement.objects.create(kpi=kpi, period_start=start, value=Decimal(90))
    services.kpi_refresh_statuses(KPI.objects.all())
    client = client_for(owner)

    assert client.get(kpi.get_absolute_url()).status_code == 200
    assert client.get(reverse("objectives:kpi_chart", args=[kpi.pk])).status_code == 200
    assert client.get(reverse("objectives:my_measures")).status_code == 200
    assert client.get(reverse("objectives:kpi_list")).status_code == 200


def test_the_overview_shows_each_themes_objectives_due_soonest_and_links_to_the_rest(client_for, viewer):
    theme = ObjectiveFactory().theme
    for days in range(1, OVERVIEW_ROWS + 3):
        ObjectiveFactory(theme=theme, title=f"Due in {days:02d} days", due_date=timezone.localdate() + timedelta(days))
    ObjectiveFactory(theme=theme, title="Dropped", status=ObjectiveStatus.WITHDRAWN)
    small = ObjectiveFactory(title="Alone in its theme").theme

    page = client_for(viewer).get(reverse("objectives:index")).content.decode()

    assert f"Due in {OVERVIEW_ROWS:02d} days" in page and f"Due in {OVERVIEW_ROWS + 1:02d} days" not in page
    assert f"See all {OVERVIEW_ROWS + 3} objectives of this theme" in page  # the withdrawn one not counted
    assert theme.get_absolute_url() in page and "Alone in its theme" in page
    assert page.count("objectives of this theme") == 1 and small.get_absolute_url() in page
