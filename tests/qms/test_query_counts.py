"""Every list and page costs the same number of queries for 5 rows as for 50."""

import pytest
from django.urls import reverse

from processes.models import Process
from tests.factories import ActionFactory, ProcessFactory, UserFactory
from tests.hub import process_page

pytestmark = pytest.mark.django_db

MAX_QUERIES = 17
# The process page, the dashboard and My work are hubs: each app adds a section of its own (a few queries each).
MAX_HUB_QUERIES = 30  # a section per module, one query or two each
MAX_PROCESS_PAGE_QUERIES = 45  # the page, then its seven sections: a request each, with its session


def build(n: int, owner) -> None:
    processes = ProcessFactory.create_batch(2, owner=owner)
    for process in ProcessFactory.create_batch(n):
        source = process if n % 2 else None
        action = ActionFactory(owner=UserFactory(), processes=[process, *processes], deputies=[owner])
        if source:
            action.source = source
            action.save()


PAGES = [
    ("qms:dashboard", {}),
    ("qms:my_work", {}),
    ("qms:action_list", {}),
    ("qms:user_list", {}),
    ("qms:orgunit_list", {}),
    ("processes:process_list", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_page_queries_do_not_grow_with_rows(client_for, quality, django_assert_max_num_queries, name, kwargs):
    client = client_for(quality)
    hub = name in ("qms:dashboard", "qms:my_work")
    # A hub's section counts its rows apart once they fill it (qms.hub.first_rows): both sizes fill them.
    build(12 if hub else 5, quality)
    with django_assert_max_num_queries(MAX_HUB_QUERIES if hub else MAX_QUERIES) as few:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200

    build(45, quality)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


@pytest.mark.parametrize("view", ["action_detail", "process_detail"])
def test_detail_pages_are_constant(client_for, quality, django_assert_max_num_queries, view):
    client = client_for(quality)
    process = ProcessFactory(owner=quality)
    small = ActionFactory(processes=[process])
    big = ActionFactory(processes=ProcessFactory.create_batch(20), deputies=UserFactory.create_batch(10))
    for _ in range(30):
        ActionFactory(processes=[process, *big.processes.all()])
    quiet_process = ProcessFactory()
    ActionFactory(processes=[quiet_process])
    name, small_pk, big_pk = (
        ("qms:action_detail", small.pk, big.pk)
        if view == "action_detail"
        else ("processes:process_detail", quiet_process.pk, process.pk)
    )

    def get(pk):
        if view == "process_detail":  # the page and each section it loads
            return process_page(client, Process.objects.get(pk=pk))
        return client.get(reverse(name, args=[pk]))

    with django_assert_max_num_queries(MAX_QUERIES if view == "action_detail" else MAX_PROCESS_PAGE_QUERIES) as few:
        get(small_pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        get(big_pk)
