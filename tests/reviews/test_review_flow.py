"""The management review workflow: preparation, the meeting (pack frozen, decisions that become
actions at once, attendance), the chair's signature on the minutes, and nothing changing after."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from qms.choices import ActionKind, ActionStatus, Role
from qms.models import Action
from reviews import services
from reviews.choices import OutputKind, ReviewStatus
from reviews.models import ManagementReview, ProcessCommentary, ReviewDecision
from reviews.models.review import canonical_json
from tests.factories import (
    ActionFactory,
    ManagementReviewFactory,
    ProcessFactory,
    ReviewAttendanceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _small_pack(monkeypatch):
    """A stand-in for the 9.3.2 pack (reviews.pack has its own tests): the workflow only needs
    something to freeze. It counts calls, so a test can tell when the pack was compiled."""
    calls = []

    def compile_pack(review, today=None):
        calls.append(review.pk)
        return {
            "version": 1,
            "period": {"start": str(review.period_start), "end": str(review.period_end)},
            "sections": [],
        }

    monkeypatch.setattr(services, "compile_pack", compile_pack)
    return calls


@pytest.fixture
def chair(db):
    user = UserFactory(username="chair", role=Role.LEADERSHIP)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def review(chair, quality, owner):
    review = ManagementReviewFactory(owner=chair)
    for person in (chair, quality, owner):
        ReviewAttendanceFactory(review=review, person=person)
    return review


def _in_meeting(review, chair):
    return services.review_start_meeting(review=review, user=chair)


def _decide(review, user, owner, **extra):
    data = {
        "input": "c3",
        "kind": OutputKind.RESOURCE_NEED,
        "title": "Second CMM operator for final inspection",
        "description": "Inspection waits up to two days for the one operator.",
        "owner": owner,
        "due_date": timezone.localdate() + timedelta(days=60),
    }
    return services.review_record_decision(review=review, user=user, **(data | extra))


def _issue(review, chair):
    return services.review_issue_minutes(review=review, user=chair, password=PASSWORD, meaning="Approved as chair")


# Status moves and freezing
# ------------------------------------------------------------------------------


def test_quality_manager_prepares_and_leadership_starts_the_meeting_which_freezes_the_pack(
    review, quality, chair, _small_pack
):
    review = services.review_prepare(review=review, user=quality)
    assert review.status == ReviewStatus.PREPARED
    review = _in_meeting(review, chair)
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_MEETING
    assert review.frozen_at is not None
    assert review.frozen_pack_sha256 == hashlib.sha256(review.frozen_pack.encode()).hexdigest()
    assert review.frozen_data()["sections"] == []
    assert _small_pack == [review.pk]


def test_only_leadership_starts_the_meeting(review, quality, owner):
    for person in (quality, owner):
        with pytest.raises(PermissionDenied):
            services.review_start_meeting(review=review, user=person)
    review.refresh_from_db()
    assert review.status == ReviewStatus.PLANNED and not review.frozen_pack


def test_leadership_does_not_prepare(review, chair, client_for):
    with pytest.raises(PermissionDenied):
        services.review_prepare(review=review, user=chair)
    assert client_for(chair).post(reverse("reviews:managementreview_prepare", args=[review.pk])).status_code == 403


def test_start_meeting_page_freezes_and_opens_meeting_mode(review, chair, client_for):
    response = client_for(chair).post(reverse("reviews:managementreview_start", args=[review.pk]), {"reason": ""})
    assert response.status_code == 302
    assert response.url == reverse("reviews:managementreview_meeting", args=[review.pk])
    review.refresh_from_db()
    assert review.is_pack_frozen


# Decisions become actions
# ------------------------------------------------------------------------------


def test_decision_becomes_an_improvement_action_owned_by_the_person_named_and_raised_from_it(review, chair, owner):
    _in_meeting(review, chair)
    decision = _decide(review, chair, owner)
    action = Action.objects.get(pk=decision.action_id)
    assert action.owner == owner
    assert action.kind == ActionKind.IMPROVEMENT
    assert action.status == ActionStatus.OPEN
    assert action.due_date == decision.due_date
    assert action.title == decision.title
    assert action.source == decision
    assert action.source_type == ContentType.objects.get_for_model(ReviewDecision)
    assert Action.objects.owned_by(owner).filter(pk=action.pk).exists()
    # One snapshot for the decision, and it names its action.
    snapshots = list(decision.history.all())
    assert len(snapshots) == 1 and snapshots[0].action_id == action.pk


def test_the_action_names_the_decision_its_type_and_review_and_links_to_it_in_the_minutes(
    review, chair, owner, client_for
):
    _in_meeting(review, chair)
    decision = _decide(review, chair, owner)
    page = client_for(owner).get(decision.action.get_absolute_url()).content.decode()
    minutes = reverse("reviews:managementreview_minutes", args=[review.pk])
    assert f'href="{minutes}#decision-{decision.pk}"' in page
    assert f"{review.reference}-D1 · Resource need, management review {review.reference}" in page
    assert f'id="decision-{decision.pk}"' in client_for(owner).get(minutes).content.decode()


def test_decision_via_htmx_returns_the_list_with_the_action_at_once(review, chair, owner, client_for):
    _in_meeting(review, chair)
    client = client_for(chair)
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        reverse("reviews:review_decision_add", args=[review.pk]),
        {
            "input": "f",
            "kind": OutputKind.IMPROVEMENT,
            "title": "Pilot supplier portal",
            "owner": owner.pk,
            "due_date": due,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    decision = ReviewDecision.objects.get(review=review)
    assert decision.action.reference in response.content.decode()
    assert "Pilot supplier portal" in response.content.decode()
    # The owner finds it among their actions.
    listing = client_for(owner).get(reverse("qms:action_list") + "?mine=true")
    assert decision.action.reference in listing.content.decode()


def test_decision_with_errors_is_answered_422_and_creates_nothing(review, chair, client_for):
    _in_meeting(review, chair)
    response = client_for(chair).post(
        reverse("reviews:review_decision_add", args=[review.pk]),
        {"input": "f", "kind": OutputKind.IMPROVEMENT, "title": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert not ReviewDecision.objects.exists() and not Action.objects.exists()


def test_decisions_wait_for_the_meeting(review, chair, owner):
    with pytest.raises(PermissionDenied):
        _decide(review, chair, owner)
    assert not Action.objects.exists()


def test_attendance_and_notes_are_recorded_in_the_meeting(review, chair, owner, client_for):
    _in_meeting(review, chair)
    client = client_for(chair)
    response = client.post(
        reverse("reviews:review_attendance", args=[review.pk, owner.pk]),
        {"present": "no"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Absent" in response.content.decode()
    response = client.post(
        reverse("reviews:review_meeting_note", args=[review.pk, "c1"]),
        {"meeting_note": "Complaints down; keep the survey."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert review.attendance.get(person=owner).present is False
    assert review.input_notes.get(input="c1").meeting_note == "Complaints down; keep the survey."


def test_moving_on_with_a_note_typed_saves_it_then_opens_the_step(review, chair, viewer, client_for):
    _in_meeting(review, chair)
    url = reverse("reviews:review_meeting_note", args=[review.pk, "c1"])
    response = client_for(chair).post(url, {"meeting_note": "Complaints down.", "then": "c2"})
    assert response.status_code == 302
    assert response.url == reverse("reviews:managementreview_meeting_step", args=[review.pk, "c2"])
    note = review.input_notes.get(input="c1")
    assert note.meeting_note == "Complaints down." and note.history.latest().history_user == chair
    response = client_for(chair).post(url, {"meeting_note": "x", "then": "nowhere"})
    assert response.url == reverse("reviews:managementreview_meeting_step", args=[review.pk, "c1"])
    assert client_for(viewer).post(url, {"meeting_note": "y", "then": "c2"}).status_code == 403


# The signature
# ------------------------------------------------------------------------------


def test_minutes_signature_records_meaning_time_signer_and_hash(review, chair, owner):
    _in_meeting(review, chair)
    _decide(review, chair, owner)
    before = timezone.now()
    review = _issue(review, chair)
    review.refresh_from_db()
    assert review.status == ReviewStatus.ISSUED
    assert review.minutes_issued_by == chair
    assert review.signature_meaning == "Approved as chair"
    assert before <= review.minutes_issued_at <= timezone.now()
    content = services.minutes_content(review)
    assert content["signature"]["meaning"] == "Approved as chair"
    assert content["pack"]["sha256"] == review.frozen_pack_sha256
    assert len(content["decisions"]) == 1 and content["decisions"][0]["action"]
    assert review.minutes_sha256 == hashlib.sha256(canonical_json(content).encode()).hexdigest()
    assert json.loads(canonical_json(content)) == content


def test_wrong_password_signs_nothing(review, chair, client_for):
    _in_meeting(review, chair)
    with pytest.raises(ValidationError):
        services.review_issue_minutes(review=review, user=chair, password="wrong", meaning="Approved as chair")
    response = client_for(chair).post(
        reverse("reviews:managementreview_issue", args=[review.pk]), {"password": "wrong", "meaning": "Approved"}
    )
    assert response.status_code == 422
    assert "not your password" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_MEETING and not review.minutes_sha256


def test_a_meaning_is_required(review, chair):
    _in_meeting(review, chair)
    with pytest.raises(ValidationError):
        services.review_issue_minutes(review=review, user=chair, password=PASSWORD, meaning="  ")


def test_only_the_chair_signs(review, chair, quality, client_for):
    other_leader = UserFactory(username="ceo", role=Role.LEADERSHIP)
    other_leader.set_password(PASSWORD)
    other_leader.save()
    _in_meeting(review, chair)
    for person in (other_leader, quality):
        with pytest.raises(PermissionDenied):
            services.review_issue_minutes(review=review, user=person, password=PASSWORD, meaning="Approved")
        url = reverse("reviews:managementreview_issue", args=[review.pk])
        assert client_for(person).post(url, {"password": PASSWORD, "meaning": "x"}).status_code == 403


def test_issue_page_shows_what_is_signed_and_returns_where_it_was_opened(review, chair, owner, client_for):
    _in_meeting(review, chair)
    services.review_set_attendance(review=review, user=chair, person=owner, present=True)
    services.review_note_input(review=review, user=chair, input="c3", meeting_note="Lead time above target.")
    decision = _decide(review, chair, owner)
    url = reverse("reviews:managementreview_issue", args=[review.pk])
    page = client_for(chair).get(url).content.decode()
    assert "1 of 3 invited (2 not recorded)" in page
    assert decision.title in page and str(owner) in page and decision.due_date.strftime("%-d %b %Y") in page
    assert "Lead time above target." in page and "c3) Process performance" in page
    assert "No note on a, b, c1, c2, c4, c5, c6, c7, d, e, f." in page
    review_page = review.get_absolute_url()
    assert f'<a href="{reverse("reviews:managementreview_list")}">Management reviews</a>' in page
    assert f'<a href="{review_page}">{review.reference}</a>' in page and ">Back<" not in page
    assert f'<a class="btn btn-outline-secondary" href="{review_page}">Go back</a>' in page

    close = reverse("reviews:managementreview_meeting_step", args=[review.pk, "close"])
    meeting = client_for(chair).get(close).content.decode()
    assert f'href="{url}?from=meeting"' in meeting
    page = client_for(chair).get(f"{url}?from=meeting").content.decode()
    assert f'<a class="btn btn-outline-secondary" href="{close}">Go back</a>' in page
    assert f'action="{url}?from=meeting"' in page
    response = client_for(chair).post(f"{url}?from=meeting", {"password": "wrong", "meaning": "Approved"})
    assert f'<a class="btn btn-outline-secondary" href="{close}">Go back</a>' in response.content.decode()


def test_issue_page_signs_with_the_password(review, chair, client_for):
    _in_meeting(review, chair)
    response = client_for(chair).post(
        reverse("reviews:managementreview_issue", args=[review.pk]),
        {"password": PASSWORD, "meaning": "Approved as chair"},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.ISSUED
    page = client_for(chair).get(reverse("reviews:managementreview_minutes", args=[review.pk])).content.decode()
    assert review.minutes_sha256 in page and "matches the record" in page


# After issue nothing changes
# ------------------------------------------------------------------------------


@pytest.fixture
def issued(review, chair, owner):
    _in_meeting(review, chair)
    services.review_note_input(review=review, user=chair, input="c3", meeting_note="Lead time above target.")
    _decide(review, chair, owner)
    return _issue(review, chair)


def test_issued_minutes_refuse_every_change_by_service(issued, chair, quality, owner):
    review = issued
    attempts = [
        lambda: _decide(review, chair, owner),
        lambda: services.review_note_input(review=review, user=chair, input="a", meeting_note="later"),
        lambda: services.review_note_input(review=review, user=quality, input="a", preparation_note="later"),
        lambda: services.review_set_attendance(review=review, user=chair, person=owner, present=True),
        lambda: services.review_prepare(review=review, user=quality),
        lambda: services.review_start_meeting(review=review, user=chair),
        lambda: _issue(review, chair),
        lambda: services.review_save(review=review, user=quality, attendees=[]),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    review.refresh_from_db()
    assert review.minutes_sha256 == services.minutes_sha256(review)


def test_issued_minutes_refuse_every_change_on_the_pages(issued, chair, quality, owner, client_for):
    review = issued
    pk = review.pk
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    posts = [
        (reverse("reviews:managementreview_edit", args=[pk]), {"title": "Changed"}),
        (
            reverse("reviews:review_decision_add", args=[pk]),
            {"input": "a", "kind": "improvement", "title": "x", "owner": owner.pk, "due_date": due},
        ),
        (reverse("reviews:review_meeting_note", args=[pk, "a"]), {"meeting_note": "later"}),
        (reverse("reviews:review_input_prepare", args=[pk, "a"]), {"a-preparation_note": "later"}),
        (reverse("reviews:review_attendance", args=[pk, owner.pk]), {"present": "yes"}),
        (reverse("reviews:managementreview_prepare", args=[pk]), {}),
        (reverse("reviews:managementreview_start", args=[pk]), {}),
        (reverse("reviews:managementreview_issue", args=[pk]), {"password": PASSWORD, "meaning": "again"}),
    ]
    for person in (chair, quality):
        client = client_for(person)
        assert client.get(reverse("reviews:managementreview_edit", args=[pk])).status_code == 403
        for url, data in posts:
            assert client.post(url, data).status_code == 403, url
    review.refresh_from_db()
    assert review.minutes_sha256 == services.minutes_sha256(review)
    assert review.decisions.count() == 1


def test_a_correction_is_an_addendum_signed_by_the_chair(issued, chair, quality, client_for):
    review = issued
    with pytest.raises(PermissionDenied):
        services.review_add_addendum(review=review, user=quality, password=PASSWORD, meaning="x", text="y")
    with pytest.raises(ValidationError):
        services.review_add_addendum(review=review, user=chair, password="nope", meaning="x", text="y")
    response = client_for(chair).post(
        reverse("reviews:managementreview_addendum", args=[review.pk]),
        {
            "text": "The due date of the CMM decision is 30 June.",
            "meaning": "Correction as chair",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    addendum = review.addenda.get()
    assert addendum.signed_by == chair and addendum.meaning == "Correction as chair" and len(addendum.sha256) == 64
    review.refresh_from_db()
    assert review.minutes_sha256 == services.minutes_sha256(review)  # the minutes stay as issued


def test_every_step_is_in_the_history_tab(issued, chair, client_for):
    page = client_for(chair).get(reverse("reviews:managementreview_history", args=[issued.pk])).content.decode()
    assert "Minutes issued: Approved as chair" in page
    assert "Meeting started: pack frozen" in page
    assert "Second CMM operator for final inspection" in page  # the decision
    assert "attendee" in page
    assert "functools" not in page and 'history-subject">c3) Process performance and conformity<' in page
    assert '"frozen_pack"' not in page and "Frozen pack SHA-256" in page  # the hash, not the long JSON


# Planning and preparation
# ------------------------------------------------------------------------------


def test_the_chair_must_be_leadership(quality, owner, client_for):
    start = timezone.localdate() + timedelta(days=20)
    data = {
        "title": "Autumn review",
        "planned_at": f"{start.isoformat()}T09:00",
        "duration_minutes": 120,
        "owner": owner.pk,
        "period_start": (start - timedelta(days=180)).isoformat(),
        "period_end": start.isoformat(),
        "interval_months": 6,
        "attendees": [owner.pk, quality.pk],
    }
    client = client_for(quality)
    assert client.post(reverse("reviews:managementreview_add"), data).status_code == 422
    lead = UserFactory(username="board", role=Role.LEADERSHIP)
    response = client.post(reverse("reviews:managementreview_add"), data | {"owner": lead.pk})
    assert response.status_code == 302
    review = ManagementReview.objects.get()
    assert review.owner == lead
    assert set(review.attendance.values_list("person_id", flat=True)) == {owner.pk, quality.pk}


def test_new_review_defaults_to_the_period_after_the_last_one(issued, quality, client_for):
    page = client_for(quality).get(reverse("reviews:managementreview_add")).content.decode()
    day_after = issued.period_end + timedelta(days=1)
    assert f'value="{day_after.isoformat()}"' in page
    assert issued.next_proposed_date().isoformat() in page


def test_only_leadership_and_quality_managers_plan_reviews(owner, viewer, client_for):
    for person in (owner, viewer):
        assert client_for(person).get(reverse("reviews:managementreview_add")).status_code == 403


def test_rescheduling_counts_up_the_calendar_sequence(review, quality):
    review.planned_at += timedelta(days=1)
    services.review_save(review=review, user=quality, attendees=[])
    review.refresh_from_db()
    assert review.calendar_sequence == 1 and not review.attendance.exists()


def test_preparer_flags_inputs_in_place(review, quality, client_for):
    response = client_for(quality).post(
        reverse("reviews:review_input_prepare", args=[review.pk, "c4"]),
        {"c4-decision_needed": "on", "c4-preparation_note": "Three repeat NCs on the press line."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Saved" in response.content.decode()
    note = review.input_notes.get(input="c4")
    assert note.decision_needed and note.preparation_note == "Three repeat NCs on the press line."


def test_process_owner_writes_commentary_until_the_meeting(review, owner, outsider, chair, client_for):
    process = ProcessFactory(owner=owner)
    url = reverse("reviews:review_commentary", args=[review.pk, process.pk])
    page = client_for(owner).get(review.get_absolute_url()).content.decode()
    assert url in page  # their preparation task
    assert client_for(outsider).post(url, {"text": "Mine"}).status_code == 403
    response = client_for(owner).post(url, {"text": "Lead time on target since May."})
    assert response.status_code == 302
    assert ProcessCommentary.objects.get(review=review, process=process).author == owner
    _in_meeting(review, chair)
    assert client_for(owner).post(url, {"text": "Too late"}).status_code == 403


# Who may see and change what
# ------------------------------------------------------------------------------


def test_viewers_read_every_tab_and_change_nothing(issued, viewer, owner, client_for):
    client = client_for(viewer)
    pk = issued.pk
    for name in (
        "managementreview_detail",
        "managementreview_minutes",
        "managementreview_history",
        "managementreview_meeting",
    ):
        assert client.get(reverse(f"reviews:{name}", args=[pk])).status_code == 200, name
    assert client.get(reverse("reviews:managementreview_list")).status_code == 200


def test_viewer_cannot_run_a_meeting(review, chair, viewer, owner, client_for):
    _in_meeting(review, chair)
    client = client_for(viewer)
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    data = {"input": "a", "kind": "improvement", "title": "x", "owner": owner.pk, "due_date": due}
    assert client.post(reverse("reviews:review_decision_add", args=[review.pk]), data).status_code == 403
    assert (
        client.post(reverse("reviews:review_attendance", args=[review.pk, owner.pk]), {"present": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("reviews:managementreview_edit", args=[review.pk])).status_code == 403


def test_anonymous_is_sent_to_sign_in(review, client):
    response = client.get(review.get_absolute_url())
    assert response.status_code == 302 and "login" in response.url


def test_unknown_review_is_404(chair, client_for):
    assert client_for(chair).get(reverse("reviews:managementreview_detail", args=[999999])).status_code == 404


# Pages and their cost
# ------------------------------------------------------------------------------


def _reviews_with_outputs(chair, owner, n):
    for i in range(n):
        review = ManagementReviewFactory(owner=chair, planned_at=timezone.now() - timedelta(days=400 - i * 30))
        ReviewAttendanceFactory(review=review, person=owner)
        services.review_start_meeting(review=review, user=chair)
        _decide(review, chair, owner, title=f"Decision {i}")
        _issue(review, chair)


def test_list_shows_upcoming_past_next_date_and_open_outputs(chair, owner, quality, client_for):
    _reviews_with_outputs(chair, owner, 2)
    Action.objects.update(due_date=timezone.localdate() - timedelta(days=1))
    upcoming = ManagementReviewFactory(owner=chair, title="Spring review")
    page = client_for(quality).get(reverse("reviews:managementreview_list")).content.decode()
    assert "Spring review" in page
    latest = ManagementReview.objects.order_by("-planned_at").first()
    assert latest == upcoming
    assert latest.next_proposed_date().strftime("%-d %b %Y") in page


@pytest.mark.parametrize("n", [1, 4])
def test_list_query_count_does_not_grow(n, chair, owner, quality, client_for, django_assert_max_num_queries):
    _reviews_with_outputs(chair, owner, n)
    ManagementReviewFactory.create_batch(n, owner=chair)
    client = client_for(quality)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("reviews:managementreview_list")).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize("tab", ["managementreview_minutes", "managementreview_meeting", "managementreview_history"])
def test_review_page_query_count_does_not_grow(
    n, tab, chair, owner, quality, client_for, django_assert_max_num_queries
):
    review = ManagementReviewFactory(owner=chair)
    for _ in range(n):
        ReviewAttendanceFactory(review=review)
    services.review_start_meeting(review=review, user=chair)
    for i in range(n):
        _decide(review, chair, owner, title=f"Decision {i}", input=["a", "c3", "f"][i % 3])
        services.review_note_input(review=review, user=chair, input="c3", meeting_note=f"note {i}")
    ActionFactory.create_batch(n, owner=owner)
    client = client_for(chair)
    with django_assert_max_num_queries(18):
        assert client.get(reverse(f"reviews:{tab}", args=[review.pk])).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_meeting_step_query_count_does_not_grow(n, chair, owner, client_for, django_assert_max_num_queries):
    review = ManagementReviewFactory(owner=chair)
    services.review_start_meeting(review=review, user=chair)
    for i in range(n):
        _decide(review, chair, owner, title=f"Decision {i}")
    client = client_for(chair)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("reviews:managementreview_meeting_step", args=[review.pk, "c3"]))
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_pack_tab_with_the_live_pack_has_a_constant_query_count(
    n, monkeypatch, chair, owner, quality, client_for, django_assert_max_num_queries
):
    monkeypatch.undo()  # the real reviews.pack.compile_pack
    review = ManagementReviewFactory(owner=chair)
    for _ in range(n):
        process = ProcessFactory(owner=owner)
        services.commentary_save(review=review, process=process, user=owner, text="On target.")
        ActionFactory(owner=owner)
    services.review_note_input(review=review, user=quality, input="c4", decision_needed=True, preparation_note="NCs")
    client = client_for(quality)
    with django_assert_max_num_queries(45):
        response = client.get(review.get_absolute_url())
    assert response.status_code == 200
    assert 'data-pack-state="live"' in response.content.decode()


def test_pack_tab_shows_the_frozen_pack_as_at_its_date(review, chair, monkeypatch, client_for):
    monkeypatch.undo()
    services.review_start_meeting(review=review, user=chair)
    page = client_for(chair).get(review.get_absolute_url()).content.decode()
    assert 'data-pack-state="frozen"' in page and "As at" in page
