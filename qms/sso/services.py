"""Who a single sign-on is, from the provider's claims: found, linked or created, then kept up to
date (names, e-mail, role) as the provider says, within the QMS's own rules."""

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from qms.choices import Role
from qms.models import User
from qms.services import is_last_quality_manager

logger = logging.getLogger(__name__)

USERNAME = re.compile(r"^[\w.@+-]{1,150}$")


class SignInRefused(Exception):
    """Why a single sign-on signs nobody in. Logged for the administrator; the person is told only
    that it did not work, as with a wrong password."""


def email_verified(claims: dict[str, Any]) -> bool:
    """Whether the provider vouches for the e-mail address (some send the flag as a string)."""
    return claims.get("email_verified") in (True, "true")


def role_from_claims(claims: dict[str, Any]) -> str | None:
    """The role the person's groups give: that of the first OIDC_ROLE_MAP entry whose group the
    OIDC_ROLE_CLAIM holds, else OIDC_DEFAULT_ROLE (None when that is "refuse")."""
    held = claims.get(settings.OIDC_ROLE_CLAIM) or []
    groups = {str(held)} if isinstance(held, str) else {str(group) for group in held}
    for group, role in settings.OIDC_ROLE_MAP:
        if group in groups:
            return role
    return None if settings.OIDC_DEFAULT_ROLE == "refuse" else settings.OIDC_DEFAULT_ROLE


@transaction.atomic
def sso_sign_in(*, claims: dict[str, Any]) -> User:
    """The person a provider's verified claims stand for, or SignInRefused.

    1. The subject (`sub`) is the provider's stable ID for a person: whoever is linked to it is them.
    2. Otherwise someone whose e-mail is the one the provider *verified* is linked to it, once. An
       unverified address is never trusted: anyone may type one into a provider's profile and take
       over the account that has it. Accounts that sign in to the admin (superusers, staff) and
       accounts already linked to another subject are never linked by e-mail.
    3. Otherwise, when OIDC_CREATE_USERS allows it, a new person is made.
    4. A deactivated person is refused, unchanged. Names and e-mail come from the claims, and so does
       the role when OIDC_ROLE_MAP is set; the history keeps each change as made by the sign-in.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("the provider gave no subject (sub)")
    claimed_email = str(claims.get("email") or "").strip()
    email = claimed_email if email_verified(claims) else ""
    person = User.objects.select_for_update().filter(sso_subject=subject).first()
    linked = False
    if person is None:
        person = _link_by_email(subject, email) if email else None
        linked = person is not None
        if person is None and claimed_email and User.objects.filter(email__iexact=claimed_email).exists():
            raise SignInRefused(f"{claimed_email} belongs to someone, but the provider has not verified it")
    if person is None:
        if not settings.OIDC_CREATE_USERS:
            raise SignInRefused("no one here is linked to this subject, and OIDC_CREATE_USERS is off")
        person = User(sso_subject=subject, username=_free_username(claims, subject))
        person.set_unusable_password()
    elif not person.is_active:
        raise SignInRefused(f"{person.username} is deactivated")

    changed = _take_claims(person, claims, email)
    if person._state.adding or linked or changed:
        person._history_user = None
        person._change_reason = _("Single sign-on through %(provider)s.") % {"provider": settings.OIDC_PROVIDER_NAME}
        person.save()
        # Signing in saves last_login on this instance next: that is no change from the provider.
        del person._history_user, person._change_reason
    return person


def _link_by_email(subject: str, email: str) -> User | None:
    person = User.objects.select_for_update().filter(email__iexact=email).first()
    if person is None:
        return None
    if person.sso_subject:
        raise SignInRefused(f"{person.username} is linked to another single sign-on identity")
    if person.is_superuser or person.is_staff:
        raise SignInRefused(f"{person.username} signs in to the admin, so it is not linked by e-mail")
    person.sso_subject = subject
    return person


def _free_username(claims: dict[str, Any], subject: str) -> str:
    """The provider's preferred username, else the e-mail address, when valid and free; else one
    made from the subject."""
    for wish in (claims.get("preferred_username"), claims.get("email")):
        if wish and USERNAME.match(str(wish)) and not User.objects.filter(username__iexact=wish).exists():
            return str(wish)
    return ("sso-" + re.sub(r"[^\w.@+-]", "-", subject))[:150]


def _take_claims(person: User, claims: dict[str, Any], email: str) -> bool:
    """Names, verified e-mail and (with a role map, or for someone new) role from the claims, onto
    `person`; whether anything changed."""
    changes: dict[str, str] = {}
    for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
        if claims.get(claim):
            changes[field] = str(claims[claim])[:150]
    if email and email.lower() != person.email.lower():
        if User.objects.filter(email__iexact=email).exclude(pk=person.pk).exists():
            logger.warning("Single sign-on: %s keeps their e-mail; %s belongs to someone else", person, email)
        else:
            changes["email"] = email
    if person._state.adding or settings.OIDC_ROLE_MAP:
        role = role_from_claims(claims)
        if role is None:
            raise SignInRefused(f"no group in {settings.OIDC_ROLE_CLAIM} gives a role, and OIDC_DEFAULT_ROLE is refuse")
        demoted = not person._state.adding and person.role == Role.QUALITY_MANAGER and role != Role.QUALITY_MANAGER
        if demoted and is_last_quality_manager(person):
            logger.warning(
                "Single sign-on: %s stays quality manager, the last active one (the provider says %s)", person, role
            )
        else:
            changes["role"] = role
    changed = {field: value for field, value in changes.items() if getattr(person, field) != value}
    for field, value in changed.items():
        setattr(person, field, value)
    return bool(changed)
