"""What Celery does with KPI data: recalculation (effect and idempotency), statuses, actions raised
on breaches and judged by KPIs, and reminders sent once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives import services, tasks
from objectives.choices import Frequency, KPIStatus, Source
from objectives.models import EffectivenessMeasure, Measurement
from objectives.periods import Period
from qms.choices import ActionStatus
from qms.models import Action
from tests.factories import ActionFactory, KPIFactory, MeasurementFactory, ProcessFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 11, 24)


def month(n: int, year: int = 2026) -> Period:
    return Period(Frequency.MONTHLY, date(year, n, 1))


def record(kpi, n, value, user=None):
    return services.measurement_record(kpi=kpi, period=month(n), value=D(value), user=user or kpi.owner, today=TODAY)


def test_entering_a_value_sets_the_status_and_recalculates_dependents_in_order(django_capture_on_commit_callbacks):
    good, total = KPIFactory(), KPIFactory()
    share = KPIFactory(source=Source.FORMULA, formula=f"{good.reference} / {total.reference} * 100")
    doubled = KPIFactory(source=Source.FORMULA, formula=f"{share.reference} * 2", target=D(150), warning=None)

    with django_capture_on_commit_callbacks(execute=True):
        record(total, 10, 200)
    with django_capture_on_commit_callbacks(execute=True):
        record(good, 10, 180)

    good.refresh_from_db()
    assert (good.status, good.latest_value) == (KPIStatus.ON_TARGET, D(180))
    assert share.measurements.get(period_start=date(2026, 10, 1)).value == D(90)
    assert doubled.measurements.get(period_start=date(2026, 10, 1)).value == D(180)
    share.refresh_from_db()
    assert share.status == KPIStatus.WARNING


def test_a_correction_keeps_the_old_value_in_history():
    kpi = KPIFactory()
    record(kpi, 10, 91)
    record(kpi, 10, 97)

    measurement = Measurement.objects.get(kpi=kpi)
    assert [h.value for h in measurement.history.order_by("history_date")] == [D(91), D(97)]
    kpi.refresh_from_db()
    assert kpi.status == KPIStatus.ON_TARGET


def test_the_nightly_recalculation_is_idempotent(settings):
    settings.KPI_DATA_GRACE_DAYS = 7
    a, b = KPIFactory(), KPIFactory(measured_from=date(2026, 1, 1))
    for n in range(1, 11):
        MeasurementFactory(kpi=a, period_start=month(n).start, value=90 + n)
    total = KPIFactory(source=Source.FORMULA, formula=f"{a.reference} + 1", measured_from=date(2026, 1, 1))

    first = services.recalculate_all(today=TODAY)
    state = sorted(Measurement.objects.values_list("kpi_id", "period_start", "value"))
    second = services.recalculate_all(today=TODAY)

    assert first["values_written"] == 10
    assert first["statuses_changed"] == 3
    assert second == {"values_written": 0, "statuses_changed": 0, "actions_raised": 0, "actions_verified": 0}
    assert sorted(Measurement.objects.values_list("kpi_id", "period_start", "value")) == state
    statuses = {k: k.__class__.objects.get(pk=k.pk).status for k in (a, b, total)}
    assert statuses == {a: KPIStatus.ON_TARGET, b: KPIStatus.OVERDUE, total: KPIStatus.ON_TARGET}


def test_the_task_runs_the_recalculation():
    kpi = KPIFactory()
    MeasurementFactory(kpi=kpi, period_start=month(10).start, value=50)

    result = tasks.recalculate_kpis.delay().get()

    assert result["statuses_changed"] == 1
    kpi.refresh_from_db()
    assert kpi.status == KPIStatus.OFF_TARGET


def test_a_breach_raises_one_action_however_long_it_lasts():
    process = ProcessFactory()
    kpi = KPIFactory(raise_action_after=3, processes=[process])
    for n, value in [(6, 99), (7, 80), (8, 70), (9, 75)]:
        MeasurementFactory(kpi=kpi, period_start=month(n).start, value=value)

    assert services.kpi_raise_breach_actions(today=TODAY) == 1
    MeasurementFactory(kpi=kpi, period_start=month(10).start, value=60)
    assert services.kpi_raise_breach_actions(today=TODAY) == 0

    action = Action.objects.get()
    assert (action.owner, action.source, list(action.processes.all())) == (kpi.owner, kpi, [process])
    assert "since Jul 2026" in action.description


def test_a_breach_longer_than_the_window_still_raises_one_action():
    kpi = KPIFactory(raise_action_after=2, frequency=Frequency.WEEKLY)
    monday = date(2026, 1, 5)
    for week in range(30):
        MeasurementFactory(kpi=kpi, period_start=monday + timedelta(weeks=week), value=50)
        assert services.kpi_raise_breach_actions(today=TODAY) == (1 if week == 1 else 0), week

    assert "since Week 2, 2026" in Action.objects.get().description


def test_correcting_the_start_of_a_breach_raises_no_second_action_while_the_first_is_open():
    kpi = KPIFactory(raise_action_after=3)
    for n in (6, 7, 8, 9):
        MeasurementFactory(kpi=kpi, period_start=month(n).start, value=80)
    assert services.kpi_raise_breach_actions(today=TODAY) == 1

    kpi.measurements.filter(period_start=month(6).start).update(value=99)  # June corrected: on target

    assert services.kpi_raise_breach_actions(today=TODAY) == 0
    Action.objects.update(status=ActionStatus.CANCELLED)
    assert services.kpi_raise_breach_actions(today=TODAY) == 1  # still off target, nobody on it


def test_a_short_or_broken_run_raises_nothing():
    kpi = KPIFactory(raise_action_after=3)
    for n, value in [(6, 80), (7, 80), (9, 80)]:  # August is missing: not three in a row
        MeasurementFactory(kpi=kpi, period_start=month(n).start, value=value)

    assert services.kpi_raise_breach_actions(today=TODAY) == 0


def test_a_done_action_is_judged_by_its_kpi_after_the_periods_pass(settings):
    settings.KPI_DATA_GRACE_DAYS = 7
    kpi = KPIFactory()
    effective = ActionFactory(status=ActionStatus.DONE, completed_on=date(2026, 6, 15))
    failing = ActionFactory(status=ActionStatus.DONE, completed_on=date(2026, 6, 20))
    EffectivenessMeasure.objects.create(action=effective, kpi=kpi, periods=3)
    EffectivenessMeasure.objects.create(action=failing, kpi=kpi, periods=4)
    for n, value in [(7, 96), (8, 97), (9, 99)]:
        MeasurementFactory(kpi=kpi, period_start=month(n).start, value=value)

    assert services.actions_verify_by_kpi(today=date(2026, 10, 2)) == 1  # the second waits for October
    MeasurementFactory(kpi=kpi, period_start=month(10).start, value=80)
    assert services.actions_verify_by_kpi(today=TODAY) == 1
    assert services.actions_verify_by_kpi(today=TODAY) == 0

    effective.refresh_from_db()
    failing.refresh_from_db()
    assert effective.status == ActionStatus.VERIFIED_EFFECTIVE
    assert effective.verified_by is None
    assert "Sep 2026 on target" in effective.verification_note
    assert failing.status == ActionStatus.NOT_EFFECTIVE
    assert "Oct 2026 off target" in failing.verification_note


def test_reminders_go_once_per_kpi_and_period_and_escalate_later(settings, owner):
    settings.KPI_ESCALATION_DAYS = 14
    process = ProcessFactory(owner__email="head@example.com")
    first = KPIFactory(owner=owner, processes=[process], name="On-time delivery")
    KPIFactory(owner=owner, name="First-pass yield")
    entered = KPIFactory(owner=owner)
    MeasurementFactory(kpi=entered, period_start=month(10).start)
    KPIFactory(owner=owner, source=Source.FORMULA, formula=f"{entered.reference} * 1")

    sent = services.kpi_send_reminders(today=date(2026, 11, 3))
    again = services.kpi_send_reminders(today=date(2026, 11, 4))

    assert sent == {"reminders": 1, "escalations": 0}
    assert again == {"reminders": 0, "escalations": 0}
    (reminder,) = mail.outbox
    assert reminder.to == [owner.email]
    assert "On-time delivery: Oct 2026" in reminder.body and "First-pass yield" in reminder.body
    assert entered.reference not in reminder.body

    assert services.kpi_send_reminders(today=date(2026, 11, 16)) == {"reminders": 0, "escalations": 1}
    assert services.kpi_send_reminders(today=date(2026, 11, 17)) == {"reminders": 0, "escalations": 0}
    assert mail.outbox[-1].to == ["head@example.com"]
    assert first.reference in mail.outbox[-1].body

    # December: November's values are due, and a new reminder goes out.
    assert services.kpi_send_reminders(today=date(2026, 12, 1))["reminders"] == 1


def test_a_cycle_slipped_in_by_concurrent_saves_stops_only_its_own_kpis(caplog):
    a, b = KPIFactory(), KPIFactory()
    first = KPIFactory(source=Source.FORMULA, formula=f"{b.reference} + 1")
    second = KPIFactory(source=Source.FORMULA, formula=f"{first.reference} + 1")
    first.formula = f"{second.reference} + 1"  # as if saved at the same moment as `second`
    first.save()
    fine = KPIFactory(source=Source.FORMULA, formula=f"{a.reference} * 2")
    MeasurementFactory(kpi=a, period_start=month(9).start, value=21)

    services.recalculate_all(today=TODAY)

    assert fine.measurements.get().value == D(42)
    assert not first.measurements.exists() and not second.measurements.exists()
    assert "cycle" in caplog.text


def test_a_recalculated_value_keeps_the_old_one_in_history():
    good, total = KPIFactory(), KPIFactory()
    share = KPIFactory(source=Source.FORMULA, formula=f"{good.reference} / {total.reference} * 100")
    record(total, 9, 200)
    record(good, 9, 180)
    services.kpi_calculate(share, today=TODAY)
    record(good, 9, 190)

    services.kpi_calculate(share, today=TODAY)
    services.kpi_calculate(share, today=TODAY)

    measurement = share.measurements.get()
    history = measurement.history.order_by("history_date")
    assert [(h.history_type, h.value) for h in history] == [("+", D(90)), ("~", D(95))]
    assert history.last().history_change_reason.startswith("Calculated from")


def test_the_status_refresh_writes_what_bulk_update_wrote_in_one_statement(settings, monkeypatch):
    """One UPDATE … FROM (VALUES …) per batch instead of bulk_update: the same statuses and latest
    values (NULLs included), the same count, and no history (the KPI's history leaves these out;
    its values have their own)."""
    settings.KPI_DATA_GRACE_DAYS = 7
    kpis = [
        KPIFactory(),  # on target
        KPIFactory(),  # warning
        KPIFactory(),  # off target
        KPIFactory(measured_from=date(2026, 1, 1)),  # no value yet: overdue
        KPIFactory(measured_from=date(2027, 1, 1)),  # nothing due yet
        KPIFactory(),  # had a value, it is gone: overdue, with no latest value
    ]
    for kpi, value in zip(kpis[:3], ("99.1234", "91", "80"), strict=True):
        MeasurementFactory(kpi=kpi, period_start=month(10).start, value=D(value))
    gone = MeasurementFactory(kpi=kpis[5], period_start=month(10).start, value=D(97))
    services.kpi_refresh_statuses(kpis[5].__class__.objects.all(), today=TODAY)
    gone.delete()
    everything = kpis[0].__class__.objects.order_by("pk")

    def state():
        return list(everything.values_list("pk", "status", "latest_period", "latest_value", "updated_at"))

    def refreshed(update_rows):
        monkeypatch.setattr(services, "_update_rows", update_rows)
        everything.update(status=KPIStatus.NO_DATA, latest_period=None, latest_value=None)
        everything.filter(pk=kpis[5].pk).update(status=KPIStatus.ON_TARGET, latest_period=month(10).start)
        history = kpis[0].history.model.objects.count()
        with CaptureQueriesContext(connection) as queries:
            changed = services.kpi_refresh_statuses(everything.all(), today=TODAY)
        assert kpis[0].history.model.objects.count() == history
        return changed, state(), queries

    changed, by_values, queries = refreshed(services._update_rows)
    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 1

    def bulk_update(model, objs, fields):  # as before
        model.objects.bulk_update([model(**vars(obj)) for obj in objs], fields)

    assert refreshed(bulk_update)[:2] == (changed, by_values)
    assert changed == 5  # all but the one with nothing due, which had no data before either
    assert [row[1:4] for row in by_values] == [
        (KPIStatus.ON_TARGET, month(10).start, D("99.1234")),
        (KPIStatus.WARNING, month(10).start, D(91)),
        (KPIStatus.OFF_TARGET, month(10).start, D(80)),
        (KPIStatus.OVERDUE, None, None),
        (KPIStatus.NO_DATA, None, None),
        (KPIStatus.OVERDUE, None, None),  # its only value is gone
    ]
