"""Evidence packs: one PDF, indexed by ISO 9001 clause, of the records that serve as evidence for an
audit or for a chosen scope and period, each as it stood on the pack's date.

A pack is rendered once (packs.services.pack_render) and its bytes are kept: every download serves
those bytes, so the pack an external auditor received can be shown again, byte for byte, however
the records have changed since. Its SHA-256 and page count are recorded with it.
"""

import uuid
from datetime import timedelta
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.clauses import Clause
from qms.history import RecordHistory
from qms.models.attachments import evidence_storage
from qms.models.base import Model
from qms.models.records import NOTHING

from .choices import PACK_STATUS_COLOURS, PackStatus

REQUEST_ROLES = frozenset({Role.QUALITY_MANAGER, Role.AUDITOR})
# The longest period a pack covers: enough for a certification cycle and its predecessor, and a bound
# on how much one request can make the worker render.
MAX_PERIOD = timedelta(days=5 * 366)


def pack_path(pack: "EvidencePack", filename: str) -> str:
    """A generated name: nothing of the scope or of a person's text reaches the file system."""
    return f"packs/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


def evidence_models() -> list[type[models.Model]]:
    """The kinds of record a pack gathers; a scope pack is for those who may view all of them."""
    from audits.models import Audit
    from nonconformities.models import Nonconformity
    from objectives.models import KPI, Objective
    from processes.models import Process
    from qms.models import Action
    from risks.models import Risk

    return [Process, Objective, KPI, Risk, Audit, Nonconformity, Action]


def may_view_every_record(user) -> bool:
    """Whether the product's one permission rule lets `user` view every record of every kind a pack
    gathers (today: everyone signed in and active). A scope pack shows records of all kinds, so it
    is downloaded only by those; should the rule ever narrow for a kind, scope packs narrow with it."""
    return all(model.permission_scope(user, "view") == Q() for model in evidence_models())


class EvidencePackQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The packs `user` may see and download: those they requested, an audit's packs if they may
        view the audit, and scope packs if they may view every record (see may_view_every_record)."""
        from audits.models import Audit

        if not (user.is_authenticated and user.is_active):
            return self.filter(NOTHING)
        visible = Q(requested_by=user) | Q(audit__in=Audit.objects.restrict(user, "view").values("pk"))
        if may_view_every_record(user):
            visible |= Q(audit__isnull=True)
        return self.filter(visible)

    def restrict(self, user, action: str = "view") -> Self:
        """The generic list's entry point: a pack is only ever viewed (and downloaded), never changed."""
        return self.visible_to(user) if action == "view" else self.filter(NOTHING)


class EvidencePack(Model):
    """A PDF evidence pack for an audit (its processes and clauses, the year up to its end) or for a
    chosen scope (processes, clauses) and period, showing every record as it stood at `as_of`.

    Requested by auditors and quality managers; rendered by a Celery task (small packs inline), which
    moves it from queued through rendering to done (or failed, with the error) and records the PDF's
    size, SHA-256 and page count. A done pack is never rendered again.
    """

    audit = models.ForeignKey(
        "audits.Audit",
        verbose_name=_("audit"),
        on_delete=models.PROTECT,
        related_name="evidence_packs",
        null=True,
        blank=True,
    )
    processes = models.ManyToManyField(
        "processes.Process",
        verbose_name=_("processes"),
        related_name="evidence_packs",
        blank=True,
        help_text=_("The processes whose records the pack shows; none: all processes."),
    )
    clauses = models.JSONField(
        verbose_name=_("clauses"),
        default=list,
        blank=True,
        help_text=_("The ISO 9001 clauses the pack covers; none: all of them, 4.1 to 10.3."),
    )
    period_from = models.DateField(verbose_name=_("period from"))
    period_to = models.DateField(verbose_name=_("period to"))
    as_of = models.DateTimeField(
        verbose_name=_("as of"), help_text=_("The pack's date: every record is shown as it stood then.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"), default=timezone.now, editable=False)

    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=PackStatus.choices, default=PackStatus.QUEUED
    )
    # Changed often while rendering, and not part of the history (see services.pack_progress).
    progress = models.PositiveSmallIntegerField(
        verbose_name=_("progress"), default=0, validators=[MaxValueValidator(100)]
    )
    file = models.FileField(
        verbose_name=_("PDF"), upload_to=pack_path, storage=evidence_storage, max_length=200, blank=True
    )
    size = models.PositiveBigIntegerField(verbose_name=_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(verbose_name=_("pages"), null=True, blank=True)
    started_at = models.DateTimeField(verbose_name=_("rendering started at"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    error = models.TextField(verbose_name=_("error"), blank=True)

    objects = EvidencePackQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["processes"], excluded_fields=["progress", "started_at"])

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PackStatus.values), name="%(app_label)s_%(class)s_status"),
            models.CheckConstraint(
                condition=Q(period_to__gte=models.F("period_from")), name="%(app_label)s_%(class)s_period_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(status=PackStatus.DONE) | ~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="%(app_label)s_%(class)s_done_has_file",
            ),
        ]
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("packs:evidencepack_detail", args=[self.pk])

    def get_download_url(self) -> str:
        return reverse("packs:evidencepack_download", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"EVP-{self.pk:03d}"

    @property
    def title(self) -> str:
        if self.audit_id:
            return str(_("Evidence pack for %(audit)s") % {"audit": self.audit})
        return str(_("Evidence pack %(from)s to %(to)s") % {"from": self.period_from, "to": self.period_to})

    @property
    def clause_codes(self) -> list[str]:
        """The clauses covered, in the standard's order: all of them when none were chosen."""
        return Clause.valid(self.clauses) or list(Clause.values)

    @property
    def status_colour(self) -> str:
        return PACK_STATUS_COLOURS[self.status]

    @property
    def is_pending(self) -> bool:
        return self.status in PackStatus.pending()

    @property
    def is_done(self) -> bool:
        return self.status == PackStatus.DONE

    @property
    def download_name(self) -> str:
        return f"evidence-pack-{self.pk:03d}-{timezone.localtime(self.as_of):%Y-%m-%d}.pdf"

    @classmethod
    def user_can_add(cls, user) -> bool:
        """Auditors and quality managers request packs."""
        return user.is_authenticated and user.is_active and (user.is_superuser or user.role in REQUEST_ROLES)

    def user_can_view(self, user) -> bool:
        return EvidencePack.objects.visible_to(user).filter(pk=self.pk).exists()

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.clauses, list) or set(self.clauses) - set(Clause.values):
            errors["clauses"] = _("Choose clauses of ISO 9001 from the list.")
        else:
            self.clauses = Clause.valid(self.clauses)
        if self.period_from and self.period_to and self.period_to < self.period_from:
            errors["period_to"] = _("The period cannot end before it starts.")
        elif self.period_from and self.period_to and self.period_to - self.period_from > MAX_PERIOD:
            errors["period_from"] = _("A pack covers at most five years; choose a shorter period.")
        if self.as_of and self.as_of > timezone.now() + timedelta(minutes=1):
            errors["as_of"] = _("A pack shows records as they stood: its date cannot be in the future.")
        if errors:
            raise ValidationError(errors)
