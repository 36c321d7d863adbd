"""Single sign-on's pages: off (404) unless OIDC_CLIENT_ID is set, and open to people not yet
signed in. Sign-out is Django's, going on to the provider's when OIDC_END_SESSION_ENDPOINT is set."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import AUTH_VIA_KEY, AUTH_VIA_SSO, signed_in_via_sso


def sso_only(view):
    @login_not_required
    @wraps(view)
    def when_on(request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return when_on


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the library checks state, nonce and PKCE."""

    def login_success(self):
        response = super().login_success()
        self.request.session[AUTH_VIA_KEY] = AUTH_VIA_SSO
        return response

    def login_failure(self):
        messages.error(
            self.request,
            _("Single sign-on did not sign you in. If this goes on, ask your quality manager for access."),
        )
        return redirect("login")


sign_in = sso_only(OIDCAuthenticationRequestView.as_view())
callback = sso_only(CallbackView.as_view())


def provider_sign_out_url(request: HttpRequest) -> str:
    """The provider's end-session URL for a session signed in through it, with the ID token as the
    hint and the sign-in page to come back to; "" when there is none to go to."""
    if not (settings.OIDC_ENABLED and settings.OIDC_OP_LOGOUT_ENDPOINT and signed_in_via_sso(request)):
        return ""
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    if id_token := request.session.get("oidc_id_token"):
        params["id_token_hint"] = id_token
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(params)}"


class LogoutView(auth_views.LogoutView):
    """Signs out here; after a single sign-on, then at the provider too when it has an end-session
    endpoint (read before the session is gone)."""

    def post(self, request, *args, **kwargs):
        at_provider = provider_sign_out_url(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(at_provider) if at_provider else response
