"""The API of management reviews: the plan with the pages' rules, the frozen pack byte for byte,
the decisions, the minutes PDF and the invitation; issued minutes refuse every change."""

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command
from icalendar import Calendar

from reviews import tasks
from reviews.choices import ReviewInput, ReviewStatus
from tests.api import api
from tests.factories import ActionFactory

from .factories import ManagementReviewFactory, ReviewDecisionFactory, freeze, issue

pytestmark = pytest.mark.django_db

URL = "/api/management-reviews/"


@pytest.fixture
def review(lead, owner):
    return ManagementReviewFactory(owner=lead, attendees=[lead, owner])


def test_everyone_signed_in_reads_reviews_with_their_status(review, viewer):
    assert api().get(URL).status_code in (401, 403)
    (row,) = api(viewer).get(URL).json()["results"]
    assert row["reference"] == review.reference and row["status"] == ReviewStatus.PLANNED
    assert [a["person"] for a in row["attendance"]] == list(review.attendance.values_list("person", flat=True))
    assert row["has_frozen_pack"] is False and row["has_minutes_pdf"] is False
    detail = api(viewer).get(f"{URL}{review.pk}/")
    assert detail.status_code == 200 and detail["ETag"]


def test_leadership_plans_a_review_and_the_owner_chairs_it(lead, quality, owner):
    payload = {"title": "Year-end review", "planned_at": "2026-12-10T09:00:00Z", "period_start": "2026-07-01",
               "period_end": "2026-11-30", "owner": lead.pk, "location": "Board room"}  # fmt: skip
    assert api(owner).post(URL, payload, format="json").status_code == 403
    created = api(quality).post(URL, payload | {"attendees": [lead.pk, owner.pk]}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == ReviewStatus.PLANNED and created.json()["calendar_sequence"] == 0
    assert sorted(a["person"] for a in created.json()["attendance"]) == sorted([lead.pk, owner.pk])
    pk = created.json()["id"]
    updated = api(quality).patch(f"{URL}{pk}/", {"attendees": [owner.pk]}, format="json")
    assert [a["person"] for a in updated.json()["attendance"]] == [owner.pk]

    not_leadership = api(quality).post(URL, payload | {"owner": quality.pk}, format="json")
    assert not_leadership.status_code == 400 and "owner" in not_leadership.json()


def test_moving_the_review_counts_an_invitation_update(review, lead):
    response = api(lead).patch(f"{URL}{review.pk}/", {"location": "Plant 2"}, format="json")
    assert response.status_code == 200 and response.json()["calendar_sequence"] == 1
    response = api(lead).patch(f"{URL}{review.pk}/", {"title": "Renamed"}, format="json")
    assert response.json()["calendar_sequence"] == 1


def test_viewers_and_outsiders_cannot_change_a_review(review, viewer, outsider):
    for person in (viewer, outsider):
        assert api(person).patch(f"{URL}{review.pk}/", {"title": "Mine"}, format="json").status_code == 403


@pytest.mark.parametrize("who", ["lead", "quality"])
def test_issued_minutes_refuse_every_change(review, who, request):
    issue(review)
    response = api(request.getfixturevalue(who)).patch(f"{URL}{review.pk}/", {"title": "Changed"}, format="json")
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.title != "Changed"


def test_the_frozen_pack_reads_byte_for_byte_once_frozen(review, viewer):
    assert api(viewer).get(f"{URL}{review.pk}/pack/").status_code == 404
    freeze(review)
    response = api(viewer).get(f"{URL}{review.pk}/pack/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.content == review.frozen_pack.encode()
    assert hashlib.sha256(response.content).hexdigest() == review.frozen_pack_sha256 == response["X-Content-SHA256"]
    assert [s["input"] for s in json.loads(response.content)["sections"]] == list(ReviewInput.values)
    assert api(viewer).get(URL).json()["results"][0]["has_frozen_pack"] is True


def test_the_minutes_pdf_downloads_as_stored_once_made(review, viewer):
    assert api(viewer).get(f"{URL}{review.pk}/minutes/").status_code == 404
    issue(review)
    assert api(viewer).get(f"{URL}{review.pk}/minutes/").status_code == 404  # not made yet
    tasks.issue_minutes.delay(review.pk).get()
    review.refresh_from_db()
    response = api(viewer).get(f"{URL}{review.pk}/minutes/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == review.minutes_pdf_sha256
    assert response["ETag"] == f'"{review.minutes_pdf_sha256}"'
    assert "attachment" in response["Content-Disposition"]


def test_the_invitation_downloads_as_ics(review, owner):
    response = api(owner).get(f"{URL}{review.pk}/invitation/", HTTP_ACCEPT="text/calendar")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]).startswith(str(review.calendar_uid))


def test_decisions_list_with_their_actions(review, owner, viewer):
    freeze(review)
    action = ActionFactory(owner=owner)
    decision = ReviewDecisionFactory(review=review, owner=owner, action=action)
    ReviewDecisionFactory(review__owner=review.owner)  # another review's
    rows = api(viewer).get(f"/api/review-decisions/?review={review.pk}").json()["results"]
    assert [(r["id"], r["action_reference"], r["input"]) for r in rows] == [(decision.pk, action.reference, "c3")]


def decision_payload(review, owner) -> dict:
    return {"review": review.pk, "input": "c3", "kind": "resource_need", "title": "Second press",
            "description": "For line 2.", "owner": owner.pk, "due_date": "2027-01-31"}  # fmt: skip


@pytest.mark.parametrize("who", ["lead", "quality"])
def test_leadership_or_the_quality_manager_record_a_decision_in_the_meeting_and_it_becomes_an_action(
    review, owner, who, request
):
    freeze(review)
    response = api(request.getfixturevalue(who)).post("/api/review-decisions/", decision_payload(review, owner))
    assert response.status_code == 201, response.json()
    decision = review.decisions.get()
    assert response.json()["action_reference"] == decision.action.reference
    assert decision.action.owner == owner and decision.action.title == "Second press"
    assert str(decision.action.due_date) == "2027-01-31"


@pytest.mark.parametrize("who", ["owner", "viewer", "auditor"])
def test_others_cannot_record_decisions(review, owner, who, request):
    freeze(review)
    response = api(request.getfixturevalue(who)).post("/api/review-decisions/", decision_payload(review, owner))
    assert response.status_code == 403 and not review.decisions.exists()


def test_decisions_are_recorded_only_while_the_meeting_is_held(review, lead, owner):
    assert api(lead).post("/api/review-decisions/", decision_payload(review, owner)).status_code == 403
    issue(review)
    assert api(lead).post("/api/review-decisions/", decision_payload(review, owner)).status_code == 403
    assert not review.decisions.exists()


def test_a_decision_needs_its_fields(review, lead, owner):
    freeze(review)
    response = api(lead).post("/api/review-decisions/", decision_payload(review, owner) | {"kind": "wish", "title": ""})
    assert response.status_code == 400 and {"kind", "title"} <= response.json().keys()


def test_lists_cost_the_same_queries_for_2_and_20_reviews(lead, owner, viewer, django_assert_max_num_queries):
    def build(n):
        for _ in range(n):
            review = ManagementReviewFactory(owner=lead, attendees=[lead, owner])
            ReviewDecisionFactory(review=review, owner=owner, action=ActionFactory(owner=owner))

    build(2)
    with django_assert_max_num_queries(8):
        assert len(api(viewer).get(URL).json()["results"]) == 2
    build(18)
    with django_assert_max_num_queries(8):
        assert len(api(viewer).get(URL).json()["results"]) == 20
    with django_assert_max_num_queries(8):
        assert len(api(viewer).get("/api/review-decisions/").json()["results"]) == 20


def test_the_schema_has_the_review_endpoints_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out), stderr=StringIO())
    schema = out.read_text()
    assert "/api/management-reviews/{id}/pack/" in schema and "/api/management-reviews/{id}/minutes/" in schema
    assert "/api/review-decisions/" in schema


def test_a_review_in_the_past_period_is_not_planned_before_its_period(lead, quality):
    payload = {"title": "Odd", "planned_at": "2026-12-10T09:00:00Z", "period_start": "2026-07-01",
               "period_end": "2026-06-01", "owner": lead.pk}  # fmt: skip
    response = api(quality).post(URL, payload, format="json")
    assert response.status_code == 400 and "period_end" in response.json()
