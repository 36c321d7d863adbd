"""The authentication backends single sign-on adds (qms/settings.py lists them only when it is on)."""

import logging

import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import IntegrityError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from qms.models import User

from .services import SignInRefused, sso_sign_in

logger = logging.getLogger(__name__)


class SSOBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, which checks the ID token's signature (JWKS), expiry and nonce,
    with what it leaves out: the token's issuer and audience, and that the userinfo is about the
    same subject. Who the claims stand for is `sso_sign_in`'s to say."""

    def authenticate(self, request, **kwargs):
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException:
            logger.exception("Single sign-on: the provider could not be reached or refused the code")
            return None

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload) -> User | None:
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if payload.get("iss") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        if settings.OIDC_RP_CLIENT_ID not in audiences or (
            len(audiences) > 1 and payload.get("azp") != settings.OIDC_RP_CLIENT_ID
        ):
            raise SuspiciousOperation("The ID token is meant for another client.")
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo is about someone other than the ID token.")
        try:
            # The ID token's claims (where providers such as Entra ID put groups) with the userinfo's.
            return sso_sign_in(claims={**payload, **userinfo})
        except SignInRefused as refusal:
            logger.warning("Single sign-on refused subject %s: %s", payload.get("sub"), refusal)
            return None
        except IntegrityError:  # the same person's first sign-in in two tabs at once: one of them wins
            logger.warning("Single sign-on of subject %s met a concurrent one", payload.get("sub"))
            return None

    def get_user(self, user_id):
        # The library's get_user would bring back a deactivated person's session; Django's does not.
        return ModelBackend.get_user(self, user_id)


class PasswordGate:
    """With OIDC_PASSWORD_LOGIN off, only superusers (the break-glass accounts) sign in with a
    password. Listed before ModelBackend: a refusal stops the sign-in before any password is
    checked, and counts as a failure for the lockout, as a wrong password does."""

    def authenticate(self, request, username=None, password=None, **kwargs) -> None:
        if username is None or settings.OIDC_PASSWORD_LOGIN:
            return
        if not User.objects.filter(username=username, is_superuser=True).exists():
            raise PermissionDenied
