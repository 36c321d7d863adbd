"""The Django admin never does what the product forbids, even for a superuser quality manager: no
record is deleted, a closed record stays as it was closed, API tokens are not shown, and every save
is kept in history with who made it."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from packs.choices import PackStatus
from packs.models import EvidencePack
from processes.models import Process
from qms import services
from qms.admin import QMSAdmin
from qms.choices import ActionStatus, Role
from qms.models import Action, User
from tests.factories import ActionFactory, NonconformityFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db

QMS_APPS = {"qms", "processes", "objectives", "risks", "nonconformities", "audits", "reviews", "packs"}


@pytest.fixture
def superuser_quality(db):
    return UserFactory(username="qm-superuser", role=Role.QUALITY_MANAGER, is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client_for(client_for, superuser_quality):
    return client_for(superuser_quality)


def test_every_qms_model_in_the_admin_stands_on_the_shared_base():
    ours = {
        model: model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label in QMS_APPS
    }

    assert ours
    assert all(isinstance(model_admin, QMSAdmin) for model_admin in ours.values()), [
        model.__name__ for model, model_admin in ours.items() if not isinstance(model_admin, QMSAdmin)
    ]


def test_a_process_cannot_be_deleted_in_the_admin(admin_client_for):
    process = ProcessFactory()
    ActionFactory(processes=[process])
    url = reverse("admin:processes_process_delete", args=[process.pk])

    assert admin_client_for.get(url).status_code == 403
    assert admin_client_for.post(url, {"post": "yes"}).status_code == 403
    change_page = admin_client_for.get(reverse("admin:processes_process_change", args=[process.pk]))
    assert change_page.status_code == 200
    assert url not in change_page.content.decode()
    assert Process.objects.filter(pk=process.pk).exists()


def test_the_admin_offers_no_bulk_delete(admin_client_for):
    process = ProcessFactory()
    changelist = reverse("admin:processes_process_changelist")

    assert "delete_selected" not in admin_client_for.get(changelist).content.decode()
    admin_client_for.post(changelist, {"action": "delete_selected", "_selected_action": [process.pk], "post": "yes"})
    assert Process.objects.filter(pk=process.pk).exists()


def test_no_qms_model_may_be_deleted_in_the_admin(rf, superuser_quality):
    request = rf.get("/admin/")
    request.user = superuser_quality
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in QMS_APPS:
            assert not model_admin.has_delete_permission(request), model.__name__
            assert "delete_selected" not in model_admin.get_actions(request), model.__name__


@pytest.mark.parametrize("status", ActionStatus.closed())
def test_a_closed_action_cannot_be_changed_in_the_admin(admin_client_for, status):
    verified = {"completed_on": date.today(), "verified_at": timezone.now()} if status != ActionStatus.CANCELLED else {}
    action = ActionFactory(status=status, title="As it was closed", **verified)
    url = reverse("admin:qms_action_change", args=[action.pk])

    page = admin_client_for.get(url)
    response = admin_client_for.post(
        url, {"title": "Rewritten", "kind": action.kind, "owner": action.owner_id, "due_date": action.due_date}
    )

    assert page.status_code == 200  # shown, read-only
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.title == "As it was closed"


def test_an_open_action_changed_in_the_admin_is_kept_in_history_with_who_changed_it(
    admin_client_for, superuser_quality
):
    action = ActionFactory(title="Before")
    url = reverse("admin:qms_action_change", args=[action.pk])
    data = {
        "title": "After",
        "description": "",
        "kind": action.kind,
        "owner": action.owner_id,
        "due_date": action.due_date.isoformat(),
    }

    response = admin_client_for.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    action.refresh_from_db()
    latest = action.history.latest("history_date")
    assert (action.title, latest.title, latest.history_user) == ("After", "After", superuser_quality)


def test_what_an_action_was_raised_from_is_not_changed_in_the_admin(admin_client_for):
    nonconformity = NonconformityFactory()
    action = ActionFactory(source=nonconformity)
    url = reverse("admin:qms_action_change", args=[action.pk])
    data = {
        "title": action.title,
        "kind": action.kind,
        "owner": action.owner_id,
        "due_date": action.due_date.isoformat(),
        "source_type": ContentType.objects.get_for_model(Process).pk,
        "source_id": ProcessFactory().pk,
    }

    response = admin_client_for.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    action.refresh_from_db()
    assert action.source == nonconformity


@pytest.mark.parametrize("who", ["viewer", "deactivated"])
def test_the_admin_offers_as_owner_only_whom_the_app_offers(admin_client_for, who, viewer):
    person = viewer if who == "viewer" else UserFactory(is_active=False)
    process = ProcessFactory()
    url = reverse("admin:processes_process_change", args=[process.pk])
    data = {
        "name": process.name,
        "type": process.type,
        "status": process.status,
        "owner": person.pk,
        "deputies": [person.pk],
    }

    response = admin_client_for.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    process.refresh_from_db()
    assert process.owner != person
    assert not process.deputies.exists()


def test_an_action_gets_no_new_due_date_in_the_past_in_the_admin(admin_client_for):
    action = ActionFactory()
    due = action.due_date
    data = {"title": action.title, "kind": action.kind, "owner": action.owner_id, "due_date": "2020-01-01"}

    response = admin_client_for.post(reverse("admin:qms_action_change", args=[action.pk]), data)

    assert response.status_code == 200
    assert "The due date cannot be in the past." in response.content.decode()
    action.refresh_from_db()
    assert action.due_date == due


def test_a_past_version_is_not_written_back_over_a_closed_action(admin_client_for):
    action = ActionFactory(title="While open")
    opened = action.history.latest("history_date")
    action.status, action.title = ActionStatus.CANCELLED, "As it was cancelled"
    action.save()
    url = reverse("admin:qms_action_simple_history", args=[action.pk, opened.history_id])

    response = admin_client_for.post(
        url, {"title": "While open", "kind": action.kind, "owner": action.owner_id, "due_date": action.due_date}
    )

    assert response.status_code == 403
    action.refresh_from_db()
    assert (action.status, action.title) == (ActionStatus.CANCELLED, "As it was cancelled")


def test_nobody_sets_another_persons_password_in_the_admin(admin_client_for, owner):
    url = reverse("admin:auth_user_password_change", args=[owner.pk])

    response = admin_client_for.post(url, {"password1": "taken-over-9", "password2": "taken-over-9"})

    assert response.status_code == 403
    owner.refresh_from_db()
    assert not owner.check_password("taken-over-9")


def test_api_tokens_are_not_in_the_admin(admin_client_for):
    assert admin_client_for.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert admin_client_for.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert "authtoken" not in admin_client_for.get(reverse("admin:index")).content.decode()


def test_the_admin_still_answers_for_each_model(admin_client_for):
    ActionFactory()
    for model in admin.site._registry:
        if model._meta.app_label in QMS_APPS and model is not Action:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert admin_client_for.get(url).status_code == 200, url


def test_second_factors_are_not_in_the_admin(admin_client_for):
    for path in ("/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"):
        assert admin_client_for.get(path).status_code == 404


def test_an_evidence_pack_is_shown_read_only_in_the_admin(admin_client_for, superuser_quality):
    process = ProcessFactory()
    pack = EvidencePack(
        period_from=date(2026, 1, 1),
        period_to=date(2026, 6, 30),
        as_of=timezone.now(),
        requested_by=superuser_quality,
        status=PackStatus.DONE,
        sha256="0" * 64,
    )
    pack.file.save("pack.pdf", ContentFile(b"%PDF-1.7"), save=False)
    pack.save()
    pack.processes.set([process])

    page = admin_client_for.get(reverse("admin:packs_evidencepack_change", args=[pack.pk]))

    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert pack.get_download_url() in content  # the stored PDF, through the permission-checked download


# People
# ------------------------------------------------------------------------------


def _person_form(person, **changes) -> dict:
    """What the admin's change form of `person` posts, with `changes`."""
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "role": person.role,
        "job_title": person.job_title,
        "org_unit": person.org_unit_id or "",
        "is_active": "on" if person.is_active else "",
        "is_staff": "on" if person.is_staff else "",
        "is_superuser": "on" if person.is_superuser else "",
        "date_joined_0": person.date_joined.date().isoformat(),
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


@pytest.fixture
def superuser_leadership(db):
    return UserFactory(username="lead-superuser", role=Role.LEADERSHIP, is_superuser=True, is_staff=True)


def test_the_admin_keeps_the_last_quality_manager_one(client_for, superuser_leadership, quality):
    url = reverse("admin:qms_user_change", args=[quality.pk])

    response = client_for(superuser_leadership).post(url, _person_form(quality, role=Role.CONTRIBUTOR))

    assert response.status_code == 200
    assert "the last active quality manager" in response.content.decode()
    quality.refresh_from_db()
    assert quality.role == Role.QUALITY_MANAGER


def test_the_admin_keeps_the_last_quality_manager_active(client_for, superuser_leadership, quality):
    url = reverse("admin:qms_user_change", args=[quality.pk])

    response = client_for(superuser_leadership).post(url, _person_form(quality, is_active=""))

    assert response.status_code == 200
    assert "the last active quality manager" in response.content.decode()
    quality.refresh_from_db()
    assert quality.is_active


def test_nobody_gives_up_their_own_quality_manager_role_in_the_admin(admin_client_for, superuser_quality, quality):
    url = reverse("admin:qms_user_change", args=[superuser_quality.pk])

    response = admin_client_for.post(url, _person_form(superuser_quality, role=Role.LEADERSHIP))

    assert "You cannot give up your own quality manager role" in response.content.decode()
    superuser_quality.refresh_from_db()
    assert superuser_quality.role == Role.QUALITY_MANAGER


def test_a_deactivation_in_the_admin_signs_out_and_revokes_tokens_as_in_the_app(
    admin_client_for, superuser_quality, owner, client_for, django_capture_on_commit_callbacks
):
    token, _key = services.api_token_create(user=owner, name="laptop")
    owners_session = client_for(owner)
    url = reverse("admin:qms_user_change", args=[owner.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for.post(url, _person_form(owner, is_active=""))

    assert response.status_code == 302, response.content.decode()[:3000]
    owner.refresh_from_db()
    token.refresh_from_db()
    assert not owner.is_active
    assert token.revoked_at is not None
    assert owners_session.get(reverse("qms:dashboard")).status_code == 302  # signed out
    assert owner.history.latest("history_date").history_user == superuser_quality


def test_the_admin_changes_an_ordinary_persons_role_with_history(admin_client_for, superuser_quality, owner):
    url = reverse("admin:qms_user_change", args=[owner.pk])

    joined = owner.date_joined

    response = admin_client_for.post(url, _person_form(owner, role=Role.AUDITOR, date_joined_0="2001-01-01"))

    assert response.status_code == 302, response.content.decode()[:3000]
    owner.refresh_from_db()
    assert owner.date_joined == joined  # a fact, shown read-only
    latest = owner.history.latest("history_date")
    assert (owner.role, latest.role, latest.history_user) == (Role.AUDITOR, Role.AUDITOR, superuser_quality)


def test_a_staff_member_who_is_no_quality_manager_changes_nobody_in_the_admin(client_for, owner):
    staff = UserFactory(role=Role.LEADERSHIP, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_user"))
    url = reverse("admin:qms_user_change", args=[owner.pk])

    client_for(staff).post(url, _person_form(owner, role=Role.QUALITY_MANAGER))

    owner.refresh_from_db()
    assert owner.role != Role.QUALITY_MANAGER


def test_a_person_added_in_the_admin_is_invited_to_choose_their_own_password(
    admin_client_for, superuser_quality, mailoutbox
):
    url = reverse("admin:qms_user_add")
    data = {
        "username": "newcomer",
        "first_name": "New",
        "last_name": "Comer",
        "email": "newcomer@example.com",
        "role": Role.AUDITOR,
        "password1": "chosen-by-the-admin-1",
        "password2": "chosen-by-the-admin-1",
        "usable_password": "true",
    }

    page = admin_client_for.get(url)
    response = admin_client_for.post(url, data)

    assert page.status_code == 200
    assert 'name="password1"' not in page.content.decode()
    assert response.status_code == 302, response.content.decode()[:3000]
    person = User.objects.get(username="newcomer")
    assert not person.has_usable_password()
    assert [message.to for message in mailoutbox] == [["newcomer@example.com"]]
    assert person.history.latest("history_date").history_user == superuser_quality


def test_a_staff_member_who_is_no_quality_manager_changes_no_record_in_the_admin(client_for):
    staff = UserFactory(role=Role.LEADERSHIP, is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_process", "change_process", "add_process"])
    )
    process = ProcessFactory(name="As it was")
    client = client_for(staff)

    changed = client.post(
        reverse("admin:processes_process_change", args=[process.pk]),
        {"name": "Taken over", "type": process.type, "status": process.status, "owner": staff.pk},
    )

    assert client.get(reverse("admin:processes_process_change", args=[process.pk])).status_code == 200  # may look
    assert changed.status_code == 403
    assert client.get(reverse("admin:processes_process_add")).status_code == 403
    process.refresh_from_db()
    assert process.name == "As it was"


def test_only_a_superuser_lets_someone_into_the_admin(client_for, owner):
    staff_quality = UserFactory(role=Role.QUALITY_MANAGER, is_staff=True)
    staff_quality.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    url = reverse("admin:qms_user_change", args=[owner.pk])

    response = client_for(staff_quality).post(
        url, _person_form(owner, job_title="Machinist", is_staff="on", is_superuser="on")
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    owner.refresh_from_db()
    assert owner.job_title == "Machinist"  # what a quality manager may change, changed
    assert not (owner.is_staff or owner.is_superuser)
