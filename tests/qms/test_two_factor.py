"""Two-factor sign-in: setting it up on one's profile, the code after the password (and in the
token endpoint), recovery codes used once, wrong codes slowed and counted toward the lockout, the
quality manager's reset and requirement, and the history of each."""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from qms import services, twofactor
from qms.history import record_history
from qms.models import ApiToken, SecuritySettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_waiting_between_codes(settings):
    """django-otp slows the try after a wrong code by a second or more; the test that checks it
    turns this back on."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def _clock_in_step(settings):
    """The app's clock and the test's agree: no drift is learnt from the codes tests give."""
    settings.OTP_TOTP_SYNC = False


def code_for(user) -> str:
    """A code the person's authenticator app shows: the server takes the one of the previous, the
    current and the next 30 seconds, each once, so this gives the earliest not yet used."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    now = totp.t()
    step = max(now - 1, device.last_t + 1)
    assert step <= now + 1, "a test used more than three codes within a minute"
    totp.time = device.t0 + step * device.step
    return f"{totp.token():06d}"


def enrol(user) -> list[str]:
    """Turn two-factor sign-in on for `user` as the set-up page does; returns the recovery codes."""
    twofactor.enrol_start(user=user)
    codes = twofactor.enrol_confirm(user=user, code=code_for(user))
    user.refresh_from_db()
    return codes


def password_step(client: Client, username: str, next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def signed_in(client: Client) -> bool:
    return client.get(reverse("qms:my_work")).status_code == 200


# Signing in
# ------------------------------------------------------------------------------


def test_without_two_factor_the_password_alone_signs_in(owner):
    client = Client()
    assert password_step(client, "owner")["Location"] == reverse("qms:dashboard")
    assert signed_in(client)


def test_with_two_factor_the_password_alone_does_not_sign_in(owner):
    enrol(owner)
    client = Client()

    answer = password_step(client, "owner", next_url="/actions/")

    assert answer["Location"] == reverse("login_code")
    assert not signed_in(client)
    page = client.get(reverse("login_code"))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert "autofocus" in page.content.decode()
    assert not signed_in(client)

    answer = client.post(reverse("login_code"), {"code": code_for(owner)})
    assert answer.status_code == 302 and answer["Location"] == "/actions/"
    assert signed_in(client)


def test_a_wrong_code_is_refused_and_counts_toward_the_lockout(owner, settings):
    enrol(owner)
    client = Client()
    password_step(client, "owner")

    refused = client.post(reverse("login_code"), {"code": "000000"})

    assert refused.status_code == 422
    assert "That code is not right" in refused.content.decode()
    assert not signed_in(client)
    assert AccessAttempt.objects.get(username="owner").failures_since_start == 1

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        answer = client.post(reverse("login_code"), {"code": "000000"})
    assert answer.status_code == 429
    # Locked out: neither the code step nor the password get further for now, even when right.
    assert client.post(reverse("login_code"), {"code": code_for(owner)}).status_code == 302
    assert not signed_in(client)
    assert password_step(Client(), "owner").status_code == 429


def test_wrong_codes_slow_the_next_try(owner, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    enrol(owner)
    client = Client()
    password_step(client, "owner")
    client.post(reverse("login_code"), {"code": "000000"})

    slowed = client.post(reverse("login_code"), {"code": code_for(owner)})

    assert slowed.status_code == 422
    assert "Too many wrong codes: wait" in slowed.content.decode()
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(owner):
    codes = enrol(owner)
    first = Client()
    password_step(first, "owner")
    assert first.post(reverse("login_code"), {"code": codes[0].upper().replace("-", " ")}).status_code == 302
    assert signed_in(first)

    again = Client()
    password_step(again, "owner")
    assert again.post(reverse("login_code"), {"code": codes[0]}).status_code == 422
    assert not signed_in(again)
    assert twofactor.recovery_codes_left(owner) == 9


def test_recovery_codes_are_stored_only_as_digests(owner):
    codes = enrol(owner)
    stored = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes} and not stored & set(codes)
    assert stored == {twofactor.recovery_digest(code) for code in codes}


def test_the_code_step_ends_after_five_minutes(owner, monkeypatch):
    enrol(owner)
    client = Client()
    password_step(client, "owner")
    later = time.time() + twofactor.PENDING_SECONDS + 1
    monkeypatch.setattr(twofactor.time, "time", lambda: later)

    answer = client.post(reverse("login_code"), {"code": code_for(owner)})

    assert answer["Location"] == reverse("login")
    assert not signed_in(client)


def test_the_code_step_without_a_password_first_goes_back_to_sign_in(client):
    assert client.get(reverse("login_code"))["Location"] == reverse("login")


def test_the_admin_signs_in_through_the_same_two_steps(client):
    answer = client.get("/admin/login/?next=/admin/")
    assert answer.status_code == 302 and answer["Location"] == reverse("login") + "?next=/admin/"


# Setting it up, recovery codes and turning it off
# ------------------------------------------------------------------------------


def test_setting_it_up_needs_a_right_code_then_shows_the_recovery_codes_once(client_for, owner):
    client = client_for(owner)
    page = client.get(reverse("qms:twofactor_setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body.split("</head>")[1]
    secret = page.context["enrolment"].secret
    assert client.get(reverse("qms:twofactor_setup")).context["enrolment"].secret == secret  # the same on reload
    assert page["Cache-Control"].startswith("max-age=0")

    refused = client.post(reverse("qms:twofactor_setup"), {"code": "000000"})
    assert refused.status_code == 422
    owner.refresh_from_db()
    assert owner.two_factor_since is None and not twofactor.is_enrolled(owner)

    shown = client.post(reverse("qms:twofactor_setup"), {"code": code_for(owner)})
    assert shown.status_code == 200
    assert len(shown.context["codes"]) == 10
    owner.refresh_from_db()
    assert owner.two_factor_since is not None and twofactor.is_enrolled(owner)
    # The codes are not shown again: the set-up is done.
    profile = reverse("qms:user_detail", args=[owner.pk])
    assert client.get(reverse("qms:twofactor_setup"))["Location"].startswith(profile)


def test_new_recovery_codes_need_a_code_and_end_the_old_ones(client_for, owner):
    old = enrol(owner)
    client = client_for(owner)
    assert client.get(reverse("qms:twofactor_recovery_codes")).status_code == 200
    assert client.post(reverse("qms:twofactor_recovery_codes"), {"code": "000000"}).status_code == 422

    answer = client.post(reverse("qms:twofactor_recovery_codes"), {"code": old[0]})

    new = answer.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.verify(owner, new[1])
    assert not twofactor.verify(owner, old[1])


def test_turning_it_off_needs_a_current_code_and_is_kept_in_history(client_for, owner, quality):
    enrol(owner)
    client = client_for(owner)
    assert client.post(reverse("qms:twofactor_disable"), {"code": "123456"}).status_code == 422
    assert twofactor.is_enrolled(owner)

    answer = client.post(reverse("qms:twofactor_disable"), {"code": code_for(owner)})

    assert answer.status_code == 302
    owner.refresh_from_db()
    assert owner.two_factor_since is None and not twofactor.is_enrolled(owner)
    assert twofactor.recovery_codes_left(owner) == 0
    entries = [e for e in record_history(owner) if not e.part]
    assert [(e.user, e.reason) for e in entries[:2]] == [
        (owner, "Two-factor sign-in turned off."),
        (owner, "Two-factor sign-in turned on."),
    ]
    assert [c.name for c in entries[0].changes] == ["two_factor_since"]
    # The History tab shows it to quality managers, and never the secret.
    tab = client_for(quality).get(reverse("qms:user_history", args=[owner.pk])).content.decode()
    assert "Two-factor sign-in turned on." in tab and "two-factor sign-in since" in tab.lower()
    assert TOTPDevice.objects.filter(user=owner).count() == 0


def test_one_keeps_it_on_while_ones_role_requires_it(client_for, lead):
    enrol(lead)
    SecuritySettings.objects.update_or_create(pk=1, defaults={"two_factor_required": True})
    answer = client_for(lead).post(reverse("qms:twofactor_disable"), {"code": code_for(lead)})
    assert answer.status_code == 422
    assert "Your role requires two-factor sign-in" in answer.content.decode()
    assert twofactor.is_enrolled(lead)


def test_the_profile_card_shows_ones_own_second_factor_only(client_for, owner, outsider):
    client = client_for(owner)
    own = client.get(reverse("qms:user_detail", args=[owner.pk])).content.decode()
    assert 'id="two-factor"' in own and reverse("qms:twofactor_setup") in own
    other = client.get(reverse("qms:user_detail", args=[outsider.pk])).content.decode()
    assert 'id="two-factor"' not in other and reverse("qms:twofactor_reset", args=[outsider.pk]) not in other

    enrol(owner)
    own = client.get(reverse("qms:user_detail", args=[owner.pk])).content.decode()
    assert "10 unused recovery codes" in own and reverse("qms:twofactor_disable") in own


def test_ones_profile_with_two_factor_costs_a_fixed_number_of_queries(client_for, owner, django_assert_max_num_queries):
    enrol(owner)
    client = client_for(owner)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("qms:user_detail", args=[owner.pk])).status_code == 200


# The quality manager's reset and requirement
# ------------------------------------------------------------------------------


def test_a_quality_manager_resets_a_persons_lost_second_factor_with_a_reason(client_for, quality, owner):
    enrol(owner)
    client = client_for(quality)
    page = client.get(reverse("qms:user_detail", args=[owner.pk])).content.decode()
    assert reverse("qms:twofactor_reset", args=[owner.pk]) in page
    assert client.post(reverse("qms:twofactor_reset", args=[owner.pk]), {"reason": ""}).status_code == 422

    answer = client.post(reverse("qms:twofactor_reset", args=[owner.pk]), {"reason": "Lost phone, called me"})

    assert answer.status_code == 302
    owner.refresh_from_db()
    assert owner.two_factor_since is None and not twofactor.is_enrolled(owner)
    latest = record_history(owner)[0]
    assert (latest.user, latest.reason) == (quality, "Lost phone, called me")
    fresh = Client()
    assert password_step(fresh, "owner")["Location"] == reverse("qms:dashboard")  # the password alone again


@pytest.mark.parametrize("who", ["owner", "outsider", "lead"])
def test_nobody_else_resets_someone_elses_second_factor(request, client_for, owner, who):
    """One's own is turned off with a code, not reset; a quality manager resets other people's."""
    enrol(owner)
    client = client_for(request.getfixturevalue(who))
    assert client.post(reverse("qms:twofactor_reset", args=[owner.pk]), {"reason": "x"}).status_code == 403
    assert twofactor.is_enrolled(owner)


def test_only_a_quality_manager_requires_two_factor_and_history_keeps_it(client_for, quality, lead):
    assert client_for(lead).get(reverse("qms:security_settings")).status_code == 403
    assert client_for(lead).post(reverse("qms:security_settings"), {"two_factor_required": "on"}).status_code == 403
    assert not SecuritySettings.current().two_factor_required

    client = client_for(quality)
    assert client.get(reverse("qms:security_settings")).status_code == 200
    assert not SecuritySettings.history.exists()  # looking writes nothing, nor history in anyone's name
    answer = client.post(reverse("qms:security_settings"), {"two_factor_required": "on", "reason": "ISO 27001 audit"})

    assert answer.status_code == 302
    current = SecuritySettings.current()
    assert current.two_factor_required
    row = current.history.latest()
    assert (row.history_user, row.history_change_reason) == (quality, "ISO 27001 audit")
    assert f"by {quality}" in client.get(reverse("qms:security_settings")).content.decode()


def test_it_is_not_required_by_default():
    assert not SecuritySettings.current().two_factor_required


def test_a_required_role_without_a_second_factor_is_held_to_setting_it_up(lead, outsider):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"two_factor_required": True})
    client = Client()
    password_step(client, "lead")

    for path in (reverse("qms:my_work"), reverse("qms:action_list"), reverse("qms:user_detail", args=[lead.pk])):
        answer = client.get(path)
        assert answer.status_code == 302 and answer["Location"] == reverse("qms:twofactor_setup")
    assert client.get("/api/actions/").status_code == 403  # the API with the session, too
    page = client.get(reverse("qms:twofactor_setup"))
    assert page.status_code == 200 and "Your role requires two-factor sign-in" in page.content.decode()
    leaving = Client()  # signing out is the one other way
    password_step(leaving, "lead")
    assert leaving.post(reverse("logout"))["Location"] == reverse("login")

    assert client.post(reverse("qms:twofactor_setup"), {"code": code_for(lead)}).status_code == 200
    assert signed_in(client)

    other = Client()  # a role it is not required of signs in as before
    password_step(other, "outsider")
    assert signed_in(other)


def test_sign_ins_through_an_exempt_backend_are_not_held(settings, lead):
    """The hook for single sign-on: its identity provider asks for the second factor."""
    SecuritySettings.objects.update_or_create(pk=1, defaults={"two_factor_required": True})
    sso = "tests.qms.test_two_factor.SingleSignOnBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, sso]
    held = Client()
    held.force_login(lead, backend=sso)
    assert not signed_in(held)

    settings.TWO_FACTOR_EXEMPT_BACKENDS = [sso]
    client = Client()
    client.force_login(lead, backend=sso)
    assert signed_in(client)


class SingleSignOnBackend(ModelBackend):
    """Stands in for an identity provider's backend."""


# The API token endpoint
# ------------------------------------------------------------------------------


def obtain(**data):
    return APIClient().post("/api/auth/token/", {"username": "owner", "password": PASSWORD, **data})


def test_the_token_endpoint_asks_for_the_code_of_people_with_two_factor(owner):
    enrol(owner)

    missing = obtain()
    assert missing.status_code == 400 and "otp" in missing.json()
    wrong = obtain(otp="000000")
    assert wrong.status_code == 400 and "otp" in wrong.json()
    assert AccessAttempt.objects.get(username="owner").failures_since_start == 1
    assert not ApiToken.objects.filter(user=owner).exists()

    issued = obtain(otp=code_for(owner))
    assert issued.status_code == 200 and issued.json()["token"]


def test_the_token_endpoint_refuses_a_required_role_without_a_second_factor(lead):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"two_factor_required": True})
    answer = APIClient().post("/api/auth/token/", {"username": "lead", "password": PASSWORD})
    assert answer.status_code == 403


def test_tokens_made_before_two_factor_keep_working(owner):
    _token, key = services.api_token_create(user=owner, name="Report")
    enrol(owner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/actions/").status_code == 200


def test_people_without_two_factor_obtain_tokens_with_the_password_alone(db):
    UserFactory(username="owner")
    assert obtain().status_code == 200
