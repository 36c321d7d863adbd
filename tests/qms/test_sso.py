"""Single sign-on with OpenID Connect (qms.sso). The provider is a fake at the HTTP level (`responses`):
its token endpoint hands out ID tokens really signed with an RSA key made here, whose public half
its JWKS endpoint publishes, so the library's signature, nonce and PKCE checks run for real."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from qms.choices import Role
from qms.models import User
from qms.sso import signed_in_via_sso
from tests.factories import UserFactory
from tests.test_settings import run_django

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.com/realms/acme"
CLIENT_ID = "qms"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k1", "alg": "RS256"}]}
PASSWORD_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]


@pytest.fixture
def sso(settings):
    """Single sign-on on, as the environment would set it (qms/settings.py)."""
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "s3cret"
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/auth"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/certs"
    settings.OIDC_OP_LOGOUT_ENDPOINT = ""
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    settings.OIDC_ROLE_MAP = []
    settings.OIDC_DEFAULT_ROLE = Role.VIEWER
    settings.OIDC_CREATE_USERS = False
    settings.OIDC_PASSWORD_LOGIN = True
    settings.AXES_WHITELIST_CALLABLE = "qms.sso.not_a_password_guess"
    settings.AUTHENTICATION_BACKENDS = [
        PASSWORD_BACKENDS[0],
        "qms.sso.backends.PasswordGate",
        PASSWORD_BACKENDS[1],
        "qms.sso.backends.SSOBackend",
    ]
    return settings


def sign_in(client, claims: dict, *, id_claims: dict | None = None, key=KEY, userinfo: dict | None = None):
    """Go through the code flow as a browser would; the provider signs the person in with `claims`
    (`id_claims` change the ID token's own, `userinfo` what the userinfo endpoint answers)."""
    start = client.get(reverse("sso:sign_in"), {"next": "/my-work/"})
    assert start.status_code == 302
    asked = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith(f"{ISSUER}/auth?")
    assert asked["code_challenge_method"] == ["S256"]
    now = int(time.time())
    id_token = jwt.encode(
        {"iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": asked["nonce"][0], **claims}
        | (id_claims or {}),
        key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as provider:
        token = provider.post(
            f"{ISSUER}/token", json={"id_token": id_token, "access_token": "at-1", "token_type": "Bearer"}
        )
        provider.get(f"{ISSUER}/certs", json=JWKS)
        provider.get(f"{ISSUER}/userinfo", json=claims if userinfo is None else userinfo)
        response = client.get(reverse("sso:callback"), {"code": "code-1", "state": asked["state"][0]})
    if token.calls:
        sent = parse_qs(token.calls[0].request.body)
        assert sent["code"] == ["code-1"] and sent["code_verifier"]
    return response


def signed_in_as(client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def claims_for(sub: str, **more) -> dict:
    return {"sub": sub, "given_name": "Ada", "family_name": "Lovelace", **more}


# Off
# ------------------------------------------------------------------------------


def test_nothing_is_offered_or_answered_when_sso_is_not_configured(client, owner):
    assert not django_settings.OIDC_ENABLED
    assert "qms.sso.backends.SSOBackend" not in django_settings.AUTHENTICATION_BACKENDS

    page = client.get(reverse("login"))
    assert "Sign in with" not in page.text and 'name="password"' in page.text
    assert client.get(reverse("sso:sign_in")).status_code == 404
    assert client.get(reverse("sso:callback"), {"code": "c", "state": "s"}).status_code == 404
    assert client.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"}).status_code == 302


def test_starting_up_with_a_client_id_needs_the_provider_endpoints():
    result = run_django("check", OIDC_CLIENT_ID="qms", OIDC_ISSUER=ISSUER)

    assert result.returncode != 0
    assert "OIDC_CLIENT_SECRET, OIDC_AUTHORIZATION_ENDPOINT" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OIDC_ROLE_MAP", "qms-leaders=boss"), ("OIDC_ROLE_MAP", "qms-leaders"), ("OIDC_DEFAULT_ROLE", "admin")],
)
def test_a_bad_role_setting_fails_at_start(variable, value):
    result = run_django("check", **{variable: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} " in result.stderr


# The sign-in page
# ------------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_provider_beside_the_password_form(sso, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        page = client.get(reverse("login"), {"next": "/risks/"})

    assert "Sign in with Acme ID" in page.text
    assert f"{reverse('sso:sign_in')}?next=%2Frisks%2F" in page.text
    assert 'name="password"' in page.text


def test_without_password_sign_in_only_superusers_get_the_form_and_through_it(sso, client, owner):
    sso.OIDC_PASSWORD_LOGIN = False
    admin = UserFactory(username="breakglass", is_superuser=True, is_staff=True)

    page = client.get(reverse("login"))
    assert "Sign in with Acme ID" in page.text and 'name="password"' not in page.text
    assert "Administrator sign-in" in page.text
    assert 'name="password"' in client.get(reverse("login"), {"password": ""}).text

    refused = client.post(f"{reverse('login')}?password", {"username": "owner", "password": "correct-horse-battery"})
    assert refused.status_code == 200 and "do not match" in refused.text
    assert signed_in_as(client) is None
    client.post(reverse("login"), {"username": "breakglass", "password": "correct-horse-battery"})
    assert signed_in_as(client) == admin


def test_refused_single_sign_ons_lock_no_one_out_but_password_guesses_still_do(sso, client, owner, lead):
    owner.sso_subject = "sub-1"
    owner.save()
    for attempt in range(django_settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, claims_for(f"stranger-{attempt}"))

    assert sign_in(client, claims_for("sub-1")).url == "/my-work/"
    assert signed_in_as(client) == owner

    guesser = type(client)()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        guesser.post(reverse("login"), {"username": "lead", "password": "wrong-guess-000"})
    locked = guesser.post(reverse("login"), {"username": "lead", "password": "correct-horse-battery"})
    assert locked.status_code == 429


def test_the_content_security_policy_lets_sign_out_go_on_to_the_provider():
    show = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    env = {"OIDC_CLIENT_ID": "qms", "OIDC_CLIENT_SECRET": "s", "OIDC_ISSUER": ISSUER}
    env |= {f"OIDC_{name}": f"{ISSUER}/{name.lower()}" for name in ("AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT")}
    env |= {"OIDC_USERINFO_ENDPOINT": f"{ISSUER}/userinfo", "OIDC_JWKS_URI": f"{ISSUER}/certs"}

    result = run_django("shell", "-c", show, **env, OIDC_END_SESSION_ENDPOINT=f"{ISSUER}/logout")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("'self'\", 'https://idp.example.com']")


# Who signs in
# ------------------------------------------------------------------------------


def test_a_linked_person_signs_in_by_subject_and_the_session_says_how(sso, client, owner):
    owner.sso_subject = "sub-1"
    owner.save()

    response = sign_in(client, claims_for("sub-1", email="someone-else@example.com", email_verified=True))

    assert response.status_code == 302 and response.url == "/my-work/"
    assert signed_in_as(client) == owner
    owner.refresh_from_db()
    assert (owner.first_name, owner.last_name, owner.email) == ("Ada", "Lovelace", "someone-else@example.com")
    assert client.session["qms_auth_via"] == "oidc"
    request = type("Request", (), {"session": client.session})
    assert signed_in_via_sso(request)
    change = owner.history.get(history_change_reason="Single sign-on through Acme ID.")
    assert change.history_user is None and change.first_name == "Ada"


def test_the_first_sign_in_links_the_person_with_the_verified_email(sso, client, owner):
    sign_in(client, claims_for("sub-1", email="OWNER@example.com", email_verified=True))

    owner.refresh_from_db()
    assert signed_in_as(client) == owner and owner.sso_subject == "sub-1"
    assert owner.history.get(history_change_reason="Single sign-on through Acme ID.").sso_subject == "sub-1"


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_never_linked_nor_taken_over(sso, client, owner, verified):
    sso.OIDC_CREATE_USERS = True
    claims = claims_for("attacker", email="owner@example.com", email_verified=verified)

    response = sign_in(client, claims)

    assert response.status_code == 302 and response.url == reverse("login")
    assert signed_in_as(client) is None
    owner.refresh_from_db()
    assert owner.sso_subject == "" and not User.objects.filter(sso_subject="attacker").exists()
    assert "Single sign-on did not sign you in" in client.get(reverse("login")).text


def test_an_admin_account_is_not_linked_by_email(sso, client):
    UserFactory(username="root", email="root@example.com", is_superuser=True, is_staff=True)

    sign_in(client, claims_for("sub-1", email="root@example.com", email_verified=True))

    assert signed_in_as(client) is None


def test_someone_linked_to_another_subject_is_not_linked_again(sso, client, owner):
    owner.sso_subject = "sub-1"
    owner.save()

    sign_in(client, claims_for("sub-2", email="owner@example.com", email_verified=True))

    assert signed_in_as(client) is None
    owner.refresh_from_db()
    assert owner.sso_subject == "sub-1"


@pytest.mark.parametrize("create", [True, False])
def test_someone_new_gets_an_account_only_when_creation_is_on(sso, client, create):
    sso.OIDC_CREATE_USERS = create

    sign_in(client, claims_for("sub-9", email="ada@example.com", email_verified=True, preferred_username="ada"))

    person = User.objects.filter(sso_subject="sub-9").first()
    assert (person is not None) == create
    assert signed_in_as(client) == person
    if create:
        assert (person.username, person.email, person.role) == ("ada", "ada@example.com", Role.VIEWER)
        assert not person.has_usable_password()
        created = person.history.last()
        assert created.history_type == "+" and created.history_change_reason == "Single sign-on through Acme ID."
        assert "Change password" not in client.get(reverse("qms:dashboard")).content.decode()  # they have none


def test_someone_with_a_password_is_offered_to_change_it(client, owner):
    client.force_login(owner)

    assert "Change password" in client.get(reverse("qms:dashboard")).content.decode()


def test_a_deactivated_person_is_refused_and_left_unchanged(sso, client, owner):
    owner.sso_subject, owner.is_active = "sub-1", False
    owner.save()
    before = owner.history.count()

    sign_in(client, claims_for("sub-1", given_name="Changed"))

    assert signed_in_as(client) is None
    owner.refresh_from_db()
    assert owner.first_name != "Changed" and owner.history.count() == before


# Checks on the provider's answer
# ------------------------------------------------------------------------------


def test_a_token_signed_with_another_key_is_refused(sso, client, owner):
    owner.sso_subject = "sub-1"
    owner.save()

    response = sign_in(client, claims_for("sub-1"), key=OTHER_KEY)

    assert response.status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "id_claims",
    [{"iss": "https://evil.example.com"}, {"aud": "another-app"}, {"aud": [CLIENT_ID, "x"], "azp": "x"}],
)
def test_a_token_from_another_issuer_or_for_another_client_is_refused(sso, client, owner, id_claims):
    owner.sso_subject = "sub-1"
    owner.save()

    sign_in(client, claims_for("sub-1"), id_claims=id_claims)

    assert signed_in_as(client) is None


def test_a_provider_that_refuses_the_code_or_the_person_sends_them_back_to_sign_in(sso, client):
    asked = parse_qs(urlsplit(client.get(reverse("sso:sign_in")).url).query)
    with responses.RequestsMock() as provider:
        provider.post(f"{ISSUER}/token", status=400, json={"error": "invalid_grant"})
        refused = client.get(reverse("sso:callback"), {"code": "stale", "state": asked["state"][0]})
    cancelled = client.get(reverse("sso:callback"), {"error": "access_denied", "state": "whatever"})

    for response in (refused, cancelled):
        assert response.status_code == 302 and response.url == reverse("login")
    assert signed_in_as(client) is None
    assert "Single sign-on did not sign you in" in client.get(reverse("login")).text


def test_userinfo_about_someone_else_is_refused(sso, client, owner, lead):
    owner.sso_subject, lead.sso_subject = "sub-1", "sub-2"
    User.objects.bulk_update([owner, lead], ["sso_subject"])

    sign_in(client, claims_for("sub-1"), userinfo=claims_for("sub-2"))

    assert signed_in_as(client) is None


# Roles from groups
# ------------------------------------------------------------------------------


@pytest.fixture
def role_map(sso):
    sso.OIDC_ROLE_MAP = [("qms-quality", Role.QUALITY_MANAGER), ("qms-leaders", Role.LEADERSHIP)]
    return sso


def test_the_first_mapped_group_gives_the_role_and_the_history_says_sso_did_it(
    role_map, client, client_for, owner, quality
):
    owner.sso_subject = "sub-1"
    owner.save()

    sign_in(client, claims_for("sub-1", groups=["staff", "qms-leaders", "qms-quality"]))

    owner.refresh_from_db()
    assert owner.role == Role.QUALITY_MANAGER
    change = owner.history.get(history_change_reason="Single sign-on through Acme ID.")
    assert (change.prev_record.role, change.role) == (Role.PROCESS_OWNER, Role.QUALITY_MANAGER)
    assert change.history_user is None
    tab = client_for(quality).get(reverse("qms:user_history", args=[owner.pk])).text
    assert "Single sign-on through Acme ID." in tab and "Quality manager" in tab


def test_no_mapped_group_gives_the_default_role(role_map, client, owner):
    owner.sso_subject = "sub-1"
    owner.save()

    sign_in(client, claims_for("sub-1", groups="everyone"))

    owner.refresh_from_db()
    assert signed_in_as(client) == owner and owner.role == Role.VIEWER


def test_no_mapped_group_is_refused_when_the_default_says_so(role_map, client, owner):
    role_map.OIDC_DEFAULT_ROLE = "refuse"
    owner.sso_subject = "sub-1"
    owner.save()

    sign_in(client, claims_for("sub-1", groups=[]))

    owner.refresh_from_db()
    assert signed_in_as(client) is None and owner.role == Role.PROCESS_OWNER


def test_without_a_role_map_the_role_stays_as_the_qms_has_it(sso, client, owner):
    owner.sso_subject = "sub-1"
    owner.save()

    sign_in(client, claims_for("sub-1", groups=["qms-leaders"]))

    owner.refresh_from_db()
    assert signed_in_as(client) == owner and owner.role == Role.PROCESS_OWNER


def test_the_last_quality_manager_keeps_the_role_whatever_the_groups_say(role_map, client, quality, caplog):
    quality.sso_subject = "sub-1"
    quality.save()

    sign_in(client, claims_for("sub-1", groups=["qms-leaders"]))

    quality.refresh_from_db()
    assert signed_in_as(client) == quality and quality.role == Role.QUALITY_MANAGER
    assert "stays quality manager, the last active one" in caplog.text


def test_a_quality_manager_with_a_colleague_follows_the_groups(role_map, client, quality):
    UserFactory(role=Role.QUALITY_MANAGER)
    quality.sso_subject = "sub-1"
    quality.save()

    sign_in(client, claims_for("sub-1", groups=["qms-leaders"]))

    quality.refresh_from_db()
    assert quality.role == Role.LEADERSHIP


# Sign-out
# ------------------------------------------------------------------------------


def test_sign_out_goes_on_to_the_provider_when_it_has_an_end_session_endpoint(sso, client, owner):
    sso.OIDC_OP_LOGOUT_ENDPOINT = f"{ISSUER}/logout"
    sso.OIDC_STORE_ID_TOKEN = True
    owner.sso_subject = "sub-1"
    owner.save()
    sign_in(client, claims_for("sub-1"))

    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/logout?")
    sent = parse_qs(urlsplit(response.url).query)
    assert sent["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert sent["client_id"] == [CLIENT_ID] and sent["id_token_hint"]
    assert signed_in_as(client) is None


def test_a_password_session_signs_out_here_only(sso, client, owner):
    sso.OIDC_OP_LOGOUT_ENDPOINT = f"{ISSUER}/logout"
    client.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"})

    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response.url == reverse("login")
    assert signed_in_as(client) is None
