"""A person's own API tokens, on their profile: make a named one (its key shown once), revoke one.
Nobody sees or revokes another person's tokens here; deactivating a person revokes all of theirs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from qms import services
from qms.forms import ApiTokenForm, ReasonForm, add_errors
from qms.models import ApiToken
from qms.views.generic import Confirmation, confirm_response, done_response, htmx_partial


def _profile_url(request: HttpRequest) -> str:
    return reverse("qms:user_detail", args=[request.user.pk])


@never_cache  # the answer holds the key: no cache, nor the browser's, may keep it
@require_http_methods(["GET", "POST"])
def apitoken_add(request: HttpRequest) -> HttpResponse:
    """Ask for a name and a lifetime (GET), make the token and show its key this once (POST)."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            in_dialog = htmx_partial(request)
            template = "qms/apitoken_created.html#dialog" if in_dialog else "qms/apitoken_created.html"
            context = {"token": token, "key": key, "in_dialog": in_dialog, "profile_url": _profile_url(request)}
            return TemplateResponse(request, template, context)
    confirmation = Confirmation(
        title=_("New API token"),
        question=_(
            "A token lets a script or report use the API as you, with your permissions. Its key is shown once, "
            "right after this step; it stops working when it expires, when you revoke it or when your password "
            "changes."
        ),
        form=form,
        submit_label=_("Make the token"),
        cancel_url=_profile_url(request),
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def apitoken_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your own tokens, after asking; another person's token is not found (404)."""
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk, user=request.user)
    if token.revoked_at is not None:
        messages.info(request, _("The token “%(name)s” is revoked already.") % {"name": token.name})
        return done_response(request, _profile_url(request))
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.api_token_revoke(token=token, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Revoked the token “%(name)s”: it no longer works.") % {"name": token.name})
        return done_response(request, _profile_url(request))
    confirmation = Confirmation(
        title=_("Revoke the token “%(name)s”?") % {"name": token.name},
        question=_("Whatever uses it is refused from now on. This cannot be undone: make a new token instead."),
        form=form,
        submit_label=_("Revoke"),
        cancel_url=_profile_url(request),
        danger=True,
        details=[(_("Key starts with"), f"{token.prefix}…"), (_("Last used"), _last_used(token))],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


def _last_used(token: ApiToken) -> str:
    return date_format(localtime(token.last_used_at), "j M Y, H:i") if token.last_used_at else _("Never")
