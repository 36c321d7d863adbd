"""The active actions of each process (Action.objects.active_counts): kept by triggers on
PostgreSQL (qms migration 0015), right after every kind of write to actions and their links."""

import pytest
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from processes.models import Process
from qms.choices import ActionStatus
from qms.models import Action
from tests.factories import ActionFactory, ProcessFactory
from tests.hub import get_section

pytestmark = pytest.mark.django_db


def counted():
    """The counts worked out from the actions and their links, as the triggers must keep them."""
    links = Action.processes.through.objects.filter(action__status__in=ActionStatus.active())
    return dict(links.values_list("process").annotate(n=Count("pk")).order_by())


def kept():
    return Action.objects.active_counts(list(Process.objects.values_list("pk", flat=True)))


def test_every_write_to_actions_and_their_links_keeps_the_counts():
    a, b, c = ProcessFactory(), ProcessFactory(), ProcessFactory()
    first = ActionFactory(processes=[a, b])
    second = ActionFactory(processes=[a])
    done = ActionFactory(processes=[a, c], status=ActionStatus.DONE)
    steps = [
        lambda: None,
        lambda: first.processes.remove(b),
        lambda: first.processes.add(c),
        lambda: a.qms_action_records.add(done),  # from the process's side; done is not active
        lambda: Action.objects.filter(pk=second.pk).update(status=ActionStatus.IN_PROGRESS),  # still active
        lambda: Action.objects.filter(pk__in=[first.pk, second.pk]).update(status=ActionStatus.DONE),
        lambda: Action.objects.filter(pk=done.pk).update(status=ActionStatus.OPEN),
        lambda: done.processes.set([b, c]),
        lambda: done.processes.clear(),
        lambda: Action.objects.filter(pk=first.pk).update(status=ActionStatus.OPEN),
        lambda: first.delete(),
        lambda: ActionFactory(processes=[a, b, c]),
        lambda: b.delete(),
    ]
    for number, step in enumerate(steps):
        step()
        assert kept() == counted(), f"after step {number}"
    assert kept() == {a.pk: 1, c.pk: 1}


def test_a_status_changed_in_sql_is_counted_too():
    process = ProcessFactory()
    action = ActionFactory(processes=[process])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE qms_action SET status = %s WHERE id = %s", [ActionStatus.CANCELLED, action.pk])
    assert kept() == counted() == {}


def test_the_process_list_and_page_show_the_counts(client_for, quality):
    busy, quiet = ProcessFactory(name="Busy"), ProcessFactory(name="Quiet")
    for _ in range(3):
        ActionFactory(processes=[busy])
    ActionFactory(processes=[busy], status=ActionStatus.CANCELLED)
    client = client_for(quality)

    listed = client.get(reverse("processes:process_list"))
    shown = {process.pk: process.open_actions for process in listed.context["object_list"]}
    assert shown == {busy.pk: 3, quiet.pk: 0}
    assert get_section(client, busy, "process_actions").context["section"].count == 3
