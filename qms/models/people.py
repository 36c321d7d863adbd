from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from qms.choices import OrgUnitKind, Role
from qms.history import HistoryPart, RecordHistory

from .base import Model


class OrgUnit(Model):
    """A site, department or team. Units form a tree through their parent."""

    name = models.CharField(verbose_name=_("name"), max_length=120)
    kind = models.CharField(
        verbose_name=_("kind"), max_length=20, choices=OrgUnitKind.choices, default=OrgUnitKind.DEPARTMENT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )
    history = RecordHistory()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="%(app_label)s_%(class)s_unique_name_in_parent"),
            models.CheckConstraint(condition=Q(kind__in=OrgUnitKind.values), name="%(app_label)s_%(class)s_kind_valid"),
        ]
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A unit cannot sit inside itself, however many levels down."""
        seen, parent = {self.pk}, self.parent
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError({"parent": _("A unit cannot be part of itself or of a unit inside it.")})
            seen.add(parent.pk)
            parent = parent.parent


class User(Model, AbstractUser):
    """A person who works in the QMS. The role sets what they may do beyond the records they own."""

    job_title = models.CharField(verbose_name=_("job title"), max_length=120, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisational unit"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
    )
    role = models.CharField(verbose_name=_("role"), max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR)
    # Set and cleared with the person's authenticator (qms.twofactor), so the History tab shows who
    # turned two-factor sign-in on or off and when; the secret itself is never in history.
    two_factor_since = models.DateTimeField(
        verbose_name=_("two-factor sign-in since"), null=True, blank=True, editable=False
    )
    # The identity provider's `sub` for this person (qms.sso): stable where names and e-mail change.
    sso_subject = models.CharField(
        verbose_name=_("single sign-on subject"),
        max_length=255,
        blank=True,
        help_text=_("The identity provider's ID for this person; set at their first single sign-on."),
    )
    history = RecordHistory(excluded_fields=["password", "last_login"])
    # The only change to a token after it is made is its revocation.
    history_parts = (
        HistoryPart(
            "api_tokens",
            label=_("API token"),
            title="name",
            fields=("name", "expires_at", "revoked_at"),
            added=_("made"),
            changed=_("revoked"),
        ),
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        # Lists sorted by their owner, and the people list by name (qms.filters.SortFilter adds the id).
        indexes = [models.Index(fields=["last_name", "id"], name="qms_user_sort_last_name")]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="%(app_label)s_%(class)s_role_valid"),
            # One person per address, whatever its capitals: invites and password resets go to it.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="%(app_label)s_%(class)s_email_unique",
                violation_error_message=_("Someone else already has this e-mail address."),
            ),
            models.UniqueConstraint(
                fields=["sso_subject"],
                condition=~Q(sso_subject=""),
                name="%(app_label)s_%(class)s_sso_subject_unique",
                violation_error_message=_("Someone else is already linked to this single sign-on identity."),
            ),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def administers_qms(self) -> bool:
        """Quality managers (and superusers) may change every record."""
        return self.is_superuser or self.role == Role.QUALITY_MANAGER

    @property
    def two_factor_may_be_required(self) -> bool:
        """Leadership and quality managers are the roles the site may require a second factor of."""
        return self.role in (Role.LEADERSHIP, Role.QUALITY_MANAGER)

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.VIEWER and not self.is_superuser
