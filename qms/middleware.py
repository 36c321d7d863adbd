from django.contrib import messages
from django.contrib.auth import middleware as auth_middleware
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from rest_framework.views import APIView

from qms.twofactor import ENROL_SESSION_KEY


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Every page needs a signed-in user, except the API, which authenticates itself (session or token)
    and answers 401/403 as JSON instead of redirecting to the login page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def vary_on_htmx(get_response):
    """Pages answer htmx with a fragment and browsers with the whole page: caches must keep both."""

    def middleware(request):
        response = get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return middleware


def healthz_for_any_host(get_response):
    """Answer /healthz whatever the Host header says. Probes call it by address: the container's
    healthcheck as 127.0.0.1, load balancers and orchestrators by the container's IP, none by the
    public name that ALLOWED_HOSTS lists, so Django would refuse them all with 400. Host checking
    guards what is built from the host (links, redirects, cache keys); /healthz builds nothing from
    it and tells only whether the database and the broker answer. Every other path stays checked."""
    from qms.views.dashboard import healthz

    path = reverse("healthz")

    def middleware(request):
        if request.path_info == path:
            return healthz(request)
        return get_response(request)

    return middleware


class TwoFactorEnrolmentGate:
    """A person whose role requires two-factor sign-in and who has not set it up yet (qms.twofactor
    marks the session at sign-in) may only set it up or sign out until they have: pages send them
    to the set-up, the API refuses with 403. Reads the session only, so it costs no query."""

    ALLOWED = frozenset({"qms:twofactor_setup", "logout"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.session.get(ENROL_SESSION_KEY) or request.resolver_match.view_name in self.ALLOWED:
            return None
        message = _("Your role requires two-factor sign-in: set it up before you go on.")
        view_class = getattr(view_func, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            return JsonResponse({"detail": message}, status=403)
        messages.warning(request, message)
        return redirect("qms:twofactor_setup")
