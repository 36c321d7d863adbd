"""Single sign-on with OpenID Connect, on top of mozilla-django-oidc, for organisations whose
identity provider (Keycloak, Entra ID, Okta, ...) should decide who signs in. Off unless
OIDC_CLIENT_ID is set (qms/settings.py); then the sign-in page offers "Sign in with <provider>".

- `backends.SSOBackend` checks the ID token (signature from the provider's JWKS, issuer, audience,
  nonce, PKCE) and hands the claims to `services.sso_sign_in`, which finds, links or creates the
  person and takes their names, e-mail and role from the claims.
- `backends.PasswordGate` keeps password sign-in to superusers when OIDC_PASSWORD_LOGIN is off.
- A session signed in this way carries AUTH_VIA_KEY = "oidc": `signed_in_via_sso(request)` tells
  later steps (such as a second factor, which is the provider's job here) that it was.
"""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest

AUTH_VIA_KEY = "qms_auth_via"
AUTH_VIA_SSO = "oidc"
BACKEND = "qms.sso.backends.SSOBackend"


def signed_in_via_sso(request: HttpRequest) -> bool:
    """Whether this session's sign-in was a single sign-on. Django's own record of the backend is
    checked too, so a mark left behind by an earlier sign-in of another kind does not count."""
    session = request.session
    return session.get(AUTH_VIA_KEY) == AUTH_VIA_SSO and session.get(BACKEND_SESSION_KEY) == BACKEND


def not_a_password_guess(request: HttpRequest, credentials: dict | None) -> bool:
    """django-axes locks out guessing of a username's password. A single sign-on names no username
    (the provider has already checked the person), so its refusals are left out: counted per IP
    address, a handful of people without access behind one office's address would lock everyone
    there out."""
    return credentials is not None and credentials.get("username") is None
