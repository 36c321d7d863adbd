"""An objective's progress: the way its main KPI has come from a baseline to a target, in both
directions, with the share of its KPIs on target as a second figure; the defaults, the rules for
setting it, and the pages, API and history that show it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from objectives import services
from objectives.choices import Direction, KPIStatus
from objectives.models import KPI, Objective
from tests.api import api
from tests.factories import KPIFactory, MeasurementFactory, ObjectiveFactory, ProcessFactory, ThemeFactory
from tests.hub import process_page

pytestmark = pytest.mark.django_db

D = Decimal


def scrap_objective(now="1.72", baseline="2.4", target="1.5", **objective):
    """ "Reduce scrap to 1.5 %": a lower-is-better KPI at `now`, main KPI of the objective."""
    objective = ObjectiveFactory(title="Reduce scrap to 1.5 %", **objective)
    scrap = KPIFactory(
        name="Scrap rate", direction=Direction.LOWER, target=D("1.5"), warning=D("2.5"), objectives=[objective]
    )
    if now is not None:
        MeasurementFactory(kpi=scrap, period_start=date(2026, 10, 1), value=D(now))
    KPIFactory(objectives=[objective])  # a second KPI, with no value
    services.kpi_refresh_statuses(KPI.objects.all())
    objective.main_kpi = scrap
    objective.baseline = None if baseline is None else D(baseline)
    objective.target = None if target is None else D(target)
    objective.full_clean()
    objective.save()
    return Objective.objects.with_progress().get(pk=objective.pk), scrap


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "now", "travelled", "percent"),
    [
        (Direction.LOWER, "2.4", "1.5", "1.72", 76, 76),
        (Direction.LOWER, "2.4", "1.5", "1.75", 72, 72),
        (Direction.LOWER, "2.4", "1.5", "1.3", 122, 100),  # beyond the target
        (Direction.LOWER, "2.4", "1.5", "2.58", -20, 0),  # moved away from it
        (Direction.HIGHER, "90", "98", "96", 75, 75),
        (Direction.HIGHER, "90", "98", "90", 0, 0),
        (Direction.RANGE, "30", "20", "25", 50, 50),
    ],
)
def test_progress_is_the_way_from_baseline_to_target_in_either_direction(
    direction, baseline, target, now, travelled, percent
):
    objective = ObjectiveFactory()
    kpi = KPIFactory(direction=direction, target=D(target), target_upper=D(24), warning=None, objectives=[objective])
    MeasurementFactory(kpi=kpi, period_start=date(2026, 10, 1), value=D(now))
    services.kpi_refresh_statuses(KPI.objects.all())
    objective.main_kpi, objective.baseline, objective.target = kpi, D(baseline), D(target)
    objective.save()

    progress = Objective.objects.with_progress().get(pk=objective.pk).progress

    assert progress.basis == "distance"
    assert (progress.travelled_percent, progress.percent) == (travelled, percent)


def test_the_share_of_kpis_on_target_stays_as_a_second_figure():
    objective, scrap = scrap_objective()
    KPIFactory(objectives=[objective], status=KPIStatus.ON_TARGET)  # scrap at 1.72 is a warning

    progress = Objective.objects.with_progress().prefetch_related("kpis").get(pk=objective.pk).progress

    assert (progress.percent, progress.share, progress.on_target, progress.judged) == (76, 50, 1, 2)


def test_without_a_main_kpi_or_its_value_progress_is_the_share_of_kpis_on_target():
    waiting, _scrap = scrap_objective(now=None, baseline="2.4")
    plain = ObjectiveFactory()
    KPIFactory(objectives=[plain], status=KPIStatus.ON_TARGET)
    KPIFactory(objectives=[plain], status=KPIStatus.OFF_TARGET)

    assert (plain.progress.basis, plain.progress.percent, plain.progress.fallback_reason) == (
        "kpi_share",
        50,
        "it has no main KPI",
    )
    assert waiting.progress.basis == "kpi_share"
    assert "has no value yet" in waiting.progress.fallback_reason


def test_a_main_kpi_no_longer_linked_falls_back_to_the_share():
    objective, scrap = scrap_objective()
    scrap.objectives.clear()

    progress = Objective.objects.with_progress().get(pk=objective.pk).progress

    assert progress.basis == "kpi_share"
    assert progress.fallback_reason == "its main KPI no longer measures it"


def test_the_target_defaults_to_the_kpis_and_the_baseline_to_its_value_when_the_objective_was_created():
    objective = ObjectiveFactory()
    scrap = KPIFactory(direction=Direction.LOWER, target=D("1.5"), warning=None, objectives=[objective])
    for month, value in [(1, "2.9"), (2, "2.6"), (3, "2.4"), (4, "2.2"), (10, "1.95")]:
        MeasurementFactory(kpi=scrap, period_start=date(2026, month, 1), value=D(value))
    services.kpi_refresh_statuses(KPI.objects.all())
    created = timezone.make_aware(timezone.datetime(2026, 3, 10))
    Objective.objects.filter(pk=objective.pk).update(main_kpi=scrap, created_at=created)

    progress = Objective.objects.with_progress().get(pk=objective.pk).progress
    unannotated = Objective.objects.get(pk=objective.pk).progress  # the same, with one query more

    assert (progress.baseline, progress.target, progress.now) == (D("2.4"), D("1.5"), D("1.95"))
    assert (progress.baseline_set, progress.target_set) == (False, False)
    assert progress.travelled_percent == 50
    assert unannotated == progress


def test_a_kpi_measured_only_after_the_objective_was_created_starts_from_its_first_value():
    objective, scrap = scrap_objective(baseline=None, target=None)
    Objective.objects.filter(pk=objective.pk).update(created_at=timezone.now() - timedelta(days=3 * 365))
    MeasurementFactory(kpi=scrap, period_start=date(2026, 8, 1), value=D("2.1"))

    progress = Objective.objects.with_progress().get(pk=objective.pk).progress

    assert progress.baseline == D("2.1")


def test_a_range_kpi_aims_for_the_end_of_the_range_nearer_the_baseline():
    objective = ObjectiveFactory()
    cover = KPIFactory(direction=Direction.RANGE, target=D(10), target_upper=D(20), warning=None)
    cover.objectives.set([objective])
    MeasurementFactory(kpi=cover, period_start=date(2026, 10, 1), value=D(26))
    services.kpi_refresh_statuses(KPI.objects.all())
    objective.main_kpi, objective.baseline = cover, D(32)
    objective.save()

    assert Objective.objects.with_progress().get(pk=objective.pk).progress.target == D(20)


def range_objective(baseline: str | None, now: str) -> Objective:
    """An objective whose main KPI is to be within 20 to 24, its own target left to the KPI."""
    objective = ObjectiveFactory()
    cover = KPIFactory(direction=Direction.RANGE, target=D(20), target_upper=D(24), warning=None)
    cover.objectives.set([objective])
    MeasurementFactory(kpi=cover, period_start=date(2026, 10, 1), value=D(now))
    services.kpi_refresh_statuses(KPI.objects.all())
    objective.main_kpi, objective.baseline = cover, None if baseline is None else D(baseline)
    objective.save()
    return Objective.objects.with_progress().get(pk=objective.pk)


@pytest.mark.parametrize(
    ("now", "travelled", "percent"),
    [
        ("27", 50, 50),  # half the way from 30 to the range
        ("24", 100, 100),
        ("21", 100, 100),  # inside the range: there, not beyond
        ("15", 17, 17),  # overshot it: off target again, 5 from the range where it started 6 away
        ("33", -50, 0),  # moved away
    ],
)
def test_a_range_kpi_has_arrived_anywhere_in_its_range_and_not_beyond_it(now, travelled, percent):
    progress = range_objective("30", now).progress

    assert progress.basis == "distance"
    assert (progress.travelled_percent, progress.percent) == (travelled, percent)


def test_a_range_kpi_that_started_inside_its_range_falls_back_to_the_share():
    progress = range_objective(None, "23").progress  # its first value, 23, is the default baseline

    assert progress.basis == "kpi_share"
    assert progress.fallback_reason == "its baseline is within the target range already"


# Setting it
# ------------------------------------------------------------------------------


def objective_form_data(objective, **changes) -> dict:
    data = {
        "theme": objective.theme_id, "title": objective.title, "owner": objective.owner_id,
        "due_date": objective.due_date, "status": objective.status, "version": objective.updated_at.isoformat(),
        "main_kpi": objective.main_kpi_id or "", "baseline": objective.baseline or "", "target": objective.target or "",
    }  # fmt: skip
    return {**data, **changes}


def test_the_owner_sets_the_main_kpi_baseline_and_target_and_history_keeps_them(client_for, lead):
    objective = ObjectiveFactory(owner=lead)
    scrap = KPIFactory(direction=Direction.LOWER, target=D("1.5"), warning=None, objectives=[objective])
    client = client_for(lead)

    form = client.get(objective.get_edit_url()).content.decode()
    response = client.post(
        objective.get_edit_url(), objective_form_data(objective, main_kpi=scrap.pk, baseline="2,4", target="1.5")
    )

    assert f'<option value="{scrap.pk}">{scrap}</option>' in form
    assert response.status_code == 302, response.context["form"].errors
    objective.refresh_from_db()
    assert (objective.main_kpi, objective.baseline, objective.target) == (scrap, D("2.4"), D("1.5"))
    latest = objective.history.latest()
    assert (latest.main_kpi_id, latest.baseline, latest.history_user) == (scrap.pk, D("2.4"), lead)
    history = client.get(objective.get_history_url()).content.decode()
    assert "Main KPI" in history and str(scrap) in history


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"main_kpi": "{other}"}, "main_kpi", "Select a valid choice"),
        ({"baseline": "1.5"}, "baseline", "The baseline equals the target (1.5)"),
        ({"baseline": "2", "target": "2"}, "baseline", "The baseline equals the target (2)"),
        ({"baseline": "1.2"}, "baseline", "is better lower: the baseline must be above the target."),
        ({"main_kpi": "", "baseline": "2.4"}, "main_kpi", "A baseline and a target belong to a main KPI"),
    ],
)
def test_the_progress_fields_are_checked(client_for, lead, changes, field, message):
    objective = ObjectiveFactory(owner=lead)
    scrap = KPIFactory(direction=Direction.LOWER, target=D("1.5"), warning=None, objectives=[objective])
    other = KPIFactory()
    changes = {k: v.format(other=other.pk) for k, v in changes.items()}

    data = objective_form_data(objective, **{"main_kpi": scrap.pk, **changes})
    response = client_for(lead).post(objective.get_edit_url(), data)

    assert response.status_code == 422
    assert any(message in error for error in response.context["form"].errors[field])
    assert 'value="' + changes.get("baseline", "") + '"' in response.content.decode()  # nothing typed is lost
    objective.refresh_from_db()
    assert objective.main_kpi is None


def test_a_baseline_inside_the_main_kpis_range_is_refused_unless_the_objective_sets_its_own_target():
    objective = range_objective("30", "27")
    objective.baseline = D(22)
    with pytest.raises(ValidationError, match=r"The baseline is within the target range \(20 to 24\)"):
        objective.full_clean()

    objective.target = D(21)  # a point inside the range, the objective's own aim
    objective.full_clean()


def test_a_main_kpi_must_measure_the_objective_through_the_api_too(lead):
    objective = ObjectiveFactory(owner=lead)
    linked = KPIFactory(objectives=[objective])
    other = KPIFactory()
    url = f"/api/objectives/{objective.pk}/"

    refused = api(lead).patch(url, {"main_kpi": other.pk}, format="json")
    no_kpi = api(lead).patch(url, {"baseline": "80"}, format="json")
    same = api(lead).patch(url, {"main_kpi": linked.pk, "baseline": "95"}, format="json")
    accepted = api(lead).patch(url, {"main_kpi": linked.pk, "baseline": "80", "target": "95"}, format="json")

    assert refused.status_code == 400 and "must be one of the KPIs measuring" in refused.json()["main_kpi"][0]
    assert no_kpi.status_code == 400 and "main_kpi" in no_kpi.json()
    assert same.status_code == 400 and "equals the target" in same.json()["baseline"][0]
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["main_kpi"], D(accepted.json()["baseline"])) == (linked.pk, D(80))


def test_the_api_gives_progress_and_how_it_is_computed(viewer):
    objective, scrap = scrap_objective()

    body = api(viewer).get(f"/api/objectives/{objective.pk}/").json()

    assert body["progress"] == 76
    detail = body["progress_detail"]
    assert detail["basis"] == "distance"
    assert D(detail["travelled"]) == D("75.6")
    assert (D(detail["baseline"]), D(detail["target"]), D(detail["now"])) == (D("2.4"), D("1.5"), D("1.72"))
    assert (detail["kpi_share"], detail["kpis_on_target"], detail["kpis_judged"]) == (0, 0, 1)  # 1.72 is a warning


# Pages
# ------------------------------------------------------------------------------


def test_the_objective_page_shows_the_way_travelled_and_how_it_is_computed(client_for, viewer):
    objective, scrap = scrap_objective(now="1.75")

    page = client_for(viewer).get(objective.get_absolute_url()).content.decode()

    assert "<strong>72 % of the way</strong> from 2.4 % to 1.5 %; now 1.75 % (Oct 2026)." in page
    assert "KPIs on target: 0 of 1 with a value (0 %)." in page
    assert (
        f"Progress is the share of the way {scrap} has come from the baseline (2.4 %, set on this "
        "objective) to the target (1.5 %, set on this objective)" in page
    )
    assert "(now − baseline) ÷ (target − baseline)" in page
    assert "main KPI" in page


def test_the_objective_page_says_when_progress_is_the_share_of_kpis_on_target(client_for, viewer):
    objective = ObjectiveFactory()
    KPIFactory(objectives=[objective], status=KPIStatus.ON_TARGET)
    KPIFactory(objectives=[objective], status=KPIStatus.WARNING)

    page = client_for(viewer).get(objective.get_absolute_url()).content.decode()

    assert "KPIs on target: 1 of 2 with a value (50 %)." in page
    assert "Progress is the share of its KPIs with a value that are on target, because it has no main KPI" in page


def test_lists_show_the_way_travelled_and_the_share(client_for, viewer):
    objective, scrap = scrap_objective(theme=ThemeFactory(title="Right first time"))
    share_only = ObjectiveFactory(theme=objective.theme, title="Train every operator")
    KPIFactory(objectives=[share_only], status=KPIStatus.OFF_TARGET)
    client = client_for(viewer)

    for url in (reverse("objectives:index"), reverse("objectives:objective_list"), objective.theme.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "76 % of the way from 2.4 % to 1.5 %; now 1.72 %" in page, url
        assert "2.4 → 1.5 % · now 1.72 · 0/1 KPIs on target" in page, url
        assert "0 of 1 KPIs on target" in page, url


def test_objective_pages_and_api_cost_the_same_queries_for_5_and_50_objectives_with_main_kpis(
    client_for, viewer, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr("qms.overview.SHARED_SECONDS", 0)  # the overview is drawn for each view, as counted here
    theme, process = ThemeFactory(), ProcessFactory()
    created = timezone.make_aware(timezone.datetime(2026, 2, 15))

    def build(n):
        for _ in range(n):
            objective = ObjectiveFactory(theme=theme, processes=[process])
            kpi = KPIFactory(objectives=[objective], processes=[process], direction=Direction.LOWER, target=2)
            MeasurementFactory(kpi=kpi, period_start=date(2026, 1, 1), value=3)
            MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D("2.5"))
            KPI.objects.filter(pk=kpi.pk).update(latest_value=D("2.5"), latest_period=date(2026, 9, 1))
            # The baseline by default: the value when the objective was created (3), read in the same query.
            Objective.objects.filter(pk=objective.pk).update(main_kpi=kpi, created_at=created)

    client = client_for(viewer)
    pages = {
        url: lambda url=url: client.get(url).content.decode()
        for url in (reverse("objectives:index"), reverse("objectives:objective_list"), theme.get_absolute_url())
    }
    # The process page with its sections: 42, as its first view also runs the task that draws its
    # mini-map (tasks run in the request in tests; a worker does it in production).
    pages["process"] = lambda: process_page(client, process)
    pages["api"] = lambda: client.get("/api/objectives/").json()
    build(5)
    few = {}
    for name, get in pages.items():
        with django_assert_max_num_queries(42 if name == "process" else 28) as few[name]:
            page = get()
        if name == "api":
            assert {row["progress"] for row in page["results"]} == {50}
        else:
            assert "50 %" in page
    build(45)
    for name, get in pages.items():
        with django_assert_max_num_queries(len(few[name].captured_queries)):
            get()
