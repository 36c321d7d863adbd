"""The Django admin never does what the product forbids, even for a superuser quality manager: no
record is deleted, a closed record stays as it was closed, API tokens are not shown, and every save
is kept in history with who made it."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from processes.models import Process
from qms.admin import QMSAdmin
from qms.choices import ActionStatus, Role
from qms.models import Action
from tests.factories import ActionFactory, ProcessFactory, UserFactory

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
