"""API tokens: named, expiring, revocable keys for the REST API, several per person.

The key is shown once, when it is made; only its SHA-256 digest is stored (a key is 256 random
bits, so a plain digest cannot be reversed or guessed), with a short visible prefix so a person can
tell their tokens apart. A token also remembers a digest of its owner's password hash as it was when
the token was made: after any change of password (the password pages, a reset link, the admin,
`manage.py changepassword`, `set_password` anywhere) the two no longer match and the token is dead,
the way Django ends sessions on a password change. Deactivating a person revokes their tokens
explicitly (`qms.services.api_tokens_revoke_all`).
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.history import RecordHistory

from .base import Model

KEY_PREFIX = "qms_"
VISIBLE_CHARS = 8  # of the random part, after KEY_PREFIX
LAST_USED_EVERY = timedelta(minutes=1)


def key_digest(key: str) -> str:
    """The SHA-256 of a key, as stored and looked up."""
    return hashlib.sha256(key.encode()).hexdigest()


def password_digest(user) -> str:
    """A fingerprint of the person's current password hash (itself salted and slow); it changes
    whenever the password does. Not keyed with SECRET_KEY, so rotating that keeps tokens alive."""
    return hashlib.sha256(f"qms.api-token:{user.password}".encode()).hexdigest()


class ApiToken(Model):
    """A person's key to the REST API. It expires, can be revoked by its owner, and dies with a
    change of its owner's password."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        PASSWORD_CHANGED = "password", _("Ended by a password change")

    # People are never deleted (they are deactivated), so nothing cascades in practice.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(verbose_name=_("name"), max_length=80)
    prefix = models.CharField(verbose_name=_("prefix"), max_length=20, editable=False)
    digest = models.CharField(verbose_name=_("key digest"), max_length=64, unique=True, editable=False)
    password_digest = models.CharField(verbose_name=_("password fingerprint"), max_length=64, editable=False)
    created_at = models.DateTimeField(verbose_name=_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(verbose_name=_("expires"))
    last_used_at = models.DateTimeField(verbose_name=_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(verbose_name=_("revoked"), null=True, blank=True)
    history = RecordHistory(excluded_fields=["digest", "password_digest", "last_used_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="%(app_label)s_%(class)s_expires"),
        ]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user, name: str, days: int | None = None) -> tuple["ApiToken", str]:
        """A new, unsaved token for `user` and its key (the only time the key exists in clear).
        `days` defaults to API_TOKEN_DAYS and is bounded by API_TOKEN_MAX_DAYS."""
        days = settings.API_TOKEN_DAYS if days is None else days
        days = max(1, min(days, settings.API_TOKEN_MAX_DAYS))
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = timezone.now()
        token = cls(
            user=user,
            name=name.strip(),
            prefix=key[: len(KEY_PREFIX) + VISIBLE_CHARS],
            digest=key_digest(key),
            password_digest=password_digest(user),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        return token, key

    def state(self, now=None) -> str:
        """Which `State` the token is in; the password check reads `self.user`."""
        if self.revoked_at is not None:
            return self.State.REVOKED
        if not hmac.compare_digest(self.password_digest, password_digest(self.user)):
            return self.State.PASSWORD_CHANGED
        if self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.ACTIVE

    def get_state_display(self) -> str:
        return self.State(self.state()).label

    def touch(self, now=None) -> None:
        """Record a use, at most once a minute (a busy client would otherwise write on every call)."""
        now = now or timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_EVERY:
            return
        type(self).objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        self.last_used_at = now
