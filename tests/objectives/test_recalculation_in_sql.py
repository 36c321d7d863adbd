"""On PostgreSQL, calculated KPIs are worked out many at a time, one statement per formula shape
(objectives.recalculation); elsewhere one KPI at a time with the formula as Django expressions
(services._calculate_with_expressions). Both must store the same values and the same history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from objectives import recalculation, services
from objectives.choices import Frequency, Source
from objectives.formula import Formula
from objectives.models import KPI, Measurement
from objectives.periods import Period
from tests.factories import KPIFactory, MeasurementFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based statement is PostgreSQL's"),
]

TODAY = date(2026, 11, 24)
FORMULAS = [
    "{a} / {b} * 100",
    "{c} / {d} * 100",  # the same shape as the first: one statement for both
    "({a} - {b}) / 2.5",
    "-{a} + 7",
    "{a} / ({b} - {b})",  # division by zero: no value, never an error
    "sum({w}) / count({w})",  # weekly values gathered into months
    "max({w}) - min({w}) + avg({w})",
    "{a} * 100000000000 * 100000000000",  # beyond what a value can hold: not stored
]


def months(n: int) -> list[date]:
    return [Period(Frequency.MONTHLY, date(2026, 1, 1))._shift(i).start for i in range(n)]


@pytest.fixture
def calculated():
    a, b, c, d = (KPIFactory() for _ in range(4))
    weekly = KPIFactory(frequency=Frequency.WEEKLY)
    for n, start in enumerate(months(11)):
        for kpi, value in ((a, 90 + n), (b, 100 - n), (c, n), (d, 5 + n % 3)):
            if not (kpi is c and n == 4):  # a gap: no value for that month
                MeasurementFactory(kpi=kpi, period_start=start, value=Decimal(value) / 3)
    for week in range(40):
        MeasurementFactory(kpi=weekly, period_start=date(2025, 12, 29) + timedelta(weeks=week), value=week % 7)
    refs = {"a": a.reference, "b": b.reference, "c": c.reference, "d": d.reference, "w": weekly.reference}
    kpis = [KPIFactory(source=Source.FORMULA, formula=text.format(**refs)) for text in FORMULAS]
    # One calculated from another calculated one: the second layer.
    kpis.append(KPIFactory(source=Source.FORMULA, formula=f"{kpis[0].reference} * 2"))
    return kpis


def stored(kpis):
    values = Measurement.objects.filter(kpi__in=kpis)
    history = Measurement.history.filter(kpi__in=kpis)
    return (
        sorted(values.values_list("kpi_id", "period_start", "value", "comment", "is_calculated", "entered_by_id")),
        sorted(history.values_list("kpi_id", "period_start", "value", "history_type", "history_change_reason")),
    )


def with_expressions(kpis, periods=None):
    for kpi in kpis:
        formula = Formula(kpi.formula)
        inputs = {k.reference: (k.pk, k.frequency) for k in KPI.objects.filter(reference__in=formula.references)}
        services._calculate_with_expressions(kpi, formula, inputs, periods, TODAY)


def clear(kpis):
    Measurement.objects.filter(kpi__in=kpis).delete()
    Measurement.history.filter(kpi__in=kpis).delete()  # and the snapshots the removal left


def test_the_statements_store_what_the_expressions_store(calculated):
    assert services.recalculate_values(TODAY) > 0
    in_sql = stored(calculated)
    clear(calculated)
    with_expressions(calculated)

    assert stored(calculated) == in_sql
    assert len(in_sql[0]) > 50 and {kpi_id for kpi_id, *_rest in in_sql[0]} >= {k.pk for k in calculated[:4]}


def test_kpis_of_one_shape_are_calculated_by_one_statement(calculated, django_assert_max_num_queries):
    groups, missing = recalculation.group_by_shape(calculated[:2], recalculation.kpi_inputs())
    assert (len(groups), missing) == (1, [])
    with django_assert_max_num_queries(1):
        assert recalculation.calculate_group(groups[0], TODAY) == 10 + 9  # ten closed months, one without c


def test_a_second_run_writes_nothing_and_a_changed_input_rewrites_its_periods_only(calculated):
    services.recalculate_values(TODAY)
    before = stored(calculated)
    assert services.recalculate_values(TODAY) == 0
    assert stored(calculated) == before

    source = Measurement.objects.get(kpi__reference=calculated[0].formula.split(" ")[0], period_start=months(3)[2])
    source.value += 1
    source.save()
    changes = services.recalculate_values(TODAY)
    # The ratio of March, the ratio doubled, "(a - b) / 2.5", "-a + 7" and "a × 10²²" (still too large).
    assert changes == 4
    in_sql = stored(calculated)
    clear(calculated)
    with_expressions(calculated)
    assert stored(calculated)[0] == in_sql[0]


def test_given_periods_only_those_are_rewritten_and_stale_values_go(calculated):
    ratio = calculated[0]
    services.recalculate_values(TODAY)
    Measurement.objects.filter(kpi=ratio, period_start=months(2)[1]).update(value=Decimal(1))
    stale = MeasurementFactory(kpi=ratio, period_start=date(2026, 11, 1), value=5)  # the open month
    periods = [Period(Frequency.MONTHLY, months(2)[1]), Period(Frequency.MONTHLY, date(2026, 11, 1))]

    assert services.kpi_calculate(ratio, periods, TODAY) == 2  # February rewritten, November removed
    assert not Measurement.objects.filter(kpi=ratio, period_start=date(2026, 11, 1)).exists()
    assert Measurement.history.filter(id=stale.pk, history_type="-").exists()
    february = Measurement.objects.get(kpi=ratio, period_start=months(2)[1])
    assert february.value != Decimal(1) and february.is_calculated
