"""API authentication by the people's named, expiring tokens (qms.models.ApiToken).

Clients send `Authorization: Token <key>` as before. Every refusal is a 401 that says why, so a
script's owner knows whether to make a new token or ask why they were deactivated.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from qms.models import ApiToken
from qms.models.tokens import key_digest

REFUSALS = {
    ApiToken.State.REVOKED: _("This token was revoked: make a new one on your profile."),
    ApiToken.State.PASSWORD_CHANGED: _("This token ended when your password changed: make a new one on your profile."),
    ApiToken.State.EXPIRED: _("This token has expired: make a new one on your profile."),
}


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token header, checked against the digests of ApiToken: refuses unknown, revoked and
    expired tokens, tokens from before a password change, and deactivated people."""

    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(digest=key_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This person is deactivated: their tokens no longer work."))
        if refusal := REFUSALS.get(token.state()):
            raise exceptions.AuthenticationFailed(refusal)
        token.touch()
        return token.user, token
