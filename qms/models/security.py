"""Site-wide sign-in rules the quality manager sets in the app (one row, with its history)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qms.history import RecordHistory

from .base import Model


class SecuritySettings(Model):
    """How people sign in, for the whole site. There is one row; `SecuritySettings.current()` returns it."""

    two_factor_required = models.BooleanField(
        verbose_name=_("two-factor sign-in required for Leadership and quality managers"),
        default=False,
        help_text=_(
            "They then give a code from an authenticator app after their password; whoever has not set one "
            "up yet is sent to do so right after the password, and can do nothing else until they have."
        ),
    )
    history = RecordHistory()

    class Meta:
        verbose_name = _("sign-in security")
        verbose_name_plural = _("sign-in security")

    def __str__(self) -> str:
        return str(_("Sign-in security"))

    @classmethod
    def current(cls) -> "SecuritySettings":
        """The row, or the defaults while nobody has changed them: reading never writes (nor history)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
