"""A management review in a real browser: Leadership opens the prepared review from the Reviews
menu, starts the meeting on a tablet, records attendance and two decisions in place (each an action
of its owner at once), and issues the minutes with a password and a stated meaning."""

import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from qms.choices import ActionKind, Role
from qms.models import Action
from reviews import minutes, services
from reviews.choices import ReviewStatus
from reviews.models import ManagementReview
from tests.browser.conftest import PASSWORD
from tests.factories import ManagementReviewFactory, ReviewAttendanceFactory, UserFactory
from tests.reviews.factories import issue

pytestmark = pytest.mark.browser


def test_leadership_runs_the_meeting_on_a_tablet_records_two_decisions_and_issues_the_minutes(page, sign_in, tmp_path):
    helen = UserFactory(username="helen", first_name="Helen", last_name="Carter", role=Role.LEADERSHIP)
    priya = UserFactory(username="priya", first_name="Priya", last_name="Shah", role=Role.QUALITY_MANAGER)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role=Role.PROCESS_OWNER)
    for person in (helen, priya, marco):
        person.set_password(PASSWORD)
        person.save()
    review = ManagementReviewFactory(owner=helen, title="Management review H2")
    for person in (helen, priya, marco):
        ReviewAttendanceFactory(review=review, person=person)
    services.review_note_input(
        review=review, user=priya, input="c4", decision_needed=True, preparation_note="Three repeat NCs on the press."
    )
    services.review_prepare(review=review, user=priya)
    due = (timezone.localdate() + timedelta(days=90)).isoformat()

    sign_in("helen")
    page.locator(".app-nav").get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Management reviews").first.click()
    page.get_by_role("link", name="Management review H2").click()
    expect(page.locator("[data-pack-state=live]")).to_be_visible()
    page.set_viewport_size({"width": 820, "height": 1180})

    # Start the meeting: the pack is frozen and meeting mode opens on attendance.
    page.get_by_role("link", name="Start the meeting").first.click()
    page.get_by_role("button", name="Start the meeting").click()
    expect(page.get_by_role("heading", name="Who is here?")).to_be_visible()
    page.locator(f"#attendance-{marco.pk}").get_by_role("button", name="Absent").click()
    expect(page.locator(f"#attendance-{marco.pk}").get_by_role("button", name="Absent")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator(f"#attendance-{priya.pk}").get_by_role("button", name="Present").click()
    expect(page.locator(f"#attendance-{priya.pk}").get_by_role("button", name="Present")).to_have_attribute(
        "aria-pressed", "true"
    )

    # Every step shows in the step bar at tablet width, wrapped rather than scrolled away, each
    # named in full on hover.
    steps = page.locator(".meeting-steps")
    for size in ({"width": 820, "height": 1180}, {"width": 1024, "height": 768}):
        page.set_viewport_size(size)
        box = steps.bounding_box()
        for name in ("f", "Close"):
            link = steps.get_by_role("link", name=name, exact=True)
            expect(link).to_be_in_viewport()
            item = link.bounding_box()
            assert item["x"] + item["width"] <= box["x"] + box["width"] + 1
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(steps.get_by_role("link", name="c4")).to_have_attribute(
        "title", "c4) Nonconformities and corrective actions"
    )

    # On a): a note typed but not saved is saved on pressing Next.
    page.get_by_role("link", name="Next").click()
    page.fill("#id_meeting_note", "All actions of the last review are done.")
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", name="b) Changes in internal and external issues")).to_be_visible()
    assert review.input_notes.get(input="a").meeting_note == "All actions of the last review are done."

    # Walk to c4, which the preparer flagged: a note and a decision, in place.
    for _ in ["c1", "c2", "c3", "c4"]:
        page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", name="c4) Nonconformities and corrective actions")).to_be_visible()
    expect(page.get_by_text("Three repeat NCs on the press.").first).to_be_visible()
    page.fill("#id_meeting_note", "Root cause in press maintenance.")
    page.get_by_role("button", name="Save the note").click()
    expect(page.get_by_text("Note saved")).to_be_visible()
    url = page.url
    page.get_by_text("Change to the QMS").click()
    page.fill("#id_title", "Add press die checks to preventive maintenance")
    page.select_option("#id_owner", label="Marco Rossi")
    page.fill("#id_due_date", due)
    page.get_by_role("button", name="Add the decision").click()
    expect(page.locator(".decision-row")).to_have_count(1)
    assert page.url == url  # no page load
    action = Action.objects.get(title="Add press die checks to preventive maintenance")
    expect(page.locator(".decision-row")).to_contain_text(action.reference)
    assert action.owner == marco and action.kind == ActionKind.IMPROVEMENT

    # A second decision on f).
    page.get_by_role("link", name="f", exact=True).click()
    page.get_by_text("Resource need").click()
    page.fill("#id_title", "Second CMM operator")
    page.select_option("#id_owner", label="Priya Shah")
    page.fill("#id_due_date", due)
    page.get_by_role("button", name="Add the decision").click()
    expect(page.locator(".decision-row")).to_have_count(1)
    assert Action.objects.filter(owner=priya, title="Second CMM operator").exists()

    # A note on f) typed but not saved is saved on clicking Close in the step bar.
    page.fill("#id_meeting_note", "Budget for the operator agreed.")
    page.locator(".meeting-steps").get_by_role("link", name="Close").click()

    # Close: issue the minutes, first with a wrong password.
    expect(page.get_by_text("2 decisions recorded")).to_be_visible()
    assert review.input_notes.get(input="f").meeting_note == "Budget for the operator agreed."
    # The signing page shows what is signed; Go back returns to the close step.
    page.get_by_role("link", name="Issue the minutes").click()
    preview = page.locator(".issue-preview")
    expect(preview).to_contain_text("Second CMM operator — Priya Shah")
    expect(preview).to_contain_text("Budget for the operator agreed.")
    expect(page.locator(".breadcrumb")).to_contain_text(f"Management reviews{review.reference}Meeting")
    page.get_by_role("link", name="Go back").click()
    expect(page.get_by_role("heading", name="Close the meeting")).to_be_visible()
    page.get_by_role("link", name="Issue the minutes").click()
    page.fill("#id_password", "not my password")
    page.get_by_role("button", name="Sign and issue").click()
    expect(page.get_by_text("That is not your password")).to_be_visible()
    page.fill("#id_meaning", "Approved as chair")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign and issue").click()
    expect(page.get_by_text("matches the record")).to_be_visible()
    review = ManagementReview.objects.get(pk=review.pk)
    assert review.status == ReviewStatus.ISSUED and review.signature_meaning == "Approved as chair"
    expect(page.get_by_text(review.minutes_sha256)).to_be_visible()

    # The signed minutes as a PDF (made once the signature committed), with both decisions in it.
    page.reload()
    with page.expect_download() as started:
        page.get_by_role("link", name="Minutes PDF").click()
    pdf = tmp_path / "minutes.pdf"
    started.value.save_as(pdf)
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "Add press die checks to preventive maintenance" in text and "Second CMM operator" in text
    assert review.minutes_sha256 in text and "Approved as chair" in text

    # Marco finds his decision among his actions.
    page.context.clear_cookies()
    sign_in("marco")
    page.goto("/my-work/")
    outputs = page.locator("section", has_text="Decisions of management reviews I carry out")
    expect(outputs.get_by_text("Add press die checks to preventive maintenance")).to_be_visible()
    decision = review.decisions.get(title="Add press die checks to preventive maintenance")
    expect(outputs).to_contain_text(f"Change to the QMS, decided in {decision.reference}")

    # From the action, Raised from leads to the decision in the minutes.
    outputs.get_by_role("link", name="Add press die checks to preventive maintenance").click()
    raised_from = page.get_by_role("link", name=f"{decision.reference} · Change to the QMS")
    expect(raised_from).to_contain_text(f"management review {review.reference}")
    raised_from.click()
    expect(page.locator(f"#decision-{decision.pk}")).to_be_in_viewport()
    expect(page.locator(f"#decision-{decision.pk}")).to_contain_text("Add press die checks to preventive maintenance")


def test_the_minutes_tab_shows_the_pdf_once_the_worker_stores_it_without_a_reload(page, sign_in):
    helen = UserFactory(username="helen", first_name="Helen", last_name="Carter", role=Role.LEADERSHIP)
    helen.set_password(PASSWORD)
    helen.save()
    review = issue(ManagementReviewFactory(owner=helen))

    sign_in("helen")
    page.goto(reverse("reviews:managementreview_minutes", args=[review.pk]))
    expect(page.locator("#minutes-pdf-state")).to_contain_text("being made (asked for at")
    assert minutes.make_minutes_pdf(review.pk)
    expect(page.get_by_role("link", name="Minutes PDF")).to_be_visible(timeout=10_000)
