from datetime import date, timedelta

import pytest

from objectives.choices import Frequency
from objectives.periods import Period


@pytest.mark.parametrize(
    ("frequency", "day", "start", "end", "text"),
    [
        (Frequency.WEEKLY, date(2026, 11, 26), date(2026, 11, 23), date(2026, 11, 29), "2026-W48"),
        (Frequency.WEEKLY, date(2027, 1, 2), date(2026, 12, 28), date(2027, 1, 3), "2026-W53"),
        (Frequency.MONTHLY, date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        (Frequency.MONTHLY, date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29), "2028-02"),
        (Frequency.QUARTERLY, date(2026, 11, 24), date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        (Frequency.QUARTERLY, date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
        (Frequency.YEARLY, date(2026, 7, 1), date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ],
)
def test_a_day_falls_in_one_period_per_frequency(frequency, day, start, end, text):
    period = Period.containing(frequency, day)

    assert (period.start, period.end, str(period)) == (start, end, text)
    assert Period.parse(frequency, text) == period
    assert Period.parse(frequency, day.isoformat()) == period


def test_stepping_crosses_year_ends():
    december = Period.containing(Frequency.MONTHLY, date(2026, 12, 5))

    assert december.next().start == date(2027, 1, 1)
    assert december.next().previous() == december
    assert Period.containing(Frequency.QUARTERLY, date(2026, 1, 5)).previous().start == date(2025, 10, 1)


def test_the_last_closed_period_is_the_one_now_due():
    assert Period.last_closed(Frequency.MONTHLY, date(2026, 11, 24)).start == date(2026, 10, 1)
    assert Period.last_closed(Frequency.YEARLY, date(2026, 1, 1)).start == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("frequency", "text", "message"),
    [
        (Frequency.MONTHLY, "2026-Q4", "is not a monthly period"),
        (Frequency.QUARTERLY, "2026-11", "is not a quarterly period"),
        (Frequency.MONTHLY, "2026", "is not a monthly period"),
        (Frequency.MONTHLY, "last month", "is not a period"),
        (Frequency.MONTHLY, "2026-13", "is not a period"),
    ],
)
def test_badly_written_periods_are_refused_with_an_example(frequency, text, message):
    with pytest.raises(ValueError, match=message):
        Period.parse(frequency, text)


# Reading periods as people write them
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "texts", "start"),
    [
        (
            Frequency.MONTHLY,
            [
                "Sep 2026", "September 2026", "sep 2026", "SEPT. 2026", " sep  2026 ", "Sep-26", "2026-09", "2026-9",
                "09/2026", "2026-09-15", "2026-09-30",
            ],
            date(2026, 9, 1),
        ),
        (
            Frequency.QUARTERLY,
            ["Q3 2026", "q3 2026", "Q3/2026", "2026-Q3", "2026 Q3", "2026q3", "2026-07-01", "2026-09-30"],
            date(2026, 7, 1),
        ),
        (
            Frequency.WEEKLY,
            ["Week 38, 2026", "week 38 2026", "W38 2026", "wk 38, 2026", "2026-W38", "2026W38", "2026-09-20"],
            date(2026, 9, 14),
        ),
        (Frequency.YEARLY, ["2026", " 2026", "2026-01-01", "2026-12-31"], date(2026, 1, 1)),
    ],
)  # fmt: skip
def test_a_period_is_read_as_the_app_shows_it_and_in_iso_form(frequency, texts, start):
    for text in texts:
        assert Period.parse(frequency, text) == Period(frequency, start), text


@pytest.mark.parametrize("frequency", Frequency.values)
def test_what_the_app_shows_reads_back_as_the_same_period(frequency):
    period = Period.containing(frequency, date(2026, 11, 26))

    assert Period.parse(frequency, period.label) == period
    assert Period.parse(frequency, str(period)) == period


def test_the_week_of_a_year_end_reads_in_its_iso_year():
    assert Period.parse(Frequency.WEEKLY, "Week 53, 2026").start == date(2026, 12, 28)
    assert Period.parse(Frequency.WEEKLY, "Week 1, 2027").start == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("frequency", "text", "message"),
    [
        (Frequency.MONTHLY, "Q3 2026", "“Q3 2026” is not a monthly period. Write it like Oct 2026."),
        (Frequency.MONTHLY, "Week 38, 2026", "is not a monthly period. Write it like Oct 2026."),
        (Frequency.QUARTERLY, "Sep 2026", "“Sep 2026” is not a quarterly period. Write it like Q3 2026."),
        (Frequency.WEEKLY, "2026-09", "is not a weekly period. Write it like Week 47, 2026."),
        (Frequency.YEARLY, "Q1 2026", "is not a yearly period. Write it like 2025."),
        (Frequency.MONTHLY, "Smarch 2026", "“Smarch 2026” is not a period. Write it like Oct 2026 or as a date"),
        (Frequency.MONTHLY, "Se 2026", "is not a period"),
        (Frequency.WEEKLY, "Week 54, 2026", "is not a period. Write it like Week 47, 2026"),
        (Frequency.QUARTERLY, "Q5 2026", "is not a period. Write it like Q3 2026"),
        (Frequency.MONTHLY, "2026-02-30", "is not a period"),
        (Frequency.MONTHLY, "", "is not a period"),
        # A typo for a year long ago or far ahead names no period values are kept for: stored, it
        # stopped the nightly run, which steps from period to period.
        (Frequency.YEARLY, "0001", "“0001” is not a period. Write it like 2025"),
        (Frequency.MONTHLY, "Sep 0026", "is not a period"),
        (Frequency.WEEKLY, "W01 0001", "is not a period"),
        (Frequency.QUARTERLY, "0026-09-15", "is not a period"),
        (Frequency.YEARLY, "9999", "is not a period"),
    ],
)
def test_a_wrong_or_unreadable_period_is_refused_with_an_example_as_the_app_shows_it(
    frequency, text, message, monkeypatch
):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: date(2026, 11, 24))

    with pytest.raises(ValueError, match=message):
        Period.parse(frequency, text)


@pytest.mark.django_db
@pytest.mark.parametrize("today", [date(2026, 11, 26), date(2027, 1, 1), date(2026, 3, 31), date(2028, 2, 29)])
def test_the_kpis_due_in_sql_are_exactly_those_that_say_they_are_due(today):
    """KPIQuerySet.due() (lists, My work, the to-dos) and KPI.is_due (one KPI's page) agree on every
    frequency, start of measuring and latest value around the period now due."""
    from objectives.models import KPI
    from tests.factories import KPIFactory

    owner = KPIFactory().owner
    for frequency in Frequency.values:
        due = Period.last_closed(frequency, today)
        for measured_from in (due.start - timedelta(days=1), due.start, due.end, due.end + timedelta(days=1)):
            for latest in (None, due.previous().start, due.start, due.next().start):
                KPIFactory(owner=owner, frequency=frequency, measured_from=measured_from, latest_period=latest)

    kpis = KPI.objects.filter(owner=owner)
    expected = {kpi.pk for kpi in kpis if kpi.is_due(today)}
    assert set(kpis.due(today).values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < kpis.count() - 1
