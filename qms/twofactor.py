"""Two-factor sign-in: a code from an authenticator app (TOTP), or one of ten single-use recovery
codes, after the password. Built on django-otp's TOTP and static devices.

1. Enrolling (a person's own profile): `enrol_start` makes an unconfirmed authenticator whose secret
   the page shows as a QR code; `enrol_confirm` takes a code from the app, confirms it and returns
   the recovery codes, shown that once. Only the SHA-256 of each recovery code is stored (in
   django-otp's StaticToken, whose 16 characters hold 80 bits of it; a code has 60 random bits, so
   a leaked table does not give them away).
2. Signing in: the password step does not sign in a person with a confirmed authenticator; it keeps
   them in the session as pending (`pending_begin`) and the code step (qms.views.twofactor) signs
   them in once `verify` accepts a code. Until then nothing treats the session as signed in, and
   django-axes, which clears its failure count on a sign-in, clears it only after the code. A wrong
   code counts as a failed sign-in for django-axes (`refuse`) and slows the next try on the device
   (django-otp's throttling: 1, 2, 4, 8 … seconds).
3. Required: when the quality manager requires it (SecuritySettings), a Leadership member or quality
   manager without an authenticator is signed in but the session is marked (ENROL_SESSION_KEY):
   qms.middleware.TwoFactorEnrolmentGate lets them only enrol or sign out.
4. Single sign-on: a sign-in through a backend in TWO_FACTOR_EXEMPT_BACKENDS is neither asked for a
   code nor sent to enrol; the identity provider asks for its own second factor.

Turning it on, off, and a quality manager's reset are changes of `User.two_factor_since`, so the
person's History tab shows who did what and when, and never the secret.
"""

import hashlib
import secrets
import time
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qms.models import SecuritySettings, User
from qms.services import person_may_manage

RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 12  # base32 characters: 60 random bits, shown in groups of four
PENDING_SESSION_KEY = "qms_2fa_pending"
ENROL_SESSION_KEY = "qms_2fa_enrol"
PENDING_SECONDS = 5 * 60  # time to type the code after the password
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


class CodeThrottled(Exception):
    """Too many wrong codes in a row: the next try is allowed only after `wait` seconds."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


# Who needs what
# ------------------------------------------------------------------------------


def is_enrolled(user: User) -> bool:
    """The person has a confirmed authenticator (the devices decide, not `two_factor_since`)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: User) -> bool:
    """The site requires a second factor of this person's role."""
    return user.two_factor_may_be_required and SecuritySettings.current().two_factor_required


def is_exempt(backend: str | None) -> bool:
    """A sign-in through this authentication backend brings its own second factor (single sign-on)."""
    return backend in settings.TWO_FACTOR_EXEMPT_BACKENDS


# Codes
# ------------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: 80 bits of its SHA-256, in StaticToken's 16 characters."""
    digest = hashlib.sha256(f"qms.recovery:{_normalise(code)}".encode()).digest()
    return b32encode(digest).decode()[:16].lower()


def _new_recovery_code() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    code = "".join(secrets.choice(alphabet) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def _wait_seconds(device) -> int | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (data or {}).get("locked_until")
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 1


@transaction.atomic
def verify(user: User, code: str) -> bool:
    """Whether `code` is the current code of `user`'s confirmed authenticator or one of their unused
    recovery codes (which it then uses up). Raises CodeThrottled while the device waits after
    wrong codes. Six digits are an authenticator code; anything else is taken as a recovery code."""
    code = _normalise(code)
    if code.isdigit() and len(code) == 6:
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        token = code
    else:
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        token = recovery_digest(code)
    if device is None:
        return False
    if (wait := _wait_seconds(device)) is not None:
        raise CodeThrottled(wait)
    return device.verify_token(token)


def refuse(request, user: User) -> None:
    """Count a wrong code as a failed sign-in of `user`: django-axes locks out after
    LOGIN_FAILURE_LIMIT of them, passwords and codes together."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Enrolling and removing
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the secret as a QR code and as text to type in."""

    device: TOTPDevice

    @property
    def secret(self) -> str:
        key = b32encode(self.device.bin_key).decode()
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    @property
    def qr_svg(self) -> str:
        """The otpauth:// address as an SVG drawing (markup, to put in the page as it is)."""
        image = qrcode.make(self.device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
        return image.to_string(encoding="unicode")


@transaction.atomic
def enrol_start(*, user: User) -> Enrolment:
    """The person's unconfirmed authenticator, made on the first visit and kept until confirmed, so
    reloading the page shows the same secret."""
    if is_enrolled(user):
        raise ValidationError(_("Two-factor sign-in is on already."))
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": AUTHENTICATOR_NAME}
    )
    return Enrolment(device)


@transaction.atomic
def enrol_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the app shows the right code; returns the recovery codes
    (their only appearance in clear)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError(_("Start again: the set-up was finished or cancelled meanwhile."))
    if not device.verify_token(_normalise(code)):
        raise ValidationError({"code": _("That is not the code the app shows now. Check the app and try again.")})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_replace(user=user)
    _record(user, since=timezone.now(), by=user, reason=_("Two-factor sign-in turned on."))
    return codes


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """Ten new recovery codes for `user`; the earlier ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_digest(code)) for code in codes])
    return codes


@transaction.atomic
def remove(*, person: User, user: User, reason: str = "") -> None:
    """Turn `person`'s two-factor sign-in off: their own choice (not while their role requires it)
    or a quality manager's reset when they lost their phone. They next sign in with the password
    alone, or are sent to enrol when their role requires it."""
    if person.pk == user.pk:
        if is_required(person):
            raise ValidationError(
                _("Your role requires two-factor sign-in: set up a new authenticator instead of turning it off.")
            )
    elif not may_reset(user, person):
        raise PermissionDenied(_("Only a quality manager resets another person's two-factor sign-in."))
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()
    default = _("Two-factor sign-in turned off.") if person.pk == user.pk else _("Two-factor sign-in reset.")
    _record(person, since=None, by=user, reason=reason or default)


def may_reset(user: User, person: User) -> bool:
    """Whether `user` may reset `person`'s two-factor sign-in: a quality manager, someone else's."""
    return person.pk != user.pk and person_may_manage(user, person)


def _record(person: User, *, since: datetime | None, by: User, reason: str) -> None:
    person = User.objects.select_for_update().get(pk=person.pk)
    person.two_factor_since = since
    person._history_user = by
    person._change_reason = reason
    person.save(update_fields=["two_factor_since"])


@transaction.atomic
def settings_update(*, user: User, required: bool, reason: str = "") -> SecuritySettings:
    """The quality manager requires (or no longer requires) two-factor sign-in of Leadership and
    quality managers."""
    if not (user.is_active and user.administers_qms):
        raise PermissionDenied(_("Only quality managers change how people sign in."))
    current = SecuritySettings.objects.select_for_update().filter(pk=1).first() or SecuritySettings(pk=1)
    if current.two_factor_required != required:
        current.two_factor_required = required
        current._history_user = user
        current._change_reason = reason
        current.save()
    return current


# The session between the password and the code
# ------------------------------------------------------------------------------


def pending_begin(request, user: User, *, next_url: str) -> None:
    """Remember who gave the right password, to sign them in once the code is right."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "at": int(time.time()),
    }


def pending(request) -> tuple[User, dict] | None:
    """The person waiting to give their code and what pending_begin kept, unless it is too old."""
    state = request.session.get(PENDING_SESSION_KEY)
    if not state or time.time() - state["at"] > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=state["user"], is_active=True).first()
    return (user, state) if user is not None else None


def pending_end(request) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def _mark_enrolment_needed(sender, request, user, **kwargs) -> None:
    """On every sign-in: a person whose role requires a second factor and who has none is held to
    enrolling (see qms.middleware.TwoFactorEnrolmentGate)."""
    if request is None or is_exempt(getattr(user, "backend", None)):
        return
    if is_required(user) and not is_enrolled(user):
        request.session[ENROL_SESSION_KEY] = True


user_logged_in.connect(_mark_enrolment_needed, dispatch_uid="qms_two_factor_enrolment")
