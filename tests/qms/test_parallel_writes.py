"""Many writers at once (gunicorn workers, the Celery worker) on the embedded SQLite as on PostgreSQL:
every write lands and none is answered with "database is locked"."""

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import qms.services
from objectives import services as objective_services
from objectives.models import Measurement
from objectives.tasks import send_kpi_reminders
from qms.models import Action, Notification
from qms.tasks import notify_overdue_actions
from tests.api import api
from tests.factories import ActionFactory, KPIFactory, MeasurementFactory, UserFactory
from tests.qms.test_permissions import edit_payload

WRITERS = 20


@pytest.fixture
def in_parallel(transactional_db, tmp_path, monkeypatch):
    """Run the given callables at the same moment, each on its own thread and database connection,
    and return what each returned or raised.

    On SQLite the threads share a file copied from the test database at the first call (so with
    what the test set up until then): the in-memory test database does not lock as a file does.
    """
    copied = False

    def run(*calls):
        nonlocal copied
        if connection.vendor == "sqlite" and not copied:
            path = tmp_path / "shared.sqlite3"
            connection.ensure_connection()
            with closing(sqlite3.connect(path)) as target:
                connection.connection.backup(target)
                target.execute("PRAGMA journal_mode=WAL")  # as migrate leaves the demo's database
            monkeypatch.setitem(connections.settings, "default", {**connections.settings["default"], "NAME": str(path)})
            copied = True
        start = threading.Barrier(len(calls))

        def call(function):
            start.wait()
            try:
                return function()
            except Exception as error:  # the test asserts on it
                return error
            finally:
                connections.close_all()

        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(call, calls))

    return run


def test_values_entered_through_the_api_at_once_all_land(in_parallel, quality):
    kpis = KPIFactory.create_batch(WRITERS)

    def enter(kpi):
        return lambda: api(quality).post(
            "/api/measurements/", {"kpi": kpi.reference, "period": "2026-01", "value": "96.5"}, format="json"
        )

    responses = in_parallel(*(enter(kpi) for kpi in kpis))

    assert [getattr(r, "status_code", r) for r in responses] == [201] * WRITERS
    (stored,) = in_parallel(lambda: sorted(Measurement.objects.values_list("kpi_id", "value")))
    assert stored == sorted((kpi.pk, Decimal("96.5")) for kpi in kpis)


def test_actions_raised_through_the_api_at_once_all_land_with_their_own_reference(in_parallel, quality):
    due = str(timezone.localdate() + timedelta(days=30))

    def raise_action(n):
        return lambda: api(quality).post(
            "/api/actions/",
            {"title": f"Parallel {n}", "kind": "corrective", "owner": quality.pk, "due_date": due},
            format="json",
        )

    responses = in_parallel(*(raise_action(n) for n in range(WRITERS)))

    assert [getattr(r, "status_code", r) for r in responses] == [201] * WRITERS
    (stored,) = in_parallel(lambda: list(Action.objects.values_list("title", "reference")))
    assert sorted(title for title, _reference in stored) == sorted(f"Parallel {n}" for n in range(WRITERS))
    assert len({reference for _title, reference in stored}) == WRITERS


def test_pages_saved_at_once_all_land(in_parallel, quality):
    actions = ActionFactory.create_batch(WRITERS, owner=quality)
    client = Client()
    client.force_login(quality)  # every request also saves the session: one more writer

    def save(action):
        url = reverse("qms:action_edit", args=[action.pk])
        return lambda: client.post(url, edit_payload(action, title=f"Saved {action.pk}"))

    responses = in_parallel(*(save(action) for action in actions))

    assert [getattr(r, "status_code", r) for r in responses] == [302] * WRITERS
    (titles,) = in_parallel(lambda: sorted(Action.objects.values_list("title", flat=True)))
    assert titles == sorted(f"Saved {action.pk}" for action in actions)


def test_the_hourly_tasks_running_together_both_finish(in_parallel):
    """At :30 each hour beat starts the KPI reminders and the overdue-action notices together. Ten
    runs of each at once (as a busier worker or redelivered tasks would) make them collide for sure;
    each notice still goes out exactly once."""
    past = timezone.localdate() - timedelta(days=3)
    for n in range(WRITERS):
        person = UserFactory(username=f"person{n}")
        ActionFactory.create_batch(5, owner=person, due_date=past)
        KPIFactory.create_batch(3, owner=person, measured_from=past.replace(year=past.year - 1))

    results = in_parallel(
        *[send_kpi_reminders] * (WRITERS // 2),
        *[notify_overdue_actions] * (WRITERS // 2),
    )

    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    assert sum(result["reminders"] for result in results[: WRITERS // 2]) == WRITERS
    assert sum(results[WRITERS // 2 :]) == WRITERS * 5
    (stamps,) = in_parallel(lambda: Notification.objects.filter(kind__startswith="kpi_due").count())
    assert stamps == WRITERS * 3
    assert len(mail.outbox) == WRITERS + WRITERS * 5


def test_overdue_notices_go_out_while_someone_else_writes(in_parallel, monkeypatch):
    """The task reads the overdue actions in batches and claims each notice in its own transaction;
    a save committed by someone else in between must not stop it."""
    monkeypatch.setattr(qms.services, "BATCH", 3)
    owner = UserFactory()
    ActionFactory.create_batch(7, owner=owner, due_date=timezone.localdate() - timedelta(days=1))
    mail_queue = qms.services.mail_queue

    def queue_while_someone_saves(**kwargs):
        # Right after this notice's transaction commits, another connection writes and commits.
        transaction.on_commit(lambda: in_parallel(lambda: ActionFactory(owner=owner)))
        return mail_queue(**kwargs)

    monkeypatch.setattr(qms.services, "mail_queue", queue_while_someone_saves)

    assert in_parallel(notify_overdue_actions) == [7]


def test_two_corrections_of_one_value_saved_at_once_make_one_a_conflict(in_parallel, owner, deputy, monkeypatch):
    """Both opened the value as it was; the second to save is told, not silently overwriting the first
    (the check and the write are one step, however long the write takes)."""
    kpi = KPIFactory(owner=owner)
    kpi.deputies.set([deputy])
    stored = MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=19)
    opened = stored.entered_at.isoformat()
    record = objective_services.measurement_record

    def slow_record(**kwargs):
        time.sleep(0.3)  # long enough for the other save to check its version meanwhile
        return record(**kwargs)

    monkeypatch.setattr(objective_services, "measurement_record", slow_record)

    def correct(person, value):
        client = Client()
        client.force_login(person)
        url = reverse("objectives:measurement_edit", args=[kpi.pk, stored.pk])
        return lambda: client.post(url, {"value": value, "comment": "", "version": opened}).status_code

    answers = in_parallel(correct(owner, "91"), correct(deputy, "92"))

    assert sorted(answers) == [302, 409]
    (value,) = in_parallel(lambda: Measurement.objects.get(pk=stored.pk).value)
    assert value == (Decimal(91) if answers[0] == 302 else Decimal(92))
