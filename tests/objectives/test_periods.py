from datetime import date

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
