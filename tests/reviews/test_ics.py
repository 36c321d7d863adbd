"""The calendar invitation of a management review (RFC 5545): one UID for every version, a SEQUENCE
that counts the updates a calendar must apply."""

from datetime import UTC, timedelta

import pytest
from icalendar import Calendar

from qms.choices import Role
from reviews.ics import review_invitation
from tests.factories import UserFactory

from .factories import ManagementReviewFactory

pytestmark = pytest.mark.django_db


def event_of(ics: bytes):
    calendar = Calendar.from_ical(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0"
    (event,) = calendar.walk("VEVENT")
    return event


@pytest.fixture
def review(lead, owner, quality):
    return ManagementReviewFactory(owner=lead, attendees=[lead, owner, quality], location="Board room")


def test_invitation_names_the_meeting_its_chair_and_attendees(review, lead, owner, settings):
    event = event_of(review_invitation(review, owner))
    assert str(event["UID"]) == f"{review.calendar_uid}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == review.planned_at.astimezone(UTC)
    assert event.decoded("DTEND") == review.planned_at.astimezone(UTC) + timedelta(minutes=review.duration_minutes)
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert "DTSTAMP" in event
    assert str(event["SUMMARY"]) == f"{review.reference} {review.title}"
    assert str(event["LOCATION"]) == "Board room"
    assert f"{settings.SITE_URL}/reviews/" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == f"mailto:{lead.email}"
    attendees = {str(a): a.params["ROLE"] for a in event["ATTENDEE"]}
    assert attendees == {
        f"mailto:{lead.email}": "CHAIR",
        f"mailto:{owner.email}": "REQ-PARTICIPANT",
        "mailto:quality@example.com": "REQ-PARTICIPANT",
    }


def test_a_preparer_who_does_not_attend_is_copied_for_information(review):
    preparer = UserFactory(username="preparer", role=Role.PROCESS_OWNER)
    event = event_of(review_invitation(review, preparer))
    roles = {str(a): a.params["ROLE"] for a in event["ATTENDEE"]}
    assert roles["mailto:preparer@example.com"] == "NON-PARTICIPANT"


def test_uid_stays_and_sequence_grows_when_date_duration_or_place_change(review, owner):
    uid = str(event_of(review_invitation(review, owner))["UID"])
    sequences = []
    for change in (
        {"planned_at": review.planned_at + timedelta(days=1)},
        {"duration_minutes": 90},
        {"location": "Meeting room 2"},
    ):
        for field, value in change.items():
            setattr(review, field, value)
        review.save()
        review.refresh_from_db()
        event = event_of(review_invitation(review, owner))
        assert str(event["UID"]) == uid
        sequences.append(event["SEQUENCE"])
    assert sequences == [1, 2, 3]
    assert str(event["LOCATION"]) == "Meeting room 2"


def test_other_changes_and_saves_keep_the_sequence(review):
    review.title = "Half-year review"
    review.save()
    review.save()
    review.refresh_from_db()
    assert review.calendar_sequence == 0


def test_saving_only_other_fields_keeps_the_sequence_even_if_the_date_is_stale(review):
    review.planned_at += timedelta(hours=2)
    review.title = "Renamed"
    review.save(update_fields=["title"])
    review.refresh_from_db()
    assert review.calendar_sequence == 0


def test_saving_the_date_by_update_fields_counts_it(review):
    review.planned_at += timedelta(hours=2)
    review.save(update_fields=["planned_at"])
    review.refresh_from_db()
    assert review.calendar_sequence == 1
