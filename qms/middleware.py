from django.contrib.auth import middleware as auth_middleware
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
