"""The actions list opens on the work still to do, most urgent first, and exports what it shows."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from qms import services
from qms.choices import ActionStatus
from tests.factories import (
    ActionFactory,
    FindingFactory,
    KPIFactory,
    NonconformityFactory,
    ProcessFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _references(response) -> list[str]:
    return [action.reference for action in response.context["object_list"]]


def test_the_list_opens_on_current_actions_overdue_first_then_by_due_date(client_for, viewer, owner):
    today = timezone.localdate()
    later = ActionFactory(owner=owner, due_date=today + timedelta(days=20))
    soon = ActionFactory(owner=owner, due_date=today + timedelta(days=2))
    overdue = ActionFactory(owner=owner, due_date=today - timedelta(days=40))
    awaiting_check = ActionFactory(owner=owner, status=ActionStatus.DONE, due_date=today - timedelta(days=90))
    cancelled = ActionFactory(owner=owner, due_date=today - timedelta(days=400))
    services.action_move(action=cancelled, user=owner, status=ActionStatus.CANCELLED, note="Duplicate")

    response = client_for(viewer).get(reverse("qms:action_list"))

    assert _references(response) == [r.reference for r in (overdue, soon, later, awaiting_check)]
    closed = client_for(viewer).get(reverse("qms:action_list"), {"show": "closed"})
    assert _references(closed) == [cancelled.reference]
    every = client_for(viewer).get(reverse("qms:action_list"), {"show": "all"})
    assert len(_references(every)) == 5


def test_a_status_asked_for_by_name_is_shown_even_when_closed(client_for, viewer, auditor, owner):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)
    services.action_check_effectiveness(action=action, user=auditor, effective=True, note="No recurrence")

    response = client_for(viewer).get(reverse("qms:action_list"), {"status": "effective"})

    assert _references(response) == [action.reference]


def test_when_everything_is_closed_the_empty_list_says_where_the_closed_ones_are(client_for, viewer, owner):
    action = ActionFactory(owner=owner)
    services.action_move(action=action, user=owner, status=ActionStatus.CANCELLED, note="Not needed")

    page = client_for(viewer).get(reverse("qms:action_list")).content.decode()

    assert "Nothing open right now." in page


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_export_holds_exactly_the_filtered_rows(client_for, viewer, owner, kind):
    press = ProcessFactory(name="Pressing")
    wanted = ActionFactory(owner=owner, title="=HYPERLINK(1)", processes=[press])
    ActionFactory(owner=owner, title="Other process")
    query = {"process": press.pk, "format": kind}

    response = client_for(viewer).get(reverse("qms:action_list"), query)

    if kind == "csv":
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    else:
        rows = [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(response.content)).active]
    assert rows[0][:4] == ["reference", "title", "kind", "status"]
    assert [row[0] for row in rows[1:]] == [wanted.reference]
    assert rows[1][1] in ("'=HYPERLINK(1)", "=HYPERLINK(1)") and rows[1][6] == press.reference
    assert response["Content-Disposition"].startswith('attachment; filename="actions-')


def test_filtering_with_htmx_moves_the_export_links_along(client_for, viewer):
    page = client_for(viewer).get(reverse("qms:action_list"), {"kind": "correction"}, headers={"HX-Request": "true"})

    assert 'id="export-menu" hx-swap-oob="true"' in page.content.decode()
    assert "kind=correction&amp;format=csv" in page.content.decode()


def test_the_export_names_deputies_at_a_constant_number_of_queries(client_for, viewer, django_assert_max_num_queries):
    client = client_for(viewer)
    ActionFactory(deputies=[UserFactory(first_name="Ana", last_name="Lima")])

    def export() -> str:
        return b"".join(client.get(reverse("qms:action_list"), {"format": "csv"}).streaming_content).decode()

    with django_assert_max_num_queries(30) as few:
        first = export()
    ActionFactory.create_batch(5, deputies=[UserFactory()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        export()

    assert "Ana Lima" in first


def test_rows_name_what_raised_them_at_a_constant_number_of_queries(client_for, viewer, django_assert_max_num_queries):
    """The record an action was raised from is read for the whole page, whatever its kind, even a
    finding, whose reference is its audit's."""

    def raise_each():
        raised = [RiskFactory(), KPIFactory(), NonconformityFactory(), FindingFactory(kind="ofi")]
        for source in raised:
            ActionFactory(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)
        return raised

    client = client_for(viewer)
    sources = raise_each()
    client.get(reverse("qms:action_list"))  # the kinds of record, into the content types' cache
    with django_assert_max_num_queries(30) as few:
        page = client.get(reverse("qms:action_list")).content.decode()
    sources += raise_each()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("qms:action_list")).content.decode()

    for source in sources:
        assert f'<a href="{source.get_absolute_url()}">{source.reference}</a>' in page
