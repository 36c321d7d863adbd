"""People: everyone finds who does what and what they hold; quality managers invite people, change
their role and unit, hand their records over and deactivate them (never delete)."""

from copy import copy

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView, ListView

from qms import services, twofactor
from qms.choices import ActionStatus
from qms.filters import PeopleFilterSet
from qms.forms import HandOverForm, PersonForm, PersonInviteForm, ReasonForm, add_errors
from qms.models import Action, OrgUnit, User, count_subquery
from qms.selectors import person_holdings
from qms.views.generic import Confirmation, confirm_response, done_response, history_tab, htmx_partial


def _manageable(request: HttpRequest, pk: int) -> User:
    person = get_object_or_404(User.objects.select_related("org_unit"), pk=pk)
    if not services.person_may_manage(request.user, person):
        raise PermissionDenied(_("Only quality managers administer people."))
    return person


class UserListView(ListView):
    """Everyone can find who does what; quality managers invite people from here."""

    template_name = "qms/user_list.html"
    paginate_by = 25

    def get_queryset(self):
        people = (
            User.objects.select_related("org_unit")
            # Counted for the page's people only, on the index of open actions by owner.
            .annotate(
                open_actions=count_subquery(
                    Action.objects.filter(owner=OuterRef("pk"), status__in=ActionStatus.active())
                )
            )
            .order_by("first_name", "last_name", "pk")
        )
        self.filterset = PeopleFilterSet(self.request.GET, queryset=people, request=self.request)
        return self.filterset.qs

    def get_template_names(self) -> list[str]:
        return [f"{self.template_name}#results"] if htmx_partial(self.request) else [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["is_filtered"] = any(v for k, v in self.request.GET.items() if k not in ("page", "o"))
        context["can_invite"] = self.request.user.administers_qms
        return context


class UserDetailView(DetailView):
    """A person: who they are, and what they own and deputise across the QMS. `tab` selects the
    overview or, for quality managers, the history of their account."""

    template_name = "qms/user_detail.html"
    queryset = User.objects.select_related("org_unit", "org_unit__parent")
    context_object_name = "person"
    tab = "overview"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, person = self.request.user, self.object
        context["tab"] = self.tab
        context["can_manage"] = services.person_may_manage(user, person)
        context["show_history"] = user.administers_qms
        context["invite_pending"] = person.is_active and not person.has_usable_password()
        if person.pk == user.pk:  # one's own tokens and second factor, on one's own profile only
            context["api_tokens"] = list(person.api_tokens.order_by("-created_at", "-pk"))
            for token in context["api_tokens"]:
                token.user = person  # the password check reads it
            context["two_factor_required"] = twofactor.is_required(person)
            if person.two_factor_since:
                context["recovery_codes_left"] = twofactor.recovery_codes_left(person)
        context["can_reset_two_factor"] = person.two_factor_since is not None and twofactor.may_reset(user, person)
        if self.tab == "history":
            if not user.administers_qms:
                raise PermissionDenied(_("Only quality managers see the history of people's accounts."))
            context["history"] = history_tab(self.request, person)
            context["holdings"] = person_holdings(person, rows=0)
        else:
            context["holdings"] = person_holdings(person)
        return context


# Quality managers' steps
# ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest) -> HttpResponse:
    """Add a person and e-mail them a link to choose their password."""
    if not request.user.administers_qms:
        raise PermissionDenied(_("Only quality managers invite people."))
    form = PersonInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_invite(user=request.user, **form.cleaned_data)
        except IntegrityError:  # someone took the username or address a moment ago
            form.add_error(None, _("Someone was given this username or e-mail address meanwhile: check and try again."))
        else:
            _invited(request, person)
            return done_response(request, reverse("qms:user_detail", args=[person.pk]))
    return _person_form(request, form, person=None)


@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a person's names, e-mail, job title, role or unit."""
    person = _manageable(request, pk)
    # The form works on a copy, so the page's heading keeps the stored name while errors show.
    form = PersonForm(request.POST if request.method == "POST" else None, instance=copy(person))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in PersonForm.Meta.fields}
        try:
            person = services.person_update(
                person=person, user=request.user, note=form.cleaned_data["change_note"], **changes
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved %(person)s.") % {"person": person})
            return done_response(request, reverse("qms:user_detail", args=[person.pk]))
    return _person_form(request, form, person=person)


def _person_form(request: HttpRequest, form, *, person: User | None) -> TemplateResponse:
    context = {"form": form, "person": person}
    return TemplateResponse(request, "qms/user_form.html", context, status=422 if form.errors else 200)


def _invited(request: HttpRequest, person: User) -> None:
    messages.success(
        request, _("Invited %(person)s: the invite goes to %(email)s.") % {"person": person, "email": person.email}
    )


@require_http_methods(["GET", "POST"])
def user_invite_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the invite again, to someone who has not chosen a password yet."""
    person = _manageable(request, pk)
    if not person.is_active or person.has_usable_password():
        messages.info(request, _("%(person)s has no invite waiting.") % {"person": person})
        return done_response(request, reverse("qms:user_detail", args=[person.pk]))
    if request.method == "POST":
        try:
            services.person_send_invite(person=person, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            _invited(request, person)
        return done_response(request, reverse("qms:user_detail", args=[person.pk]))
    confirmation = Confirmation(
        title=_("Send the invite again?"),
        question=_("%(person)s gets a new link to choose their password; the link sent before keeps working too.")
        % {"person": person},
        form=forms.Form(),
        submit_label=_("Send the invite"),
        cancel_url=reverse("qms:user_detail", args=[person.pk]),
        details=[(_("E-mail"), person.email)],
    )
    return confirm_response(request, confirmation)


def _holding_lines(holdings) -> list[tuple[str, str]]:
    lines = []
    for holding in holdings:
        parts = []
        if holding.owned:
            parts.append(_("owns %(all)s (%(open)s open)") % {"all": holding.owned, "open": holding.owned_open})
        if holding.deputised:
            parts.append(
                _("deputy on %(all)s (%(open)s open)") % {"all": holding.deputised, "open": holding.deputised_open}
            )
        lines.append((holding.kind.label, "; ".join(parts)))
    return lines


@require_http_methods(["GET", "POST"])
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a person, after showing what they still hold and offering to hand it over."""
    person = _manageable(request, pk)
    person_url = reverse("qms:user_detail", args=[person.pk])
    if not person.is_active:
        messages.info(request, _("%(person)s is deactivated already.") % {"person": person})
        return done_response(request, person_url)
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Why?"))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_deactivate(person=person, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("%(person)s is deactivated: signed out, and no longer offered as owner or deputy.")
                % {"person": person},
            )
            return done_response(request, person_url)
    holdings = person_holdings(person, rows=0)
    still_open = sum(h.owned_open + h.deputised_open for h in holdings)
    if still_open:
        question = ngettext(
            "%(person)s still holds %(count)s open record. Hand it over first, or it stays with them.",
            "%(person)s still holds %(count)s open records. Hand them over first, or they stay with them.",
            still_open,
        ) % {"person": person, "count": still_open}
    else:
        question = _("%(person)s holds no open records.") % {"person": person}
    confirmation = Confirmation(
        title=_("Deactivate %(person)s?") % {"person": person},
        question=_(
            "%(holds)s They are signed out at once and can no longer sign in; their records and history keep "
            "their name. You can reactivate them later."
        )
        % {"holds": question},
        form=form,
        submit_label=_("Deactivate"),
        cancel_url=person_url,
        danger=True,
        details=_holding_lines(holdings),
        links=[(_("Hand over their records first"), reverse("qms:user_hand_over", args=[person.pk]))]
        if still_open
        else None,
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a deactivated person sign in again."""
    person = _manageable(request, pk)
    person_url = reverse("qms:user_detail", args=[person.pk])
    if person.is_active:
        messages.info(request, _("%(person)s is active already.") % {"person": person})
        return done_response(request, person_url)
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Why?"))
    if request.method == "POST" and form.is_valid():
        services.person_reactivate(person=person, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("%(person)s is active again.") % {"person": person})
        return done_response(request, person_url)
    question = _("They can sign in again and be chosen as owner or deputy.")
    if not person.has_usable_password():
        question += " " + _("They have not chosen a password yet: send them the invite again afterwards.")
    confirmation = Confirmation(
        title=_("Reactivate %(person)s?") % {"person": person},
        question=question,
        form=form,
        submit_label=_("Reactivate"),
        cancel_url=person_url,
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def user_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand all of a person's records to someone else in one step: choose (GET), see how many
    records would move (POST), confirm (POST with `confirmed`)."""
    person = _manageable(request, pk)
    person_url = reverse("qms:user_detail", args=[person.pk])
    form = HandOverForm(request.POST if request.method == "POST" else None, person=person, initial=request.GET.dict())
    holdings = person_holdings(person, rows=0)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data
        if choice["confirmed"]:
            try:
                changed = services.records_hand_over(
                    person=person,
                    to=choice["to"],
                    user=request.user,
                    reason=choice["reason"],
                    only_open=choice["only_open"],
                    deputies=choice["deputies"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                count = sum(changed.values())
                messages.success(
                    request,
                    ngettext(
                        "Handed %(count)s record over to %(to)s.",
                        "Handed %(count)s records over to %(to)s.",
                        count,
                    )
                    % {"count": count, "to": choice["to"]},
                )
                return done_response(request, person_url)
        else:
            preview = _hand_over_preview(request, person, holdings, choice)
            if preview is not None:
                return confirm_response(request, preview)
            form.add_error(None, _("With these choices no record moves."))
    confirmation = Confirmation(
        title=_("Hand over %(person)s's records") % {"person": person},
        question=_(
            "Choose who takes them over. Next you see how many records move; nothing changes until you confirm."
        ),
        form=form,
        submit_label=_("Show what moves"),
        cancel_url=person_url,
        details=_holding_lines(holdings) or [(_("Records"), _("%(person)s holds none.") % {"person": person})],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


def _hand_over_preview(request: HttpRequest, person: User, holdings, choice: dict) -> Confirmation | None:
    """The confirming step: how many records of each kind would move, and the choices as hidden
    fields; None when none would."""
    lines, total = [], 0
    for holding in holdings:
        # Records closed for good never move: of those kinds, only the open ones count.
        only_open = choice["only_open"] or holding.kind.model.FROZEN_WHEN is not None
        owned = holding.owned_open if only_open else holding.owned
        deputised = (holding.deputised_open if only_open else holding.deputised) * choice["deputies"]
        if owned or deputised:
            parts = [_("%(count)s as owner") % {"count": owned}] if owned else []
            if deputised:
                parts.append(_("%(count)s as deputy") % {"count": deputised})
            lines.append((holding.kind.label, ", ".join(parts)))
            total += owned + deputised
    if not total:
        return None
    data = request.POST.copy()
    data["confirmed"] = "True"
    form = HandOverForm(data, person=person, preview=True)
    back = {"to": choice["to"].pk, "reason": choice["reason"]}
    back.update({name: "on" if choice[name] else "" for name in ("only_open", "deputies")})
    return Confirmation(
        title=_("Hand over %(person)s's records") % {"person": person},
        question=ngettext(
            "%(count)s record moves from %(person)s to %(to)s. Each keeps the reason in its history.",
            "%(count)s records move from %(person)s to %(to)s. Each keeps the reason in its history.",
            total,
        )
        % {"count": total, "person": person, "to": choice["to"]},
        form=form,
        submit_label=ngettext("Hand over %(count)s record", "Hand over %(count)s records", total) % {"count": total},
        cancel_url=reverse("qms:user_detail", args=[person.pk]),
        details=[*lines, (_("Reason"), choice["reason"])],
        links=[(_("Change the choices"), f"{reverse('qms:user_hand_over', args=[person.pk])}?{urlencode(back)}")],
    )


class OrgUnitListView(ListView):
    """The organisation as a tree of sites, departments and teams."""

    template_name = "qms/orgunit_list.html"
    queryset = OrgUnit.objects.annotate(member_count=Count("members", filter=Q(members__is_active=True)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        units = list(context["object_list"])
        children: dict[int | None, list[OrgUnit]] = {}
        for unit in units:
            children.setdefault(unit.parent_id, []).append(unit)

        def walk(parent_id, depth):
            for unit in children.get(parent_id, []):
                unit.depth = depth
                yield unit
                yield from walk(unit.pk, depth + 1)

        context["tree"] = list(walk(None, 0))
        return context
