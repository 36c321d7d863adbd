"""The objectives API: themes, objectives, KPIs and their values, with the same rules as the pages.
Values are written only through measurement_record, one at a time or in bulk (all or nothing)."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from objectives.choices import KPIStatus, Nature, Source
from objectives.models import KPI, Measurement, Objective, StrategicTheme
from tests.api import api
from tests.factories import (
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    ProcessFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def kpi(owner, deputy):
    kpi = KPIFactory(owner=owner, name="On-time delivery")
    kpi.deputies.set([deputy])
    return kpi


# Themes and objectives
# ------------------------------------------------------------------------------


def test_leadership_sets_a_theme_and_an_objective_and_reads_progress_from_its_kpis(quality, owner):
    theme = api(quality).post("/api/themes/", {"title": "Delight customers", "owner": quality.pk}, format="json")
    assert theme.status_code == 201, theme.json()
    created = api(quality).post(
        "/api/objectives/",
        {"theme": theme.json()["id"], "title": "98 % on time", "owner": owner.pk, "due_date": "2027-06-30"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    objective = Objective.objects.get()
    assert objective.theme == StrategicTheme.objects.get()
    good = KPIFactory(objectives=[objective], status=KPIStatus.ON_TARGET)
    KPIFactory(objectives=[objective], status=KPIStatus.OFF_TARGET, nature=Nature.ACTIVITY)

    body = api(owner).get(f"/api/objectives/{objective.pk}/").json()

    assert body["reference"] == objective.reference
    assert sorted(body["kpis"]) == sorted(objective.kpis.values_list("pk", flat=True))
    assert good.pk in body["kpis"]
    assert body["progress"] == 50
    assert body["activity_only"] is False


def test_a_process_owner_cannot_set_objectives_nor_delete_themes(owner, quality):
    theme = ThemeFactory()

    refused = api(owner).post(
        "/api/objectives/", {"theme": theme.pk, "title": "X", "owner": owner.pk, "due_date": "2027-01-31"}
    )

    assert refused.status_code == 403
    assert not Objective.objects.exists()
    assert api(quality).delete(f"/api/themes/{theme.pk}/").status_code == 405


def test_objectives_follow_the_page_rules_for_due_dates_and_retired_themes(quality):
    retired = ThemeFactory(is_active=False)
    objective = ObjectiveFactory()

    response = api(quality).patch(
        f"/api/objectives/{objective.pk}/", {"theme": retired.pk, "due_date": "2020-01-31"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"theme", "due_date"}
    objective.refresh_from_db()
    assert objective.theme != retired


def test_progress_and_activity_only_are_read_only(quality):
    objective = ObjectiveFactory()
    KPIFactory(objectives=[objective], nature=Nature.ACTIVITY, status=KPIStatus.ON_TARGET)

    body = (
        api(quality)
        .patch(f"/api/objectives/{objective.pk}/", {"progress": 0, "activity_only": False, "kpis": []}, format="json")
        .json()
    )

    assert (body["progress"], body["activity_only"]) == (100, True)
    assert objective.kpis.count() == 1


# KPIs
# ------------------------------------------------------------------------------


def test_quality_manager_creates_a_kpi_and_reads_it_back(quality, owner):
    process = ProcessFactory()
    objective = ObjectiveFactory()

    created = api(quality).post(
        "/api/kpis/",
        {
            "name": "First pass yield",
            "owner": owner.pk,
            "unit": "%",
            "direction": "higher",
            "target": "98",
            "warning": "95",
            "frequency": "monthly",
            "valid_min": "0",
            "valid_max": "100",
            "measured_from": "2026-01-01",
            "processes": [process.pk],
            "objectives": [objective.pk],
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    kpi = KPI.objects.get()
    assert kpi.created_by == quality
    body = api(owner).get(f"/api/kpis/{kpi.pk}/").json()
    assert body["reference"] == kpi.reference
    assert body["name"] == "First pass yield"
    assert D(body["target"]) == D(98)
    assert body["processes"] == [process.pk]
    assert body["objectives"] == [objective.pk]
    assert body["status"] == KPIStatus.OVERDUE  # months since January have no value yet
    assert body["latest_period"] is None
    assert body["latest_value"] is None


def test_a_kpi_is_measured_from_2000_at_the_earliest(quality, kpi):
    response = api(quality).patch(f"/api/kpis/{kpi.pk}/", {"measured_from": "0001-01-01"}, format="json")

    assert response.status_code == 400
    assert "measured from 2000 at the earliest" in response.json()["measured_from"][0]
    kpi.refresh_from_db()
    assert kpi.measured_from == date(2020, 1, 1)


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("owner", True), ("deputy", True), ("quality", True), ("outsider", False), ("viewer", False)],
)
def test_who_may_change_a_kpi(request, kpi, person, allowed):
    user = request.getfixturevalue(person)
    history_before = kpi.history.count()

    response = api(user).patch(f"/api/kpis/{kpi.pk}/", {"target": "97", "warning": "93"}, format="json")

    kpi.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.json()
        assert (kpi.target, kpi.warning) == (D(97), D(93))
        assert kpi.history.first().history_user == user
    else:
        assert response.status_code == 403
        assert (kpi.target, kpi.warning) == (D(95), D(90))
        assert kpi.history.count() == history_before


def test_a_formula_naming_an_unknown_kpi_is_refused_with_the_field_named(quality, owner):
    KPIFactory()

    response = api(quality).post(
        "/api/kpis/",
        {
            "name": "Scrap rate",
            "owner": owner.pk,
            "target": "2",
            "direction": "lower",
            "source": "formula",
            "formula": "KPI-998 / KPI-999 * 100",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "KPI-998, KPI-999" in response.json()["formula"][0]
    assert KPI.objects.count() == 1


def test_a_formula_forming_a_cycle_is_refused(quality):
    base = KPIFactory()
    calculated = KPIFactory(source=Source.FORMULA, formula=f"{base.reference} * 2")
    formula_before = base.formula

    response = api(quality).patch(
        f"/api/kpis/{base.pk}/", {"source": "formula", "formula": f"{calculated.reference} + 1"}, format="json"
    )

    assert response.status_code == 400
    assert "cycle" in response.json()["formula"][0]
    base.refresh_from_db()
    assert (base.source, base.formula) == (Source.MANUAL, formula_before)


def test_targets_are_checked_like_on_the_pages(owner, kpi):
    response = api(owner).patch(f"/api/kpis/{kpi.pk}/", {"warning": "99"}, format="json")

    assert response.status_code == 400
    assert "at or below the target" in response.json()["warning"][0]


def test_a_new_target_updates_the_status_at_once(owner, kpi):
    MeasurementFactory(kpi=kpi, period_start=date(2026, 10, 1), value=D("93"))
    api(owner).patch(f"/api/kpis/{kpi.pk}/", {"target": "95"}, format="json")

    body = api(owner).patch(f"/api/kpis/{kpi.pk}/", {"target": "92", "warning": "90"}, format="json").json()

    assert body["status"] == KPIStatus.ON_TARGET
    assert (body["latest_period"], D(body["latest_value"])) == ("2026-10", D(93))


def test_a_new_formula_calculates_the_history(quality):
    base = KPIFactory()
    MeasurementFactory(kpi=base, period_start=date(2026, 9, 1), value=D("40"))
    MeasurementFactory(kpi=base, period_start=date(2026, 10, 1), value=D("45"))

    created = api(quality).post(
        "/api/kpis/",
        {
            "name": "Doubled",
            "owner": quality.pk,
            "target": "80",
            "source": "formula",
            "formula": f"{base.reference} * 2",
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["latest_period"] == "2026-10"
    kpi = KPI.objects.get(pk=created.json()["id"])
    assert dict(kpi.measurements.values_list("period_start", "value")) == {
        date(2026, 9, 1): D(80),
        date(2026, 10, 1): D(90),
    }


def test_a_kpi_is_linked_to_an_objective_by_those_who_may_change_the_objective(owner, kpi, lead):
    theirs, mine = ObjectiveFactory(owner=lead), ObjectiveFactory(owner=owner)

    refused = api(owner).patch(f"/api/kpis/{kpi.pk}/", {"objectives": [theirs.pk, mine.pk]}, format="json")
    linked = api(owner).patch(f"/api/kpis/{kpi.pk}/", {"objectives": [mine.pk]}, format="json")

    assert refused.status_code == 400
    assert theirs.reference in refused.json()["objectives"][0]
    assert linked.status_code == 200
    assert list(kpi.objectives.all()) == [mine]


def test_only_active_objectives_take_new_kpis(owner, kpi):
    achieved = ObjectiveFactory(status="achieved")

    response = api(owner).patch(f"/api/kpis/{kpi.pk}/", {"objectives": [achieved.pk]}, format="json")

    assert response.status_code == 400
    assert achieved.reference in response.json()["objectives"][0]
    assert not kpi.objectives.exists()


def test_kpis_cannot_be_deleted(quality, kpi):
    assert api(quality).delete(f"/api/kpis/{kpi.pk}/").status_code == 405
    assert KPI.objects.filter(pk=kpi.pk).exists()


def test_kpi_filters(viewer, owner):
    process, objective = ProcessFactory(), ObjectiveFactory()
    mine = KPIFactory(owner=owner, processes=[process], status=KPIStatus.OFF_TARGET)
    linked = KPIFactory(objectives=[objective], nature=Nature.ACTIVITY, frequency="quarterly")
    KPIFactory(status=KPIStatus.ON_TARGET)

    def refs(query):
        response = api(viewer).get(f"/api/kpis/?{query}")
        assert response.status_code == 200, response.json()
        return {k["reference"] for k in response.json()["results"]}

    assert refs("status=off_target") == {mine.reference}
    assert refs(f"owner={owner.pk}") == {mine.reference}
    assert refs(f"process={process.pk}") == {mine.reference}
    assert refs(f"objective={objective.pk}") == {linked.reference}
    assert refs("nature=activity") == {linked.reference}
    assert refs("frequency=quarterly") == {linked.reference}


# Measurements
# ------------------------------------------------------------------------------


def test_entering_a_value_records_who_and_keeps_history(owner, kpi):
    response = api(owner).post(
        "/api/measurements/", {"kpi": kpi.reference, "period": "2026-10", "value": "97.5"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kpi"], body["period"], body["period_start"]) == (kpi.reference, "2026-10", "2026-10-01")
    assert D(body["value"]) == D("97.5")
    measurement = Measurement.objects.get()
    assert measurement.entered_by == owner
    assert body["entered_by"] == owner.pk
    assert measurement.history.get().history_user == owner
    kpi_body = api(owner).get(f"/api/kpis/{kpi.pk}/").json()
    assert (kpi_body["status"], kpi_body["latest_period"]) == (KPIStatus.ON_TARGET, "2026-10")


def test_a_correction_by_a_deputy_keeps_the_old_value(deputy, kpi):
    MeasurementFactory(kpi=kpi, period_start=date(2026, 10, 1), value=D("91"))

    again = api(deputy).post(
        "/api/measurements/", {"kpi": kpi.reference, "period": "2026-10-15", "value": "92", "comment": "Recount"}
    )
    assert again.status_code == 200, again.json()
    measurement = Measurement.objects.get()
    patched = api(deputy).patch(f"/api/measurements/{measurement.pk}/", {"value": "93"}, format="json")

    assert patched.status_code == 200, patched.json()
    measurement.refresh_from_db()
    assert (measurement.value, measurement.comment, measurement.entered_by) == (D(93), "Recount", deputy)
    assert sorted(h.value for h in measurement.history.all()) == [D(91), D(92), D(93)]


def test_a_period_may_be_written_as_the_pages_show_it(owner, kpi):
    quarterly = KPIFactory(owner=owner, frequency="quarterly")

    monthly = api(owner).post("/api/measurements/", {"kpi": kpi.reference, "period": "Sep 2026", "value": "97"})
    bulk = api(owner).post(
        "/api/measurements/bulk/",
        [
            {"kpi": kpi.reference, "period": "October 2026", "value": "96"},
            {"kpi": quarterly.reference, "period": "Q2 2026", "value": "95"},
        ],
        format="json",
    )
    wrong = api(owner).post("/api/measurements/", {"kpi": quarterly.reference, "period": "Sep 2026", "value": "9"})

    assert monthly.status_code == 201, monthly.json()
    assert monthly.json()["period"] == "2026-09"  # answers keep the ISO form
    assert bulk.status_code == 200, bulk.json()
    assert sorted(Measurement.objects.values_list("kpi__reference", "period_start")) == sorted(
        [(kpi.reference, date(2026, 9, 1)), (kpi.reference, date(2026, 10, 1)), (quarterly.reference, date(2026, 4, 1))]
    )
    assert wrong.status_code == 400
    assert "is not a quarterly period. Write it like Q" in wrong.json()["period"][0]


def test_a_value_keeps_its_kpi_and_period(owner, kpi):
    measurement = MeasurementFactory(kpi=kpi, period_start=date(2026, 10, 1))

    response = api(owner).patch(f"/api/measurements/{measurement.pk}/", {"period": "2026-09"}, format="json")

    assert response.status_code == 400
    assert "period" in response.json()
    measurement.refresh_from_db()
    assert measurement.period_start == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"period": "2026-12", "value": "97"}, "period", "has not started yet: values go from Jan 2020 up to"),
        ({"period": "1900-01", "value": "97"}, "period", "Jan 1900 is before Jan 2020, the period the KPI is"),
        ({"period": "2019-12", "value": "97"}, "period", "Dec 2019 is before Jan 2020"),
        ({"period": "0001-01", "value": "97"}, "period", "is not a period"),
        ({"period": "2026-Q3", "value": "97"}, "period", "not a monthly period"),
        ({"period": "last month", "value": "97"}, "period", "not a period"),
        ({"period": "2026-10", "value": "lots"}, "value", "valid number"),
        ({"period": "2026-10", "value": "101"}, "value", "above the highest possible value"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(owner, kpi, payload, field, message):
    KPI.objects.filter(pk=kpi.pk).update(valid_min=0, valid_max=100)

    response = api(owner).post("/api/measurements/", {"kpi": kpi.reference, **payload}, format="json")

    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert not Measurement.objects.exists()


def test_values_of_a_calculated_kpi_are_not_entered(quality, kpi):
    calculated = KPIFactory(source=Source.FORMULA, formula=f"{kpi.reference} * 2")

    response = api(quality).post("/api/measurements/", {"kpi": calculated.reference, "period": "2026-10", "value": "1"})

    assert response.status_code == 400
    assert "calculated" in response.json()["value"][0]


@pytest.mark.parametrize("person", ["outsider", "viewer"])
def test_only_those_who_may_change_the_kpi_enter_values(request, kpi, person):
    user = request.getfixturevalue(person)
    existing = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D("96"))

    created = api(user).post("/api/measurements/", {"kpi": kpi.reference, "period": "2026-10", "value": "97"})
    patched = api(user).patch(f"/api/measurements/{existing.pk}/", {"value": "10"}, format="json")

    assert (created.status_code, patched.status_code) == (403, 403)
    assert list(Measurement.objects.values_list("value", flat=True)) == [D(96)]
    assert api(user).get(f"/api/measurements/{existing.pk}/").status_code == 200


def test_measurement_filters_by_kpi_and_period(viewer, kpi):
    other = KPIFactory()
    for month in (8, 9, 10):
        MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1))
    MeasurementFactory(kpi=other, period_start=date(2026, 9, 1))

    def periods(query):
        response = api(viewer).get(f"/api/measurements/?{query}")
        assert response.status_code == 200, response.json()
        return [(m["kpi"], m["period"]) for m in response.json()["results"]]

    assert periods(f"kpi={kpi.reference}&period_from=2026-09") == [
        (kpi.reference, "2026-09"),
        (kpi.reference, "2026-10"),
    ]
    assert periods(f"kpi={kpi.reference}&period_to=2026-Q3") == [(kpi.reference, "2026-08"), (kpi.reference, "2026-09")]
    assert periods("period_from=2026-09-01&period_to=2026-09-30") == [
        (kpi.reference, "2026-09"),
        (other.reference, "2026-09"),
    ]
    assert periods(f"kpi={kpi.reference}&period_from=Sep 2026&period_to=Q3 2026") == [(kpi.reference, "2026-09")]
    refused = api(viewer).get("/api/measurements/?period_from=soon")
    assert refused.status_code == 400
    assert "period_from" in refused.json()


# Bulk upload
# ------------------------------------------------------------------------------


def test_bulk_upload_writes_every_row_through_the_one_write_path(owner, kpi, django_capture_on_commit_callbacks):
    second = KPIFactory(owner=owner, valid_min=0, valid_max=100)
    doubled = KPIFactory(source=Source.FORMULA, formula=f"{kpi.reference} * 2", target=D(150), warning=None)
    MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D("94"))
    MeasurementFactory(kpi=second, period_start=date(2026, 9, 1), value=D("99"), comment="")
    rows = [
        {"kpi": kpi.reference, "period": "2026-10", "value": "97.5", "comment": ""},
        {"kpi": kpi.reference, "period": "2026-09", "value": 96, "comment": "Corrected by the ERP"},
        {"kpi": second.reference, "period": "2026-09", "value": "99.0000", "comment": ""},
        {"kpi": second.reference.lower(), "period": "2026-10-31", "value": "98.123456"},
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = api(owner).post("/api/measurements/bulk/", rows, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 1, "unchanged": 1}
    values = dict(Measurement.objects.filter(kpi__in=[kpi, second]).values_list("kpi__reference", "period_start"))
    assert len(values) == 2
    assert kpi.measurements.get(period_start=date(2026, 9, 1)).comment == "Corrected by the ERP"
    assert second.measurements.get(period_start=date(2026, 10, 1)).value == D("98.1235")
    assert set(Measurement.objects.filter(kpi=kpi).values_list("entered_by", flat=True)) == {owner.pk}
    assert doubled.measurements.get(period_start=date(2026, 10, 1)).value == D(195)
    kpi.refresh_from_db()
    assert (kpi.latest_period, kpi.status) == (date(2026, 10, 1), KPIStatus.ON_TARGET)


def test_bulk_upload_is_all_or_nothing_and_names_every_bad_row(owner, kpi):
    someone_elses = KPIFactory()
    calculated = KPIFactory(owner=owner, source=Source.FORMULA, formula=f"{kpi.reference} + 1")
    KPI.objects.filter(pk=kpi.pk).update(valid_min=0, valid_max=100)
    MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D("94"))
    rows = [
        {"kpi": kpi.reference, "period": "2026-10", "value": "97.5"},  # 0: fine
        {"kpi": "KPI-999", "period": "2026-10", "value": "97"},  # 1: unknown KPI
        {"kpi": someone_elses.reference, "period": "2026-10", "value": "97"},  # 2: not theirs
        {"kpi": calculated.reference, "period": "2026-10", "value": "97"},  # 3: calculated
        {"kpi": kpi.reference, "period": "Oct", "value": "97"},  # 4: bad period
        {"kpi": kpi.reference, "period": "2027-01", "value": "97"},  # 5: future period
        {"kpi": kpi.reference, "period": "2026-08", "value": "n/a"},  # 6: not a number
        {"kpi": kpi.reference, "period": "2026-07", "value": "970"},  # 7: out of range
        {"kpi": kpi.reference, "period": "2026-10-20", "value": "98"},  # 8: same as row 0
        {"kpi": kpi.reference, "period": "2026-09", "value": "95"},  # 9: fine, a correction
        {"kpi": kpi.reference, "period": "1901-01", "value": "95"},  # 10: before it is measured from
    ]

    response = api(owner).post("/api/measurements/bulk/", rows, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (1, "kpi"),
        (2, "kpi"),
        (3, "value"),
        (4, "period"),
        (5, "period"),
        (6, "value"),
        (7, "value"),
        (8, "period"),
        (10, "period"),
    ]
    assert "KPI-999" in errors[0]["message"]
    assert "Row 0" in errors[-2]["message"]
    assert "Jan 1901 is before Jan 2020" in errors[-1]["message"]
    assert list(Measurement.objects.values_list("value", flat=True)) == [D(94)]
    assert not someone_elses.measurements.exists()


def test_bulk_upload_refuses_what_is_not_a_list_of_rows_or_too_many(owner, kpi):
    client = api(owner)

    not_a_list = client.post("/api/measurements/bulk/", {"kpi": kpi.reference}, format="json")
    not_rows = client.post("/api/measurements/bulk/", ["KPI-001"], format="json")
    too_many = client.post(
        "/api/measurements/bulk/", [{"kpi": kpi.reference, "period": "2026-10", "value": "1"}] * 5001, format="json"
    )

    assert not_a_list.status_code == 400
    assert not_rows.json()["errors"] == [{"row": 0, "field": None, "message": not_rows.json()["errors"][0]["message"]}]
    assert too_many.status_code == 400
    assert "5000" in too_many.json()["errors"][0]["message"]
    assert not Measurement.objects.exists()


def test_a_viewer_writes_nothing(viewer, kpi):
    row = {"kpi": kpi.reference, "period": "2026-10", "value": "97"}

    assert api(viewer).post("/api/measurements/bulk/", [row], format="json").status_code == 403
    assert api(viewer).post("/api/measurements/", row, format="json").status_code == 403
    assert api(viewer).patch(f"/api/kpis/{kpi.pk}/", {"name": "X"}, format="json").status_code == 403
    assert api(viewer).post("/api/themes/", {"title": "X", "owner": viewer.pk}, format="json").status_code == 403
    assert not Measurement.objects.exists()
    assert not StrategicTheme.objects.exists()


# Schema and query counts
# ------------------------------------------------------------------------------


def test_the_schema_documents_the_objectives_api(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--file", str(out), stderr=StringIO())

    schema = out.read_text()
    for path in ("/api/themes/", "/api/objectives/", "/api/kpis/{id}/", "/api/measurements/bulk/"):
        assert path in schema


@pytest.mark.parametrize("url", ["/api/kpis/", "/api/measurements/", "/api/objectives/", "/api/themes/"])
def test_lists_cost_the_same_queries_for_5_and_50_rows(viewer, django_assert_max_num_queries, url):
    def build(n):
        for _ in range(n):
            process = ProcessFactory()
            objective = ObjectiveFactory(processes=[process])
            objective.deputies.set([UserFactory()])
            objective.theme.deputies.set([UserFactory()])
            kpi = KPIFactory(processes=[process], objectives=[objective])
            kpi.deputies.set([UserFactory()])
            MeasurementFactory(kpi=kpi, entered_by=UserFactory())

    build(5)
    with django_assert_max_num_queries(12) as few:
        assert api(viewer).get(url).status_code == 200
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api(viewer).get(url)
    assert len(response.json()["results"]) == 50


def test_a_value_sent_without_a_comment_keeps_the_stored_comment(owner, kpi):
    MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D(90), comment="Line 2 down for a week")
    MeasurementFactory(kpi=kpi, period_start=date(2026, 8, 1), value=D(90), comment="Holiday month")
    rows = [
        {"kpi": kpi.reference, "period": "2026-09", "value": "91"},
        {"kpi": kpi.reference, "period": "2026-08", "value": "92", "comment": ""},
    ]

    assert api(owner).post("/api/measurements/bulk/", rows, format="json").status_code == 200
    single = api(owner).post("/api/measurements/", {"kpi": kpi.reference, "period": "2026-09", "value": "93"})

    assert single.status_code == 200
    assert dict(kpi.measurements.values_list("period_start", "comment")) == {
        date(2026, 9, 1): "Line 2 down for a week",
        date(2026, 8, 1): "",
    }
