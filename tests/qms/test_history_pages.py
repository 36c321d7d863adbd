"""A History tab shows its record's changes a page at a time, newest first (qms.history.history_page):
it reads the snapshots of the page's changes and those they are compared with, so a tab costs the
same however long the record's history is. Paging through it shows every change once, in order."""

import html
import re
from urllib.parse import urljoin

import pytest
from django.urls import reverse
from django.utils import timezone

from objectives.models import Measurement
from processes.models import ProcessInput
from qms import history as history_module
from qms.history import history_page, record_history
from qms.models import Action
from tests.factories import ActionFactory, ProcessFactory
from tests.qms.test_history import _kpi_with_values, _process_with_parts, _risk_with_reviews

pytestmark = pytest.mark.django_db


def _shown(entry) -> tuple:
    changes = tuple((change.label, change.old, change.new) for change in entry.changes)
    return entry.when, entry.kind, entry.part, entry.subject, entry.verb, entry.reason, entry.user, changes


def _page_by_page(record, newest: int) -> list:
    entries, before = [], None
    while True:
        page = history_page(record, newest=newest, before=before)
        entries += page.entries
        if page.older is None:
            return entries
        assert before is None or page.older < before
        before = page.older


@pytest.mark.parametrize("make", [_kpi_with_values, _process_with_parts, _risk_with_reviews])
def test_paging_through_a_history_shows_every_change_once_in_order(make, owner):
    record = make(owner, 6)
    everything = [_shown(entry) for entry in record_history(record)]

    for newest in (1, 4, 15):
        assert [_shown(entry) for entry in _page_by_page(record, newest)] == everything


def test_changes_made_at_one_moment_stay_together_across_pages(owner):
    kpi = _kpi_with_values(owner, 6)
    history = Measurement.history.model.objects.filter(kpi=kpi)
    moment = history.order_by("history_date")[3].history_date
    history.filter(history_date__gt=moment).update(history_date=moment)  # as a bulk write leaves them
    everything = [_shown(entry) for entry in record_history(kpi)]

    for newest in (1, 2, 5):
        assert [_shown(entry) for entry in _page_by_page(kpi, newest)] == everything


def _action_retitled(owner, times: int) -> Action:
    action = ActionFactory(owner=owner, title="Version 0")
    for n in range(1, times + 1):
        action.title = f"Version {n}"
        action.save()
    return action


def test_changes_of_the_record_itself_made_at_one_moment_stay_together_across_pages(owner):
    action = _action_retitled(owner, 7)
    history = Action.history.model.objects.filter(id=action.pk)
    moment = history.order_by("history_date")[2].history_date
    history.filter(history_date__gt=moment, history_date__lt=history.order_by("-history_date")[1].history_date).update(
        history_date=moment
    )
    everything = [_shown(entry) for entry in record_history(action)]

    for newest in (1, 2, 3, 5):
        assert [_shown(entry) for entry in _page_by_page(action, newest)] == everything


def test_no_link_to_older_changes_when_the_rest_share_the_last_moment_of_the_page(owner):
    action = _action_retitled(owner, 3)
    Action.history.model.objects.filter(id=action.pk).update(history_date=timezone.now())

    page = history_page(action, newest=2)

    assert page.older is None and len(page.entries) == len(record_history(action))


def test_a_page_reads_the_snapshots_of_the_parts_it_shows_and_of_no_others(owner, monkeypatch):
    process = ProcessFactory(owner=owner)
    for n in range(30):
        line = ProcessInput.objects.create(process=process, name=f"Input {n}", supplier="Customers")
        line.supplier = "Sales"
        line.save()
    line.supplier = "Customers again"
    line.save()
    ProcessInput.objects.create(process=process, name="Orders", supplier="Sales")
    read = []
    real = history_module._read_versions
    monkeypatch.setattr(history_module, "_read_versions", lambda *a, **k: read.append(real(*a, **k)) or read[-1])

    page = history_page(process, newest=2)

    inputs = next(versions for versions in read if versions and isinstance(versions[0], ProcessInput.history.model))
    assert sorted(v.name for v in inputs) == ["Input 29", "Input 29", "Input 29", "Orders"]  # not 92 of them
    assert [entry.subject for entry in page.entries] == ["Orders (Sales)", "Input 29 (Customers again)"]
    assert page.older is not None


def test_the_tab_links_to_older_changes_and_back(client_for, quality, owner, monkeypatch):
    monkeypatch.setattr("qms.views.generic.HISTORY_PAGE", 3)
    kpi = _kpi_with_values(owner, 4)
    client = client_for(quality)

    url = reverse("objectives:kpi_history", args=[kpi.pk])
    first = client.get(url)
    link = re.search(r'<a href="([^"]+)" rel="next">Older changes</a>', first.content.decode())
    older = client.get(urljoin(url, html.unescape(link.group(1))))  # as the browser follows it

    cut = first.context["history"].older
    assert older.status_code == 200
    assert "Newest changes" in older.content.decode() and "Newest changes" not in first.content.decode()
    assert older.context["history"].entries and all(entry.when < cut for entry in older.context["history"].entries)
    assert all(entry.when >= cut for entry in first.context["history"].entries)


def test_the_tab_costs_the_same_queries_for_a_page_of_a_long_history(
    client_for, quality, owner, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("qms.views.generic.HISTORY_PAGE", 5)
    short, long = _kpi_with_values(owner, 1), _kpi_with_values(owner, 12)
    client = client_for(quality)

    with django_assert_max_num_queries(20) as short_run:
        client.get(reverse("objectives:kpi_history", args=[short.pk]))
    with django_assert_max_num_queries(len(short_run.captured_queries)):
        response = client.get(reverse("objectives:kpi_history", args=[long.pk]))
    assert response.context["history"].older is not None


@pytest.mark.parametrize(
    "before",
    [
        "yesterday",
        "2026-11-27T10:00:00",  # no zone
        "2026-13-40T10:00:00+00:00",
        "9999-12-31T23:59:59-12:00",  # beyond the calendar in UTC
        "0001-01-01T00:30:00+01:00",
        "0001-01-01T00:30:00+00:00",  # a time zone east of UTC could not show it
    ],
)
def test_a_before_that_is_not_a_moment_with_its_zone_is_a_bad_request(client_for, quality, before):
    action = ActionFactory()

    response = client_for(quality).get(reverse("qms:action_history", args=[action.pk]), {"before": before})

    assert response.status_code == 400
