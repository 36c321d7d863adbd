"""The calendar invitation of a management review (RFC 5545, sent as an iTIP REQUEST, RFC 5546).

Every version of a review's invitation has the same UID, taken from `calendar_uid`, and a SEQUENCE
that goes up when the date, time, duration or place change (ManagementReview.save), so a calendar
replaces the invitation it holds instead of adding a second meeting.
"""

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//QMS//Management review//EN"


def review_uid(review) -> str:
    """The invitation's UID: the review's own UUID at the site's host, the same for every update."""
    host = urlsplit(settings.SITE_URL).hostname or "qms.invalid"
    return f"{review.calendar_uid}@{host}"


def _address(person, role: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(str(person))
    address.params["ROLE"] = vText(role)
    if role != "CHAIR":
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
    return address


def review_invitation(review, recipient) -> bytes:
    """The invitation of `review` as `recipient` receives it: the chair as organiser, the invited
    attendees, and the recipient too when they prepare the review without attending (copied for
    information, ROLE=NON-PARTICIPANT, so their calendar accepts it)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")

    url = settings.SITE_URL + review.get_absolute_url()
    event = Event()
    event.add("uid", review_uid(review))
    event.add("sequence", review.calendar_sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", review.planned_at.astimezone(UTC))
    event.add("dtend", review.ends_at.astimezone(UTC))
    event.add("summary", f"{review.reference} {review.title}")
    if review.location:
        event.add("location", review.location)
    period = f"{review.period_start:%d %b %Y} – {review.period_end:%d %b %Y}"
    event.add(
        "description",
        f"Management review (ISO 9001 9.3) of the period {period}.\nThe review and its pack: {url}",
    )
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")

    chair = review.owner
    organizer = vCalAddress(f"mailto:{chair.email}")
    organizer.params["CN"] = vText(str(chair))
    event.add("organizer", organizer)
    invited = [a.person for a in review.attendance.all()]
    if chair not in invited:
        invited.insert(0, chair)
    for person in invited:
        if person.email:
            event.add("attendee", _address(person, "CHAIR" if person == chair else "REQ-PARTICIPANT"))
    if recipient not in invited and recipient.email:
        event.add("attendee", _address(recipient, "NON-PARTICIPANT"))
    calendar.add_component(event)
    return calendar.to_ical()
