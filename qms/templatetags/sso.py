"""What the sign-in page offers when single sign-on is on (qms.sso)."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def sso_sign_in(context) -> dict:
    """`enabled`, and then the `provider`'s name, the `url` that starts the sign-in there (bringing
    the page asked for along) and whether the `password_form` shows: when passwords are kept to
    superusers, only after "Administrator sign-in" (`?password`) is chosen."""
    if not settings.OIDC_ENABLED:
        return {"enabled": False, "password_form": True}
    request = context["request"]
    next_page = context.get("next")
    return {
        "enabled": True,
        "provider": settings.OIDC_PROVIDER_NAME,
        "url": reverse("sso:sign_in") + (f"?{urlencode({'next': next_page})}" if next_page else ""),
        "password_form": settings.OIDC_PASSWORD_LOGIN or "password" in request.GET,
        "password_url": f"?{urlencode({'password': '', **({'next': next_page} if next_page else {})})}",
    }
