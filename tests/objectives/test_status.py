"""A KPI's status from its latest value: per direction and threshold, and overdue when a closed
period has had no value for longer than the grace days."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from objectives.choices import Direction, Frequency, KPIStatus
from objectives.models import KPI

D = Decimal


@pytest.mark.parametrize(
    ("direction", "target", "upper", "warning", "value", "status"),
    [
        (Direction.HIGHER, "95", None, "90", "95", KPIStatus.ON_TARGET),
        (Direction.HIGHER, "95", None, "90", "92", KPIStatus.WARNING),
        (Direction.HIGHER, "95", None, "90", "89.9", KPIStatus.OFF_TARGET),
        (Direction.HIGHER, "95", None, None, "94", KPIStatus.OFF_TARGET),
        (Direction.LOWER, "50", None, "80", "50", KPIStatus.ON_TARGET),
        (Direction.LOWER, "50", None, "80", "80", KPIStatus.WARNING),
        (Direction.LOWER, "50", None, "80", "81", KPIStatus.OFF_TARGET),
        (Direction.RANGE, "20", "24", "1", "22", KPIStatus.ON_TARGET),
        (Direction.RANGE, "20", "24", "1", "19.5", KPIStatus.WARNING),
        (Direction.RANGE, "20", "24", "1", "25", KPIStatus.WARNING),
        (Direction.RANGE, "20", "24", "1", "25.5", KPIStatus.OFF_TARGET),
        (Direction.RANGE, "20", "24", None, "19.9", KPIStatus.OFF_TARGET),
    ],
)
def test_judging_a_value(direction, target, upper, warning, value, status):
    kpi = KPI(direction=direction, target=D(target), target_upper=upper and D(upper), warning=warning and D(warning))

    assert kpi.judge(D(value)) == status


def monthly(**kwargs) -> KPI:
    return KPI(frequency=Frequency.MONTHLY, target=D(95), warning=D(90), measured_from=date(2026, 1, 1), **kwargs)


def test_the_latest_value_decides_while_nothing_is_missing(settings):
    settings.KPI_DATA_GRACE_DAYS = 7

    # On 24 November the October value is due; it is in.
    assert monthly().status_on(date(2026, 11, 24), date(2026, 10, 1), D(91)) == KPIStatus.WARNING


def test_a_missing_value_is_overdue_only_after_the_grace_days(settings):
    settings.KPI_DATA_GRACE_DAYS = 7
    kpi = monthly()

    # September is in, October is missing: due, not yet overdue on 5 November...
    assert kpi.status_on(date(2026, 11, 5), date(2026, 9, 1), D(99)) == KPIStatus.ON_TARGET
    # ... overdue from 8 November.
    assert kpi.status_on(date(2026, 11, 8), date(2026, 9, 1), D(99)) == KPIStatus.OVERDUE


def test_a_kpi_no_longer_measured_is_never_overdue(settings):
    settings.KPI_DATA_GRACE_DAYS = 7
    retired = monthly()
    retired.is_active = False

    assert retired.status_on(date(2026, 11, 24), date(2026, 3, 1), D(99)) == KPIStatus.ON_TARGET
    assert retired.status_on(date(2026, 11, 24), None, None) == KPIStatus.NO_DATA


def test_no_data_before_anything_is_due(settings):
    settings.KPI_DATA_GRACE_DAYS = 7
    new = monthly()
    new.measured_from = date(2026, 11, 1)

    assert new.status_on(date(2026, 11, 24), None, None) == KPIStatus.NO_DATA
    assert monthly().status_on(date(2026, 11, 24), None, None) == KPIStatus.OVERDUE


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"direction": Direction.HIGHER, "target": D(95), "warning": D(97)}, "warning", "at or below the target"),
        ({"direction": Direction.LOWER, "target": D(5), "warning": D(3)}, "warning", "at or above the target"),
        ({"direction": Direction.RANGE, "target": D(5), "target_upper": D(3)}, "target_upper", "upper end"),
        ({"direction": Direction.RANGE, "target": D(5), "target_upper": None}, "target_upper", "upper end"),
        ({"target": D(5), "valid_min": D(10), "valid_max": D(0)}, "valid_max", "above the lowest"),
        ({"target": D(5), "formula": "KPI-001 * 2"}, "formula", "Only a calculated KPI"),
    ],
)
def test_inconsistent_targets_are_refused_with_the_field_named(fields, field, message):
    kpi = KPI(**fields)

    with pytest.raises(ValidationError) as refused:
        kpi.clean()

    assert message in refused.value.message_dict[field][0]


def test_values_outside_the_physical_range_are_refused():
    kpi = KPI(valid_min=D(0), valid_max=D(100))

    kpi.check_value(D(100))
    with pytest.raises(ValidationError, match="above the highest possible value, 100"):
        kpi.check_value(D("100.5"))
    with pytest.raises(ValidationError, match="below the lowest possible value, 0"):
        kpi.check_value(D(-1))
