"""Two-factor sign-in pages (the rules are in qms.twofactor): the code step after the password, a
person's own set-up, recovery codes and turning it off, a quality manager's reset of someone else's,
and the site-wide requirement."""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from qms import twofactor
from qms.forms import ReasonForm, SecuritySettingsForm, TwoFactorCodeForm, add_errors
from qms.models import SecuritySettings, User
from qms.views.generic import Confirmation, confirm_response, done_response, htmx_partial


def _profile_url(request: HttpRequest) -> str:
    return reverse("qms:user_detail", args=[request.user.pk]) + "#two-factor"


# Signing in
# ------------------------------------------------------------------------------


class SignInView(LoginView):
    """Django's sign-in page; a person with an authenticator is not signed in by the password alone
    but asked for a code next."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.is_enrolled(user):
            return super().form_valid(form)
        twofactor.pending_begin(self.request, user, next_url=self.get_success_url())
        return redirect("login_code")


@login_not_required
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app or a recovery code. A wrong one counts
    toward the lockout like a wrong password."""
    waiting = twofactor.pending(request)
    if waiting is None:
        twofactor.pending_end(request)
        messages.info(request, _("Sign in again: the time to give your code ran out."))
        return redirect("login")
    user, state = waiting
    credentials = {"username": user.get_username()}
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if AxesProxyHandler.is_locked(request, credentials):
            twofactor.pending_end(request)
            return get_lockout_response(request, None, credentials)
        if _code_accepted(request, user, form):
            twofactor.pending_end(request)
            auth_login(request, user, backend=state["backend"])
            _warn_if_few_codes_left(request, user)
            return redirect(state["next"])
        if getattr(request, "axes_locked_out", False):
            twofactor.pending_end(request)
    status = 422 if form.errors else 200
    return TemplateResponse(request, "registration/login_code.html", {"form": form, "person": user}, status=status)


def _code_accepted(request: HttpRequest, user: User, form: TwoFactorCodeForm) -> bool:
    """Whether the form's code is right for `user`. If not, the form says why, and a wrong code
    counts toward the sign-in lockout."""
    try:
        if twofactor.verify(user, form.cleaned_data["code"]):
            return True
    except twofactor.CodeThrottled as throttled:
        form.add_error("code", _wait_message(throttled.wait))
        return False
    twofactor.refuse(request, user)
    form.add_error("code", _("That code is not right. Check your authenticator app and try again."))
    return False


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes: wait %(seconds)d second before the next try.",
        "Too many wrong codes: wait %(seconds)d seconds before the next try.",
        seconds,
    ) % {"seconds": seconds}


def _warn_if_few_codes_left(request: HttpRequest, user: User) -> None:
    left = twofactor.recovery_codes_left(user)
    if left <= 3:
        messages.warning(
            request,
            ngettext(
                "You have %(left)d recovery code left: make new ones on your profile.",
                "You have %(left)d recovery codes left: make new ones on your profile.",
                left,
            )
            % {"left": left},
        )


# One's own second factor
# ------------------------------------------------------------------------------


@sensitive_post_parameters("code")
@never_cache  # the page holds the secret, and then the recovery codes
@require_http_methods(["GET", "POST"])
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    """Show the QR code and the secret of a new authenticator; a right code from the app turns
    two-factor sign-in on and shows the recovery codes this once."""
    if twofactor.is_enrolled(request.user):
        messages.info(request, _("Two-factor sign-in is on already."))
        return redirect(_profile_url(request))
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None, recovery=False)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.enrol_confirm(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            request.session.pop(twofactor.ENROL_SESSION_KEY, None)
            messages.success(request, _("Two-factor sign-in is on: you will give a code after your password."))
            return _recovery_codes_page(request, codes)
    context = {
        "form": form,
        "enrolment": twofactor.enrol_start(user=request.user),
        "required": request.session.get(twofactor.ENROL_SESSION_KEY, False),
    }
    return TemplateResponse(request, "qms/twofactor_setup.html", context, status=422 if form.errors else 200)


def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> TemplateResponse:
    """The recovery codes, this once: a page, or in the dialog the step was asked in."""
    in_dialog = htmx_partial(request)
    template = "qms/twofactor_codes.html#dialog" if in_dialog else "qms/twofactor_codes.html"
    context = {
        "codes": codes,
        "codes_text": "\n".join(codes),
        "profile_url": _profile_url(request),
        "in_dialog": in_dialog,
    }
    return TemplateResponse(request, template, context)


def _with_code(request: HttpRequest, confirmation_for, step) -> HttpResponse:
    """A step on one's own second factor that needs a current code first: asks (GET), checks the
    code and takes the step (POST); `step()` returns the response on success."""
    if not twofactor.is_enrolled(request.user):
        messages.info(request, _("Two-factor sign-in is off."))
        return done_response(request, _profile_url(request))
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _code_accepted(request, request.user, form):
        try:
            return step()
        except ValidationError as error:
            add_errors(form, error)
    return confirm_response(request, confirmation_for(form), status=422 if form.errors else 200)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace one's recovery codes, after a current code; the new ones are shown this once."""

    def confirmation(form) -> Confirmation:
        left = twofactor.recovery_codes_left(request.user)
        return Confirmation(
            title=_("New recovery codes"),
            question=_("Your earlier recovery codes stop working, and ten new ones are shown once. Give a code first."),
            form=form,
            submit_label=_("Make new codes"),
            cancel_url=_profile_url(request),
            details=[(_("Unused codes now"), str(left))],
        )

    return _with_code(
        request,
        confirmation,
        lambda: _recovery_codes_page(request, twofactor.recovery_codes_replace(user=request.user)),
    )


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def twofactor_disable(request: HttpRequest) -> HttpResponse:
    """Turn one's own two-factor sign-in off, after a current code (or a recovery code)."""

    def confirmation(form) -> Confirmation:
        return Confirmation(
            title=_("Turn two-factor sign-in off?"),
            question=_(
                "You then sign in with your password alone, and your authenticator and recovery codes stop "
                "working. Give a code first."
            ),
            form=form,
            submit_label=_("Turn it off"),
            cancel_url=_profile_url(request),
            danger=True,
        )

    def step() -> HttpResponse:
        twofactor.remove(person=request.user, user=request.user)
        messages.success(request, _("Two-factor sign-in is off: you sign in with your password alone."))
        return done_response(request, _profile_url(request))

    return _with_code(request, confirmation, step)


# Quality managers
# ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def twofactor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A quality manager turns off someone else's two-factor sign-in (a lost phone), with a reason."""
    person = get_object_or_404(User, pk=pk)
    if not twofactor.may_reset(request.user, person):
        raise PermissionDenied(_("Only a quality manager resets another person's two-factor sign-in."))
    person_url = reverse("qms:user_detail", args=[person.pk])
    if person.two_factor_since is None and not twofactor.is_enrolled(person):
        messages.info(request, _("%(person)s has no two-factor sign-in to reset.") % {"person": person})
        return done_response(request, person_url)
    form = ReasonForm(request.POST if request.method == "POST" else None, required=True)
    if request.method == "POST" and form.is_valid():
        twofactor.remove(person=person, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            _("Reset %(person)s's two-factor sign-in: they sign in with their password and set it up again.")
            % {"person": person},
        )
        return done_response(request, person_url)
    confirmation = Confirmation(
        title=_("Reset %(person)s's two-factor sign-in?") % {"person": person},
        question=_(
            "Their authenticator and recovery codes stop working. Do this only when you are sure it is "
            "them asking, e.g. after a lost phone: whoever knows their password can then sign in as them."
        ),
        form=form,
        submit_label=_("Reset"),
        cancel_url=person_url,
        danger=True,
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def security_settings(request: HttpRequest) -> HttpResponse:
    """The quality manager's sign-in rules for the whole site."""
    if not request.user.administers_qms:
        raise PermissionDenied(_("Only quality managers change how people sign in."))
    current = SecuritySettings.current()
    form = SecuritySettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        twofactor.settings_update(
            user=request.user,
            required=form.cleaned_data["two_factor_required"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Saved the sign-in rules."))
        return done_response(request, reverse("qms:user_list"))
    confirmation = Confirmation(
        title=_("Sign-in security"),
        question=_(
            "Anyone may turn on two-factor sign-in on their profile. Here you can require it of Leadership "
            "and quality managers; it applies from their next sign-in."
        ),
        form=form,
        submit_label=_("Save"),
        cancel_url=reverse("qms:user_list"),
        breadcrumbs=[(_("People"), reverse("qms:user_list"))],
        details=_last_change(current),
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


def _last_change(current: SecuritySettings) -> list[tuple[str, str]]:
    row = current.history.select_related("history_user").filter(history_user__isnull=False).first()
    if row is None:
        return []
    when = date_format(localtime(row.history_date), "j M Y, H:i")
    return [(_("Last changed"), _("%(when)s by %(who)s") % {"when": when, "who": row.history_user})]
