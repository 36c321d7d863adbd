from django.contrib.auth import middleware as auth_middleware
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from rest_framework.views import APIView


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
