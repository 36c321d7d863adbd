"""The minutes PDF: the evidence pack's look, the frozen pack, the notes and decisions per input, the
chair's signature and the addenda; read back as text with pdftotext."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.choices import ReviewInput
from reviews.minutes import render_minutes_pdf
from reviews.models import MinutesAddendum, ReviewInputNote
from tests.factories import ActionFactory

from .factories import ManagementReviewFactory, ReviewDecisionFactory, freeze, issue, sample_pack

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(content)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(result.stdout.split())


@pytest.fixture
def held(lead, owner, viewer):
    review = ManagementReviewFactory(owner=lead, attendees=[lead, owner, viewer], title="Half-year review")
    review.attendance.filter(person=viewer).update(present=False)
    review.attendance.exclude(person=viewer).update(present=True)
    freeze(review)
    ReviewInputNote.objects.create(
        review=review,
        input=ReviewInput.C3,
        decision_needed=True,
        preparation_note="Scrap rose in Q2.",
        meeting_note="Agreed to add a second press.",
    )
    action = ActionFactory(owner=owner, title="Buy a second press")
    ReviewDecisionFactory(review=review, input=ReviewInput.C3, title="Buy a second press", owner=owner,
                          action=action, due_date=timezone.localdate() + timedelta(days=60))  # fmt: skip
    return review


def test_minutes_carry_cover_frozen_pack_notes_decisions_and_signature(held, lead, owner, viewer, tmp_path):
    issue(held, meaning="approved as chair")
    content = render_minutes_pdf(held)
    text = pdf_text(content, tmp_path)
    meta = subprocess.run(["pdfinfo", "-meta", str(tmp_path / "minutes.pdf")], capture_output=True, text=True)
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in meta.stdout  # PDF/A-3b, as the evidence pack
    assert "Minutes of the management review" in text and held.reference in text and "Half-year review" in text
    assert f"Chair {lead}" in text
    assert "1 January 2026 – 30 June 2026" in text
    assert str(owner) in text and "Apologies" in text and str(viewer) in text
    assert held.frozen_pack_sha256 in text
    for code, label in ReviewInput.choices:
        assert str(label) in text
        assert f"Frozen row of {code}" in text
    assert "Scrap rose in Q2." in text and "Agreed to add a second press." in text
    decision = held.decisions.get()
    assert "Buy a second press" in text and decision.action.reference in text
    assert "Signed by" in text and "approved as chair" in text and held.minutes_sha256 in text
    assert "Draft" not in text


def test_draft_minutes_say_they_are_not_signed(held, tmp_path):
    text = pdf_text(render_minutes_pdf(held), tmp_path)
    assert "Not signed: these minutes are a draft." in text


def test_addenda_appear_with_their_signatures(held, lead, tmp_path):
    issue(held)
    MinutesAddendum.objects.create(
        review=held,
        text="The press is due in Q4, not Q3.",
        signed_by=lead,
        signed_at=timezone.now(),
        meaning="correction as chair",
        sha256="ef" * 32,
    )
    text = pdf_text(render_minutes_pdf(held), tmp_path)
    assert "Addendum 1" in text and "The press is due in Q4, not Q3." in text
    assert "correction as chair" in text and "ef" * 32 in text


def test_user_text_fetches_nothing(held, tmp_path, caplog):
    """A note holding markup stays text: the PDF fetches no URL that a record names."""
    ReviewInputNote.objects.filter(review=held).update(
        meeting_note='<img src="file:///etc/passwd"> see http://10.0.0.1/'
    )
    text = pdf_text(render_minutes_pdf(held), tmp_path)
    assert '<img src="file:///etc/passwd">' in text


def test_minutes_of_the_real_pack(held, tmp_path):
    """The pack compile_pack makes (frozen as the meeting starts) prints as it was frozen."""
    from reviews.pack import compile_pack

    held.freeze_pack(compile_pack(held))
    held.save()
    text = pdf_text(render_minutes_pdf(held), tmp_path)
    for _code, label in ReviewInput.choices:
        assert str(label) in text


def test_narrow_table_headers_break_between_words_only(lead, tmp_path):
    """A table of many columns squeezes its headers: each breaks between words, never inside one."""
    review = ManagementReviewFactory(owner=lead)
    pack = sample_pack(review)
    columns = ["Ref", "Title", "Severity", "Actions done", "Status", "Owner", "Process", "Opened", "Due"]
    long = "Burr on the housing flange after the deburring station was moved to the second shift " * 2
    cells = ["NC-001", long, "Major", "2 of 3", "Open", "Priya Shah", "Machining", "1 Mar 2026", "1 Jun 2026"]
    row = {"ref": "NC-001", "url": "", "cells": [{"text": text, "url": "", "colour": ""} for text in cells]}
    table = {"key": "t-nc", "title": "Nonconformities", "columns": columns, "rows": [row], "total": 1, "empty": ""}
    pack["sections"][5]["tables"] = [table]
    freeze(review, pack)
    path = tmp_path / "minutes.pdf"
    path.write_bytes(render_minutes_pdf(review))
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout.split()
    for word in ("Severity", "Actions", "done", "Process", "Opened"):
        assert word in words
    assert not {"Sever", "Acti", "Proce"} & set(words)
