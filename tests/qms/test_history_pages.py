"""A History tab shows its record's changes a page at a time, newest first (qms.history.history_page):
it reads the snapshots of the page's changes and those they are compared with, so a tab costs the
same however long the record's history is. Paging through it shows every change once, in order."""

import html
import re
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from objectives.models import Measurement
from qms.history import history_page, record_history
from tests.factories import ActionFactory
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


@pytest.mark.parametrize("before", ["yesterday", "2026-11-27T10:00:00", "2026-13-40T10:00:00+00:00"])
def test_a_before_that_is_not_a_moment_with_its_zone_is_a_bad_request(client_for, quality, before):
    action = ActionFactory()

    response = client_for(quality).get(reverse("qms:action_history", args=[action.pk]), {"before": before})

    assert response.status_code == 400
