from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from qms import services
from qms.choices import ActionStatus
from qms.models import Action
from tests.api import api
from tests.factories import ActionFactory, ProcessFactory

pytestmark = pytest.mark.django_db

today = timezone.localdate


def test_actions_get_sequential_references():
    first, second = ActionFactory(), ActionFactory()

    assert first.reference == "ACT-001"
    assert second.reference == "ACT-002"


def test_overdue_means_active_and_past_due():
    late = ActionFactory(due_date=today() - timedelta(days=1))
    late_but_done = ActionFactory(due_date=today() - timedelta(days=1), status=ActionStatus.DONE)
    on_time = ActionFactory(due_date=today())

    assert late.is_overdue and not late_but_done.is_overdue and not on_time.is_overdue
    assert list(Action.objects.overdue()) == [late]


def test_lifecycle_open_to_done_sets_completion_date(owner):
    action = ActionFactory(owner=owner)

    services.action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)
    services.action_move(action=action, user=owner, status=ActionStatus.DONE)

    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert action.completed_on == today()


def test_reopening_clears_completion_date(owner):
    action = ActionFactory(owner=owner)
    services.action_move(action=action, user=owner, status=ActionStatus.DONE)

    services.action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)

    assert action.completed_on is None


@pytest.mark.parametrize("start", [ActionStatus.CANCELLED, ActionStatus.VERIFIED_EFFECTIVE])
def test_closed_actions_cannot_move(owner, auditor, start):
    action = ActionFactory(owner=owner)
    if start == ActionStatus.CANCELLED:
        services.action_move(action=action, user=owner, status=ActionStatus.CANCELLED, note="Duplicate of ACT-001")
    else:
        services.action_move(action=action, user=owner, status=ActionStatus.DONE)
        services.action_check_effectiveness(action=action, user=auditor, effective=True, note="No recurrence")

    with pytest.raises(ValidationError):
        services.action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)


def test_effectiveness_is_checked_by_someone_other_than_the_owner(quality):
    action = ActionFactory(owner=quality, status=ActionStatus.DONE)

    with pytest.raises(PermissionDenied):
        services.action_check_effectiveness(action=action, user=quality, effective=True, note="Looks fine to me")


def test_nobody_checks_their_own_work_not_a_deputy_nor_who_completed_it_and_handed_it_over(owner, quality, auditor):
    deputised = ActionFactory(owner=owner)
    deputised.deputies.set([quality])
    services.action_move(action=deputised, user=quality, status=ActionStatus.DONE)
    handed_over = ActionFactory(owner=auditor)
    services.action_move(action=handed_over, user=auditor, status=ActionStatus.DONE)
    handed_over.owner = owner
    handed_over._history_user = auditor
    handed_over.save()

    with pytest.raises(PermissionDenied):
        services.action_check_effectiveness(action=deputised, user=quality, effective=True, note="Fine")
    with pytest.raises(PermissionDenied):
        services.action_check_effectiveness(action=handed_over, user=auditor, effective=True, note="Fine")
    services.action_check_effectiveness(action=handed_over, user=quality, effective=True, note="Audited")


def test_a_check_from_a_stale_page_does_not_undo_a_reopen(owner, auditor):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)
    seen_by_auditor = Action.objects.get(pk=action.pk)
    services.action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)

    with pytest.raises(ValidationError, match="Only a done action"):
        services.action_check_effectiveness(action=seen_by_auditor, user=auditor, effective=True, note="Fine")
    action.refresh_from_db()
    assert (action.status, action.completed_on) == (ActionStatus.IN_PROGRESS, None)


def test_a_checked_or_cancelled_action_stays_as_it_was_closed(client_for, owner, auditor):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)
    services.action_check_effectiveness(action=action, user=auditor, effective=True, note="No recurrence")

    page = client_for(owner).get(action.get_edit_url())
    rewritten = api(owner).patch(f"/api/actions/{action.pk}/", {"description": "Something else"}, format="json")

    assert page.status_code == 403
    assert rewritten.status_code == 400
    action.refresh_from_db()
    assert action.description != "Something else"


def test_contributor_cannot_check_effectiveness(owner, outsider):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)

    with pytest.raises(PermissionDenied):
        services.action_check_effectiveness(action=action, user=outsider, effective=True, note="Fine")


def test_effectiveness_check_needs_a_done_action_and_evidence(owner, auditor):
    action = ActionFactory(owner=owner)
    with pytest.raises(ValidationError):
        services.action_check_effectiveness(action=action, user=auditor, effective=True, note="Fine")

    Action.objects.filter(pk=action.pk).update(status=ActionStatus.DONE)
    with pytest.raises(ValidationError, match="what showed"):
        services.action_check_effectiveness(action=action, user=auditor, effective=True, note="   ")


def test_effectiveness_check_records_who_when_and_result(owner, auditor):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)

    services.action_check_effectiveness(action=action, user=auditor, effective=False, note="Same defect in week 3")

    action.refresh_from_db()
    assert action.status == ActionStatus.NOT_EFFECTIVE
    assert action.verified_by == auditor
    assert action.verified_at is not None
    assert action.verification_note == "Same defect in week 3"


def test_effectiveness_form_on_the_page(client_for, owner, auditor):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)
    url = reverse("qms:action_effectiveness", args=[action.pk])

    assert "Check effectiveness" in client_for(auditor).get(action.get_absolute_url()).content.decode()
    assert "Check effectiveness" not in client_for(owner).get(action.get_absolute_url()).content.decode()
    missing_evidence = client_for(auditor).post(url, {"effective": "yes", "note": ""})
    assert missing_evidence.status_code == 422
    response = client_for(auditor).post(url, {"effective": "yes", "note": "Six weeks clean"})

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.VERIFIED_EFFECTIVE


def test_owner_cannot_check_effectiveness_through_the_page(client_for, owner):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)

    response = client_for(owner).post(
        reverse("qms:action_effectiveness", args=[action.pk]), {"effective": "yes", "note": "Trust me"}
    )

    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_illegal_move_through_the_page_shows_a_message_and_changes_nothing(client_for, owner):
    action = ActionFactory(owner=owner)

    response = client_for(owner).post(
        reverse("qms:action_move", args=[action.pk]), {"status": ActionStatus.VERIFIED_EFFECTIVE}, follow=True
    )

    assert "is open now: that step is not open to it" in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_new_action_with_past_due_date_is_refused_and_keeps_the_input(client_for, owner):
    response = client_for(owner).post(
        reverse("qms:action_add"),
        {"title": "Keep me", "kind": "corrective", "owner": owner.pk, "due_date": "2000-01-01"},
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert "The due date cannot be in the past." in body
    assert 'value="Keep me"' in body
    assert not Action.objects.exists()


def test_new_action_requires_a_title(client_for, owner):
    response = client_for(owner).post(
        reverse("qms:action_add"), {"title": "", "kind": "corrective", "owner": owner.pk, "due_date": "2099-01-01"}
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_action_raised_from_a_process_links_back_to_it(client_for, owner):
    process = ProcessFactory(owner=owner)
    process_type = ContentType.objects.get_for_model(process).pk
    url = f"{reverse('qms:action_add')}?source_type={process_type}&source_id={process.pk}"

    form = client_for(owner).get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["processes"] == [process]
    response = client_for(owner).post(
        url,
        {
            "title": "Fix it",
            "kind": "corrective",
            "owner": owner.pk,
            "due_date": "2099-01-01",
            "processes": [process.pk],
        },
    )

    assert response.status_code == 302
    action = Action.objects.get()
    assert action.source == process
    assert list(Action.objects.raised_by(process)) == [action]


def test_raising_from_something_that_is_not_a_qms_record_is_404(client_for, owner):
    user_type = ContentType.objects.get_for_model(owner).pk

    response = client_for(owner).get(f"{reverse('qms:action_add')}?source_type={user_type}&source_id={owner.pk}")

    assert response.status_code == 404


def test_action_list_filters(client_for, owner, outsider):
    mine = ActionFactory(owner=owner, title="Mine")
    late = ActionFactory(owner=outsider, title="Late one", due_date=today() - timedelta(days=3))
    done = ActionFactory(owner=outsider, title="Done one", status=ActionStatus.DONE)
    client = client_for(owner)

    def titles(query: str) -> set[str]:
        return {a.title for a in client.get(f"{reverse('qms:action_list')}?{query}").context["object_list"]}

    assert titles("mine=true") == {mine.title}
    assert titles("overdue=true") == {late.title}
    assert titles("status=done") == {done.title}
    assert titles("q=late") == {late.title}


def test_action_list_answers_htmx_with_just_the_results(client_for, owner):
    ActionFactory(owner=owner, title="Fragment row")

    response = client_for(owner).get(reverse("qms:action_list"), headers={"HX-Request": "true"})

    body = response.content.decode()
    assert "Fragment row" in body
    assert "<html" not in body


def test_going_back_after_htmx_s_cache_missed_gets_the_whole_page(client_for, viewer):
    client = client_for(viewer)

    fragment = client.get(reverse("qms:action_list"), HTTP_HX_REQUEST="true")
    restored = client.get(reverse("qms:action_list"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" not in fragment.content.decode() and "<html" in restored.content.decode()
    assert "HX-Request" in fragment["Vary"]


def test_reopening_after_a_failed_check_clears_it_and_history_keeps_it(owner, auditor):
    action = ActionFactory(owner=owner, status=ActionStatus.DONE)
    services.action_check_effectiveness(action=action, user=auditor, effective=False, note="Came back in week 3")

    services.action_move(action=action, user=owner, status=ActionStatus.IN_PROGRESS)

    action.refresh_from_db()
    assert (action.verified_by, action.verified_at, action.verification_note) == (None, None, "")
    assert action.history.filter(verification_note="Came back in week 3", verified_by=auditor).exists()


def test_the_admin_never_deletes_an_action_nor_sets_its_status(client_for, quality):
    quality.is_staff = quality.is_superuser = True
    quality.save()
    action = ActionFactory()

    page = client_for(quality).get(f"/admin/qms/action/{action.pk}/change/").content.decode()

    assert 'name="status"' not in page
    assert client_for(quality).get(f"/admin/qms/action/{action.pk}/delete/").status_code == 403


def test_cancelling_needs_a_reason_which_history_keeps(owner):
    action = ActionFactory(owner=owner)

    with pytest.raises(ValidationError, match="Say why"):
        services.action_move(action=action, user=owner, status=ActionStatus.CANCELLED, note="  ")
    services.action_move(action=action, user=owner, status=ActionStatus.CANCELLED, note="Superseded by ACT-009")

    assert action.history.first().history_change_reason == "Superseded by ACT-009"


def test_the_page_asks_before_cancelling_and_keeps_the_reason(client_for, owner):
    action = ActionFactory(owner=owner)
    client = client_for(owner)
    url = reverse("qms:action_move", args=[action.pk])

    question = client.get(url, {"status": "cancelled"})
    refused = client.post(url, {"status": "cancelled", "note": ""})
    done = client.post(url, {"status": "cancelled", "note": "Customer withdrew the order"})

    assert question.status_code == 200 and "Why is it cancelled?" in question.content.decode()
    assert refused.status_code == 422 and "Say why the action is cancelled." in refused.content.decode()
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.CANCELLED
    assert action.history.first().history_change_reason == "Customer withdrew the order"


def test_the_question_comes_as_a_dialog_for_htmx(client_for, owner):
    action = ActionFactory(owner=owner)
    url = reverse("qms:action_move", args=[action.pk])

    response = client_for(owner).get(url, {"status": "done"}, headers={"HX-Request": "true"})
    finished = client_for(owner).post(url, {"status": "done", "note": ""}, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert "<html" not in page and 'hx-post="' in page and "Mark ACT" in page
    assert finished.headers["HX-Redirect"] == action.get_absolute_url()


def test_a_closed_action_offers_no_edit_to_anyone(client_for, owner, quality):
    action = ActionFactory(owner=owner)
    services.action_move(action=action, user=owner, status=ActionStatus.CANCELLED, note="Not needed")

    for person in (owner, quality):
        page = client_for(person).get(action.get_absolute_url()).content.decode()
        assert action.get_edit_url() not in page
        assert client_for(person).get(action.get_edit_url()).status_code == 403
