"""KPIs counted from customer complaints: their values come from the complaints received in each
period (how many, and how long they took to answer), through the same recalculation as formulas,
with their history, and nobody types them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nonconformities.choices import Origin
from nonconformities.models import Nonconformity
from objectives import services
from objectives.choices import Frequency, Source
from objectives.models import KPI, Measurement
from objectives.periods import Period
from qms.history import record_history
from tests.factories import KPIFactory, NonconformityFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 10)  # April is the last closed month


def complaint(received: date, answered: date | None = None):
    return NonconformityFactory(
        origin=Origin.CUSTOMER_COMPLAINT, party="Arden Motors", received_on=received, responded_on=answered,
        detected_on=received,
    )  # fmt: skip


def values(kpi) -> dict[date, Decimal]:
    return dict(Measurement.objects.filter(kpi=kpi).order_by("period_start").values_list("period_start", "value"))


@pytest.fixture
def complaints():
    complaint(date(2026, 1, 5), date(2026, 1, 9))  # 4 days
    complaint(date(2026, 1, 20), date(2026, 1, 30))  # 10 days
    complaint(date(2026, 3, 2), None)  # not answered yet
    complaint(date(2026, 5, 3), date(2026, 5, 4))  # May is still open: no value yet
    NonconformityFactory(origin=Origin.PROCESS, detected_on=date(2026, 2, 1))  # not a complaint


def counted(source: str, **fields) -> KPI:
    return KPIFactory(source=source, measured_from=date(2026, 1, 1), unit="", **fields)


def test_the_nightly_recalculation_counts_complaints_per_closed_period_with_history(complaints):
    count = counted(Source.COMPLAINT_COUNT, name="Customer complaints", direction="lower", target=2, warning=3)
    days = counted(Source.COMPLAINT_RESPONSE_DAYS, name="Complaint response time", direction="lower", target=10,
                   warning=12)  # fmt: skip

    services.recalculate_all(today=TODAY)

    jan, feb, mar, apr = (date(2026, m, 1) for m in (1, 2, 3, 4))
    assert values(count) == {jan: 2, feb: 0, mar: 1, apr: 0}
    assert values(days) == {jan: 7}  # (4 + 10) / 2; no value where nothing was answered
    assert Measurement.objects.filter(kpi__in=[count, days], is_calculated=False).count() == 0
    row = Measurement.history.filter(kpi_id=count.pk, period_start=jan).get()
    assert row.history_type == "+" and row.history_user is None
    assert row.history_change_reason == "Counted from the customer complaints"
    count.refresh_from_db()
    assert count.latest_period == apr and count.latest_value == 0


def test_a_second_run_changes_nothing_and_a_later_answer_changes_only_its_period(complaints):
    days = counted(Source.COMPLAINT_RESPONSE_DAYS)
    services.recalculate_all(today=TODAY)
    before = Measurement.history.filter(kpi_id=days.pk).count()

    assert services.kpi_calculate(days, today=TODAY) == 0
    assert Measurement.history.filter(kpi_id=days.pk).count() == before

    Nonconformity.objects.filter(received_on=date(2026, 3, 2)).update(responded_on=date(2026, 3, 14))
    assert services.kpi_calculate(days, today=TODAY) == 1
    assert values(days)[date(2026, 3, 1)] == 12
    changed = Measurement.history.filter(kpi_id=days.pk).latest("history_id")
    assert changed.history_type == "+" and changed.period_start == date(2026, 3, 1)


def test_only_the_periods_asked_for_are_recalculated(complaints):
    count = counted(Source.COMPLAINT_COUNT, frequency=Frequency.QUARTERLY)
    written = services.kpi_calculate(count, [Period(Frequency.QUARTERLY, date(2026, 1, 1))], today=TODAY)
    assert written == 1 and values(count) == {date(2026, 1, 1): 3}


def test_a_formula_reads_a_complaint_count_in_the_same_run(complaints):
    count = counted(Source.COMPLAINT_COUNT)
    orders = KPIFactory(measured_from=date(2026, 1, 1), name="Orders shipped")
    for month in (1, 2, 3, 4):
        Measurement.objects.create(kpi=orders, period_start=date(2026, month, 1), value=Decimal(500))
    per_thousand = KPIFactory(
        source=Source.FORMULA, formula=f"{count.reference} / {orders.reference} * 1000", measured_from=date(2026, 1, 1)
    )
    services.recalculate_all(today=TODAY)
    assert values(per_thousand) == {date(2026, m, 1): Decimal(v) for m, v in ((1, 4), (2, 0), (3, 2), (4, 0))}


def test_a_complaint_kpi_takes_no_formula_and_no_typed_value(complaints, owner):
    kpi = counted(Source.COMPLAINT_COUNT, owner=owner)
    assert kpi.is_calculated and kpi.is_from_complaints and kpi.formula_inputs() == []
    kpi.formula = "KPI-001 * 2"
    with pytest.raises(ValidationError) as refused:
        kpi.full_clean()
    assert "formula" in refused.value.message_dict
    kpi.refresh_from_db()
    with pytest.raises(ValidationError):
        services.measurement_record(
            kpi=kpi, period=Period(Frequency.MONTHLY, date(2026, 4, 1)), value=Decimal(1), user=owner, today=TODAY
        )


def test_saving_a_new_complaint_kpi_fills_its_values_and_its_page_says_where_they_come_from(
    complaints, quality, client_for
):
    kpi = counted(Source.COMPLAINT_COUNT, owner=quality)
    services.kpi_saved(kpi, formula_changed=True)
    assert Measurement.objects.filter(kpi=kpi).exists()
    page = client_for(quality).get(kpi.get_absolute_url()).content.decode()
    assert "Customer complaints (count)" in page and "origin=customer_complaint" in page
    assert any(entry.reason == "Counted from the customer complaints" for entry in record_history(kpi))
