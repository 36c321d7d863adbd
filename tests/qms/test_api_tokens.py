"""API tokens: named, expiring, revocable, stored only as digests, ended by a password change and
by deactivation; each person sees and revokes only their own, on their profile and in the API."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qms import services
from qms.choices import Role
from qms.models import ApiToken
from qms.models.tokens import key_digest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def make_token(user, name="Report", days=None) -> tuple[ApiToken, str]:
    return services.api_token_create(user=user, name=name, days=days)


def call(key: str, path: str = "/api/actions/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


def refused_because(response) -> str:
    assert response.status_code == 401, response.content
    return response.json()["detail"]


# Making and using a token
# ------------------------------------------------------------------------------


def test_the_token_endpoint_issues_a_named_expiring_token_shown_once(owner, settings):
    settings.API_TOKEN_DAYS = 30
    issued = APIClient().post("/api/auth/token/", {"username": "owner", "password": PASSWORD, "name": "Power BI"})

    assert issued.status_code == 200, issued.content
    body = issued.json()
    token = ApiToken.objects.get(user=owner)
    assert token.name == "Power BI"
    assert body["token"].startswith(token.prefix) and body["name"] == "Power BI"
    assert timedelta(days=29, hours=23) < token.expires_at - token.created_at <= timedelta(days=30)
    assert call(body["token"]).status_code == 200
    # Listing it never shows the key again.
    listed = APIClient()
    listed.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert body["token"] not in listed.get("/api/api-tokens/").content.decode()


def test_the_key_is_never_stored_in_clear(owner):
    token, key = make_token(owner)
    call(key)

    stored = [*ApiToken.objects.values_list(), *ApiToken.history.values_list()]
    assert stored
    assert not [row for row in stored if any(key in str(value) for value in row)]
    assert token.digest == key_digest(key) and token.prefix == key[: len(token.prefix)]
    assert len(token.prefix) < len(key) // 3


def test_the_lifetime_is_bounded(owner, settings):
    settings.API_TOKEN_MAX_DAYS = 100
    token, _key = make_token(owner, days=10_000)

    assert token.expires_at - token.created_at == timedelta(days=100)


def test_an_unknown_key_is_refused():
    assert refused_because(call("qms_not-a-token")) == "Invalid token."


def test_an_expired_token_is_refused_with_a_clear_401(owner):
    token, key = make_token(owner)
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(days=91), expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert "expired" in refused_because(call(key))


def test_last_used_is_written_at_most_once_a_minute(owner):
    token, key = make_token(owner)

    call(key)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        assert call(key).status_code == 200
    assert not [q for q in queries.captured_queries if "UPDATE" in q["sql"] and "apitoken" in q["sql"]]
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(seconds=61))
    call(key)
    token.refresh_from_db()
    assert token.last_used_at > first


# Revoking
# ------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_and_the_history_keeps_who_revoked_it(owner):
    token, key = make_token(owner)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(f"/api/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "revoked"
    assert "revoked" in refused_because(call(key))
    assert [(h.history_type, h.history_user) for h in token.history.order_by("history_id")] == [
        ("+", owner),
        ("~", owner),
    ]


def test_nobody_revokes_or_sees_someone_elses_token_through_the_api(owner, outsider):
    token, key = make_token(owner)
    _other, other_key = make_token(outsider)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")

    assert client.post(f"/api/api-tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/api/api-tokens/{token.pk}/").status_code == 404
    assert [t["id"] for t in client.get("/api/api-tokens/").json()] == [_other.pk]
    token.refresh_from_db()
    assert token.revoked_at is None
    assert call(key).status_code == 200


def test_the_service_refuses_to_revoke_someone_elses_token(owner, quality):
    token, _key = make_token(owner)

    with pytest.raises(PermissionDenied):
        services.api_token_revoke(token=token, user=quality)


# Password changes and deactivation
# ------------------------------------------------------------------------------


def test_changing_ones_password_on_the_page_ends_ones_tokens(client, owner):
    _token, key = make_token(owner)
    client.force_login(owner)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )

    assert response.status_code == 302
    assert "password changed" in refused_because(call(key))
    assert "API tokens you had stopped working" in client.get(response.url).content.decode()
    page = client.get(reverse("qms:user_detail", args=[owner.pk])).content.decode()
    assert "Ended by a password change" in page


def test_set_password_anywhere_ends_the_tokens(owner):
    _token, key = make_token(owner)
    assert call(key).status_code == 200

    owner.set_password("another-long-passphrase")
    owner.save()

    assert "password changed" in refused_because(call(key))


def test_a_password_set_in_the_admin_ends_the_tokens(client):
    """The admin sets no one else's password (see tests/qms/test_admin.py), but one's own, yes."""
    admin = UserFactory(username="admin", role=Role.QUALITY_MANAGER, is_staff=True, is_superuser=True)
    _token, key = make_token(admin)
    client.force_login(admin)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[admin.pk]),
        {"password1": "set-by-the-admin-1", "password2": "set-by-the-admin-1", "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    assert "password changed" in refused_because(call(key))


def test_a_password_hash_changed_without_the_model_still_ends_the_tokens(owner):
    _token, key = make_token(owner)

    type(owner).objects.filter(pk=owner.pk).update(password=make_password("via-a-bulk-update-1"))

    assert "password changed" in refused_because(call(key))


def test_deactivation_revokes_every_token(owner, quality):
    first, first_key = make_token(owner, name="One")
    second, _second_key = make_token(owner, name="Two")

    services.person_deactivate(person=owner, user=quality, reason="Left the company")

    assert ApiToken.objects.filter(user=owner, revoked_at__isnull=True).count() == 0
    assert first.history.latest().history_user == quality
    assert first.history.latest().history_change_reason == "Left the company"
    # Reactivated, the old tokens stay dead.
    services.person_reactivate(person=owner, user=quality)
    assert "revoked" in refused_because(call(first_key))


def test_a_deactivated_persons_token_is_refused_whatever_turned_them_off(owner):
    _token, key = make_token(owner)
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)

    assert "deactivated" in refused_because(call(key))


def test_a_deactivated_person_gets_no_token(owner):
    owner.is_active = False
    with pytest.raises(PermissionDenied):
        services.api_token_create(user=owner, name="Late")


# The profile page
# ------------------------------------------------------------------------------


def test_ones_profile_lists_ones_own_tokens_without_their_keys(client_for, owner, outsider):
    token, key = make_token(owner, name="Nightly export")
    make_token(outsider, name="Outsider's script")

    own = client_for(owner).get(reverse("qms:user_detail", args=[owner.pk])).content.decode()
    assert "Nightly export" in own and token.prefix in own and key not in own
    assert "Outsider&#x27;s script" not in own and "Outsider's script" not in own
    someone_elses = client_for(owner).get(reverse("qms:user_detail", args=[outsider.pk])).content.decode()
    assert "My API tokens" not in someone_elses and "Outsider" not in someone_elses.split("</h1>")[1]


def test_making_a_token_on_the_profile_shows_its_key_once(client_for, owner):
    browser = client_for(owner)
    assert browser.get(reverse("qms:apitoken_add")).status_code == 200

    response = browser.post(reverse("qms:apitoken_add"), {"name": "Power BI", "days": "30"})

    assert response.status_code == 200
    token = ApiToken.objects.get(user=owner)
    key = response.context["key"]
    assert token.digest == key_digest(key) and key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert key not in browser.get(reverse("qms:user_detail", args=[owner.pk])).content.decode()
    assert call(key).status_code == 200
    assert token.history.get().history_user == owner


def test_a_token_needs_a_name_and_a_bounded_lifetime(client_for, owner, settings):
    settings.API_TOKEN_MAX_DAYS = 365
    response = client_for(owner).post(reverse("qms:apitoken_add"), {"name": " ", "days": "366"})

    assert response.status_code == 422
    assert set(response.context["confirm"].form.errors) == {"name", "days"}
    assert not ApiToken.objects.exists()


def test_revoking_a_token_on_the_profile(client_for, owner):
    token, key = make_token(owner)
    browser = client_for(owner)
    url = reverse("qms:apitoken_revoke", args=[token.pk])

    assert browser.get(url).status_code == 200
    response = browser.post(url, {"reason": "Laptop lost"})

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.history.latest().history_change_reason == "Laptop lost"
    assert "revoked" in refused_because(call(key))


@pytest.mark.parametrize("who", ["outsider", "quality"])
def test_nobody_revokes_someone_elses_token_on_the_pages(request, client_for, owner, who):
    token, key = make_token(owner)
    url = reverse("qms:apitoken_revoke", args=[token.pk])
    browser = client_for(request.getfixturevalue(who))

    assert browser.get(url).status_code == 404
    assert browser.post(url, {"reason": "Mine now"}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert call(key).status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client, owner):
    token, _key = make_token(owner)

    assert client.get(reverse("qms:apitoken_add")).status_code == 302
    assert client.post(reverse("qms:apitoken_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_persons_history_tab_shows_tokens_made_and_revoked(client_for, quality, owner):
    token, _key = make_token(owner, name="Nightly export")
    services.api_token_revoke(token=token, user=owner, reason="Laptop lost")

    page = client_for(quality).get(reverse("qms:user_history", args=[owner.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Nightly export" in text and "Laptop lost" in text


def test_ones_profile_costs_the_same_queries_however_many_tokens(client_for, owner, django_assert_max_num_queries):
    browser = client_for(owner)
    make_token(owner)
    with django_assert_max_num_queries(20) as few:
        assert browser.get(reverse("qms:user_detail", args=[owner.pk])).status_code == 200

    for n in range(5):
        revoked, _key = make_token(owner, name=f"Old {n}")
        services.api_token_revoke(token=revoked, user=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert browser.get(reverse("qms:user_detail", args=[owner.pk])).status_code == 200
