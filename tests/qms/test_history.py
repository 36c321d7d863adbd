from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from objectives.periods import Period
from objectives.services import measurement_record
from processes.models import ProcessInput
from qms.choices import ActionStatus
from qms.history import record_history
from qms.services import action_move
from risks.choices import Strategy
from risks.services import risk_approve_acceptance, risk_review_record
from tests.factories import ActionFactory, HandOffFactory, KPIFactory, ProcessFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_edit_through_the_form_records_who_changed_what_from_what_to_what(client_for, owner):
    new_owner = UserFactory(first_name="Nora", last_name="Field")
    process = ProcessFactory(name="Welding")
    action = ActionFactory(owner=owner, title="Before")

    client_for(owner).post(
        reverse("qms:action_edit", args=[action.pk]),
        {
            "title": "After",
            "kind": "preventive",
            "owner": new_owner.pk,
            "processes": [process.pk],
            "due_date": action.due_date.isoformat(),
            "change_note": "Agreed at the weekly meeting",
            "version": action.updated_at.isoformat(),
        },
    )

    latest_edit = next(e for e in record_history(action) if any(c.label == "title" for c in e.changes))
    changes = {c.label: (c.old, c.new) for c in latest_edit.changes}
    assert latest_edit.user == owner
    assert latest_edit.reason == "Agreed at the weekly meeting"
    assert changes["title"] == ("Before", "After")
    assert changes["kind"] == ("Corrective action", "Preventive action")
    assert changes["owner"] == (str(owner), "Nora Field")
    process_change = next(c for e in record_history(action) for c in e.changes if c.label == "processes")
    assert process_change.new == str(process)


def test_history_tab_shows_the_change(client_for, quality):
    action = ActionFactory(title="Old wording")
    action.title = "New wording"
    action.save()

    response = client_for(quality).get(reverse("qms:action_history", args=[action.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Old wording" in body and "New wording" in body


def test_creation_is_the_first_entry(owner):
    action = ActionFactory(owner=owner)

    entries = record_history(action)

    assert entries[-1].kind == "+"


def test_history_has_no_route_to_edit_or_delete_it():
    for name in ("qms:action_history_edit", "qms:action_history_delete", "qms:history_delete"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1])


def test_history_tab_query_count_does_not_grow_with_history(client_for, quality, django_assert_max_num_queries):
    short = ActionFactory()
    long = ActionFactory()
    for n in range(30):
        long.title = f"Version {n}"
        long.deputies.set([UserFactory()])
        long.save()
    client = client_for(quality)

    with django_assert_max_num_queries(15) as short_run:
        client.get(reverse("qms:action_history", args=[short.pk]))
    with django_assert_max_num_queries(len(short_run.captured_queries)):
        client.get(reverse("qms:action_history", args=[long.pk]))


# The parts a record's History tab shows, and how values read
# ------------------------------------------------------------------------------


def _process_with_parts(owner, n: int):
    process = ProcessFactory(owner=owner)
    for i in range(n):
        line = ProcessInput.objects.create(process=process, name=f"Input {i}", supplier="Customers")
        if i % 2:
            line.delete()
        HandOffFactory(source=process, item=f"Part {i}")
        HandOffFactory(target=process, item=f"Drawing {i}")
        process.deputies.set([UserFactory()])
    return process


def _kpi_with_values(owner, n: int):
    kpi = KPIFactory(owner=owner)
    for i in range(n):
        period = Period("monthly", date(2024 + i // 12, i % 12 + 1, 1))
        measurement_record(kpi=kpi, period=period, value=Decimal("1.72"), user=owner, today=date(2026, 11, 24))
        measurement_record(kpi=kpi, period=period, value=Decimal("1.65"), user=owner, today=date(2026, 11, 24))
        ActionFactory(source=kpi)
    return kpi


def _risk_with_reviews(owner, n: int):
    risk = RiskFactory(owner=owner)
    for i in range(n):
        day = date(2026, 1, 1) + timedelta(days=i)
        risk_review_record(risk=risk, user=owner, likelihood=1 + i % 3, impact=2, note=f"Review {i}",
                           next_review_date=date(2027, 1, 1), reviewed_on=day)  # fmt: skip
        action = ActionFactory(source=risk, owner=owner)
        action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)
    return risk


@pytest.mark.parametrize(
    ("make", "url_name"),
    [
        (_process_with_parts, "processes:process_history"),
        (_kpi_with_values, "objectives:kpi_history"),
        (_risk_with_reviews, "risks:risk_history"),
    ],
)
def test_history_tab_with_its_parts_keeps_a_fixed_number_of_queries(
    make, url_name, client_for, quality, owner, django_assert_max_num_queries
):
    small, large = make(owner, 1), make(owner, 15)
    client = client_for(quality)

    with django_assert_max_num_queries(20) as small_run:
        assert client.get(reverse(url_name, args=[small.pk])).status_code == 200
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        assert client.get(reverse(url_name, args=[large.pk])).status_code == 200


def test_a_kpi_tab_shows_a_corrected_value_with_who_when_and_the_comment(client_for, owner):
    kpi = KPIFactory(owner=owner)
    september = Period("monthly", date(2026, 9, 1))
    measurement_record(kpi=kpi, period=september, value=Decimal("1.72"), user=owner, today=date(2026, 11, 24))
    kpi.name = "Scrap rate"
    kpi.save()
    measurement_record(kpi=kpi, period=september, value=Decimal("1.65"), user=owner, comment="Recount after audit",
                       today=date(2026, 11, 24))  # fmt: skip

    entries = record_history(kpi)

    newest = entries[0]
    assert (newest.part, newest.verb, newest.subject) == ("value", "corrected", "Sep 2026")
    assert [(c.label, c.old, c.new) for c in newest.changes] == [("value", "1.72", "1.65")]
    assert (newest.user, newest.reason) == (owner, "Recount after audit")
    assert [e.changes[0].name for e in entries if not e.part and e.kind == "~"] == ["name"]  # merged in time order
    body = client_for(owner).get(reverse("objectives:kpi_history", args=[kpi.pk])).content.decode()
    assert "corrected value" in body and "Sep 2026" in body and "Recount after audit" in body


def test_a_process_tab_shows_its_turtle_and_hand_offs(client_for, owner):
    process = ProcessFactory(owner=owner)
    other = ProcessFactory(name="Assembly")
    line = ProcessInput.objects.create(process=process, name="Steel bar", supplier="Mill")
    HandOffFactory(source=process, target=other, item="Machined parts")
    line.delete()

    entries = record_history(process)

    assert [(e.verb, e.part, e.subject) for e in entries if e.part] == [
        ("removed", "input", "Steel bar (Mill)"),
        ("added", "hand-off to", str(other)),
        ("added", "input", "Steel bar (Mill)"),
    ]
    assert [(c.name, c.old, c.new) for c in entries[0].changes] == [
        ("name", "Steel bar", "—"),
        ("supplier", "Mill", "—"),
    ]
    assert (
        "Machined parts"
        in client_for(owner).get(reverse("processes:process_history", args=[process.pk])).content.decode()
    )


def test_a_risk_tab_shows_its_reviews_and_treatments(owner):
    risk = RiskFactory(owner=owner)
    risk_review_record(risk=risk, user=owner, likelihood=2, impact=3, note="Checked at the line",
                       next_review_date=date(2027, 2, 1), reviewed_on=date(2026, 11, 2))  # fmt: skip
    action = ActionFactory(source=risk, owner=owner, title="Second supplier")
    action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)

    entries = [e for e in record_history(risk) if e.part]

    assert [(e.verb, e.part, e.subject) for e in entries] == [
        ("changed", "treatment", str(action)),
        ("raised", "treatment", str(action)),
        ("added", "review", "2 Nov 2026"),
    ]
    assert [(c.name, c.old, c.new) for c in entries[0].changes] == [("status", "Open", "In progress")]
    assert entries[2].reason == "Checked at the line"
    assert ("next_review_date", "—", "1 Feb 2027") in {(c.name, c.old, c.new) for c in entries[2].changes}


def test_dates_times_and_decimals_read_as_on_the_rest_of_the_page(settings, lead, owner):
    settings.TIME_ZONE = "Europe/Berlin"
    risk = RiskFactory(owner=owner, strategy=Strategy.ACCEPT, acceptance_rationale="Why",
                       residual_likelihood=4, residual_impact=3)  # fmt: skip
    with timezone.override("Europe/Berlin"):
        approved_at = datetime(2099, 1, 15, 22, 30, tzinfo=UTC)  # after the risk was created
        with mock.patch("django.utils.timezone.now", return_value=approved_at):
            risk_approve_acceptance(risk=risk, user=lead)
        kpi = KPIFactory(owner=owner, target=Decimal("95"))
        kpi.target, kpi.measured_from = Decimal("97.5000"), date(2026, 3, 1)
        kpi.save()

        approval = record_history(risk)[0]
        kpi_change = record_history(kpi)[0]

    assert {c.name: c.new for c in approval.changes}["accepted_at"] == "15 Jan 2099, 23:30"  # Berlin, not UTC
    changes = {c.name: (c.old, c.new) for c in kpi_change.changes}
    assert changes["target"] == ("95", "97.5")
    assert changes["measured_from"] == ("1 Jan 2020", "1 Mar 2026")


def test_a_link_added_from_the_other_end_shows_on_the_record(owner):
    action = ActionFactory(owner=owner)
    deputy = UserFactory(first_name="Nora", last_name="Field")

    deputy.qms_action_deputised.add(action)

    newest = record_history(action)[0]
    assert [(c.name, c.old, c.new) for c in newest.changes] == [("deputies", "—", "Nora Field")]
    assert [e.kind for e in record_history(deputy)] == ["+"]  # nothing changed on the person


def test_signing_in_leaves_no_history_row_but_a_real_change_to_the_person_does(client):
    person = UserFactory(username="ada")
    rows = person.history.count()

    answer = client.post(reverse("login"), {"username": "ada", "password": "correct-horse-battery"})
    person.refresh_from_db()

    assert answer.status_code == 302 and person.last_login is not None
    assert person.history.count() == rows  # last_login is left out of history, so its save is not a change
    person.job_title = "Setter"
    person.save()
    assert person.history.count() == rows + 1
