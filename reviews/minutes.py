"""The minutes of a management review as a PDF, and their distribution once issued.

The PDF has the evidence pack's look (its stylesheet, the same WeasyPrint fetcher that fetches
nothing but the app's static files, PDF/A-3b and tagged): a cover with the review, chair, date,
period and attendance; the pack as it was frozen when the meeting started; the notes and decisions
on each input; the chair's signature with its meaning, time and the minutes' SHA-256; and the
addenda, each with its own signature.

It is made once, after the minutes are issued (make_minutes_pdf, from a Celery task), stored with
its SHA-256, and e-mailed to the attendees once each; every download is the stored file.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from packs.render import template_to_pdf
from qms.services import notification_mail
from qms.uploads import attachment_disposition

from .choices import ReviewInput, ReviewStatus
from .models import ManagementReview, ReviewDecision

logger = logging.getLogger(__name__)


def pack_charts(pack: dict | None) -> dict[str, str]:
    """The frozen pack's charts (SVG it drew itself) by the path the PDF's HTML fetches them from;
    each chart is given its `path`. The fetcher serves these and nothing else besides static files."""
    images = {}
    for section in (pack or {}).get("sections", []):
        for number, chart in enumerate(section.get("charts", [])):
            if chart.get("svg"):
                chart["path"] = f"charts/{section['input']}-{number}.svg"
                images[chart["path"]] = chart["svg"]
    return images


def minutes_context(review: ManagementReview) -> dict:
    """What the minutes show, read in a fixed number of queries."""
    attendance = list(review.attendance.select_related("person"))
    notes = {note.input: note for note in review.input_notes.all()}
    decisions: dict[str, list[ReviewDecision]] = {}
    for decision in review.decisions.select_related("owner", "action"):
        decisions.setdefault(decision.input, []).append(decision)
    commentaries = list(review.commentaries.select_related("process", "author"))
    pack = review.frozen_data()
    images = pack_charts(pack)
    sections = {section.get("input"): section for section in (pack or {}).get("sections", [])}
    inputs = [
        {
            "key": key,
            "label": sections[key].get("title", label) if key in sections else label,
            "section": sections.get(key),
            "note": notes.get(key),
            "decisions": decisions.get(key, []),
            "commentaries": commentaries if key == ReviewInput.C3 else [],
        }
        for key, label in ReviewInput.choices
    ]
    return {
        "review": review,
        "chair": review.owner,
        "attendance": attendance,
        "present": [a for a in attendance if a.present],
        "absent": [a for a in attendance if a.present is False],
        "pack": pack,
        "images": images,
        "site_url": settings.SITE_URL,
        "inputs": inputs,
        "decision_count": sum(len(d) for d in decisions.values()),
        "addenda": list(review.addenda.select_related("signed_by")),
        "organisation": settings.SITE_NAME,
        "doc_title": _("Minutes of %(review)s") % {"review": review},
        "doc_ref": f"{review.reference} · {_('minutes')}"
        + (f" · SHA-256 {review.minutes_sha256[:16]}…" if review.minutes_sha256 else ""),
        "created": review.minutes_issued_at or timezone.now(),
    }


def render_minutes_pdf(review: ManagementReview) -> bytes:
    """The minutes of `review` as a PDF/A-3b, as they stand (a draft until they are issued)."""
    review = ManagementReview.objects.select_related("owner", "minutes_issued_by").get(pk=review.pk)
    context = minutes_context(review)
    return template_to_pdf("reviews/minutes_pdf.html", context, images=context["images"]).content


def minutes_download_name(review: ManagementReview) -> str:
    return f"{review.reference}-minutes.pdf"


# After the minutes are issued
# ------------------------------------------------------------------------------


def minutes_pdf_is_current(review: ManagementReview) -> bool:
    """Is the stored PDF that of the minutes as they stand: stored, and no addendum signed since?"""
    if not review.minutes_pdf:
        return False
    stored = review.history.filter(minutes_pdf=review.minutes_pdf.name).order_by("history_date").first()
    return stored is None or not review.addenda.filter(signed_at__gt=stored.history_date).exists()


def make_minutes_pdf(review_id: int) -> bool:
    """Render and store the PDF of issued minutes, once (and again once per addendum signed after
    it). False, and nothing changes, when the minutes are not issued or their stored PDF is current.

    1. Render outside any transaction: a PDF takes seconds, and a write lock held that long would
       stall other writers on SQLite.
    2. Lock the review and store the PDF with its SHA-256 only if no other run stored a current one
       meanwhile; the file a run that lost the race wrote is removed.
    """
    review = ManagementReview.objects.get(pk=review_id)
    if review.status != ReviewStatus.ISSUED or minutes_pdf_is_current(review):
        return False
    content = render_minutes_pdf(review)
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update().get(pk=review_id)
        if minutes_pdf_is_current(review):
            return False
        addenda = review.addenda.count()
        name = minutes_download_name(review) if not addenda else f"{review.reference}-minutes-{addenda}.pdf"
        review.minutes_pdf.save(name, ContentFile(content), save=False)
        review.minutes_pdf_sha256 = hashlib.sha256(content).hexdigest()
        review._change_reason = _("Minutes PDF made") if not addenda else _("Minutes PDF made with the addenda")
        review.save(update_fields=["minutes_pdf", "minutes_pdf_sha256"])
    return True


def minutes_recipients(review: ManagementReview) -> list:
    """The chair and every attendee invited, active and with an e-mail address."""
    people = {review.owner_id: review.owner}
    for attendance in review.attendance.select_related("person"):
        people.setdefault(attendance.person_id, attendance.person)
    return [p for p in people.values() if p.is_active and p.email]


def send_minutes(review_id: int) -> int:
    """E-mail the stored minutes PDF to the chair and the attendees, once per person. Returns how
    many were queued (none until the PDF of the minutes as they stand is stored)."""
    review = ManagementReview.objects.select_related("owner", "minutes_issued_by").get(pk=review_id)
    if review.status != ReviewStatus.ISSUED or not minutes_pdf_is_current(review):
        return 0
    with review.minutes_pdf.open("rb") as stored:
        content = stored.read()
    name = minutes_download_name(review)
    addenda = review.addenda.count()  # the minutes again with each addendum
    sent = 0
    for person in minutes_recipients(review):
        sent += notification_mail(
            kind="review_minutes",
            record=review,
            key=f"{person.pk}:{addenda}",
            recipient=person,
            subject=_("Minutes issued: %(review)s") % {"review": review},
            body=render_to_string(
                "emails/review_minutes.txt", {"review": review, "person": person, "site_url": settings.SITE_URL}
            ),
            attachments=[(name, content, "application/pdf")],
        )
    return sent


def reviews_needing_minutes() -> list[int]:
    """Issued reviews whose PDF is not stored yet (a worker lost, or the task never queued), and
    those issued or given an addendum in the last three days, whose PDF or e-mails a failure may
    have left undone."""
    recent = timezone.now() - timedelta(days=3)
    return list(
        ManagementReview.objects.filter(status=ReviewStatus.ISSUED)
        .filter(Q(minutes_pdf="") | Q(minutes_issued_at__gte=recent) | Q(addenda__signed_at__gte=recent))
        .values_list("pk", flat=True)
        .distinct()
    )


def minutes_file_response(review: ManagementReview) -> FileResponse:
    """The stored minutes PDF as a download, with its SHA-256 as ETag; 404 until it is stored."""
    if not review.minutes_pdf:
        raise Http404(_("The minutes PDF is made once the minutes are issued."))
    try:
        stored = review.minutes_pdf.open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored minutes PDF is missing: ask your administrator to restore it.")) from None
    response = FileResponse(stored, content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition(minutes_download_name(review))
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{review.minutes_pdf_sha256}"'
    response["Cache-Control"] = "private, no-cache"
    return response
