import hashlib
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.history import HistoryPart, RecordHistory
from qms.models import ProcessLinkedRecord, RecordQuerySet
from qms.models.base import Model
from qms.models.records import _request_user

from .choices import (
    RISK_STATUS_COLOURS,
    STRATEGIES,
    Band,
    Category,
    RiskKind,
    RiskStatus,
    Strategy,
    band_colour,
    band_label,
)

DEFAULT_LIKELIHOOD = ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]
DEFAULT_IMPACT = ["Negligible", "Minor", "Moderate", "Major", "Severe"]
DEFAULT_BENEFIT = ["Slight", "Minor", "Moderate", "Major", "Exceptional"]
# The lowest score of each band above low; low starts at 1.
DEFAULT_BANDS = {Band.MEDIUM: 5, Band.HIGH: 10, Band.CRITICAL: 16}


def default_likelihood() -> list[str]:
    return list(DEFAULT_LIKELIHOOD)


def default_impact() -> list[str]:
    return list(DEFAULT_IMPACT)


def default_benefit() -> list[str]:
    return list(DEFAULT_BENEFIT)


def default_bands() -> dict[str, int]:
    return {str(band): score for band, score in DEFAULT_BANDS.items()}


class RiskMatrix(Model):
    """The scoring matrix the quality manager configures: named levels of likelihood and of impact
    (benefit, for opportunities), a score of likelihood × impact, and the score where each band
    starts. There is one matrix; `RiskMatrix.current()` returns it."""

    likelihood_levels = models.JSONField(verbose_name=_("likelihood levels"), default=default_likelihood)
    impact_levels = models.JSONField(verbose_name=_("impact levels"), default=default_impact)
    benefit_levels = models.JSONField(verbose_name=_("benefit levels"), default=default_benefit)
    band_thresholds = models.JSONField(verbose_name=_("band thresholds"), default=default_bands)

    history = RecordHistory()

    class Meta:
        verbose_name = _("risk matrix")
        verbose_name_plural = _("risk matrix")

    def __str__(self) -> str:
        return _("%(l)d × %(i)d matrix") % {"l": self.rows, "i": self.columns}

    @classmethod
    def current(cls) -> "RiskMatrix":
        matrix, _created = cls.objects.get_or_create(pk=1)
        return matrix

    @property
    def rows(self) -> int:
        return len(self.likelihood_levels)

    @property
    def columns(self) -> int:
        return len(self.impact_levels)

    def band(self, score: int | None) -> str | None:
        if not score:
            return None
        band = Band.LOW
        for name in (Band.MEDIUM, Band.HIGH, Band.CRITICAL):
            if score >= self.band_thresholds[name]:
                band = name
        return band

    def clean(self) -> None:
        errors = {}
        for field in ("likelihood_levels", "impact_levels", "benefit_levels"):
            levels = getattr(self, field)
            if not (isinstance(levels, list) and 2 <= len(levels) <= 10 and all(str(x).strip() for x in levels)):
                errors[field] = _("Name between 2 and 10 levels, one per line, lowest first.")
        if len(self.benefit_levels) != len(self.impact_levels):
            errors["benefit_levels"] = _("Give as many benefit levels as impact levels.")
        thresholds = [self.band_thresholds.get(b) for b in (Band.MEDIUM, Band.HIGH, Band.CRITICAL)]
        if not all(isinstance(t, int) for t in thresholds) or not (1 < thresholds[0] < thresholds[1] < thresholds[2]):
            errors["band_thresholds"] = _("Bands must start at rising scores: medium < high < critical.")
        if errors:
            raise ValidationError(errors)
        if Risk.objects.filter(
            Q(inherent_likelihood__gt=self.rows)
            | Q(residual_likelihood__gt=self.rows)
            | Q(inherent_impact__gt=self.columns)
            | Q(residual_impact__gt=self.columns)
            | Q(target_likelihood__gt=self.rows)
            | Q(target_impact__gt=self.columns)
        ).exists():
            raise ValidationError(_("Some risks are scored on levels this matrix would remove: rescore them first."))


class RiskQuerySet(RecordQuerySet):
    def review_overdue(self, today=None) -> Self:
        return self.open().filter(next_review_date__lt=today or timezone.localdate())

    def open(self) -> Self:
        return self.exclude(status=RiskStatus.CLOSED)

    def acceptance_pending(self) -> Self:
        """Risks accepted at a high or critical residual band that Leadership has not approved."""
        return self.filter(
            kind=RiskKind.RISK,
            strategy=Strategy.ACCEPT,
            residual_band__in=[Band.HIGH, Band.CRITICAL],
            accepted_by__isnull=True,
        )

    def approvable_by(self, user) -> Self:
        """The risks whose acceptance `user` may approve: the four-eyes rule, in one place for the
        pages, htmx, the API and My work. Only Leadership approves (being a superuser grants nothing
        here), and never a risk they own, deputise or whose rationale they last wrote."""
        if not (user.is_authenticated and user.is_active and user.role == Role.LEADERSHIP):
            return self.none()
        return self.exclude(owner=user).exclude(deputies=user).exclude(rationale_written_by=user)

    def risks(self) -> Self:
        return self.filter(kind=RiskKind.RISK)

    def opportunities(self) -> Self:
        return self.filter(kind=RiskKind.OPPORTUNITY)


def _level_field(label):
    return models.PositiveSmallIntegerField(verbose_name=label, null=True, blank=True)


class Risk(ProcessLinkedRecord):
    """A risk or an opportunity found in planning (ISO 9001 6.1), scored on the matrix before and
    after its controls, treated by actions and reviewed over time."""

    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=RiskKind.choices, default=RiskKind.RISK)
    title = models.CharField(verbose_name=_("title"), max_length=200)
    description = models.TextField(verbose_name=_("description"), blank=True)
    cause = models.TextField(verbose_name=_("cause"), blank=True)
    consequence = models.TextField(verbose_name=_("consequence"), blank=True)
    category = models.CharField(verbose_name=_("category"), max_length=20, choices=Category.choices)
    objectives = models.ManyToManyField(
        "objectives.Objective", verbose_name=_("objectives"), related_name="risks", blank=True
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=RiskStatus.choices, default=RiskStatus.IDENTIFIED
    )
    next_review_date = models.DateField(verbose_name=_("next review"), null=True, blank=True)

    inherent_likelihood = _level_field(_("likelihood before controls"))
    inherent_impact = _level_field(_("impact before controls"))
    controls = models.TextField(verbose_name=_("existing controls"), blank=True)
    strategy = models.CharField(
        verbose_name=_("treatment strategy"), max_length=20, choices=Strategy.choices, blank=True
    )
    residual_likelihood = _level_field(_("likelihood with controls"))
    residual_impact = _level_field(_("impact with controls"))
    target_likelihood = _level_field(_("target likelihood"))
    target_impact = _level_field(_("target impact"))
    acceptance_rationale = models.TextField(verbose_name=_("why the risk is accepted"), blank=True)
    # Who last wrote the rationale may not approve it (four eyes); kept by save(), in history.
    rationale_written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rationale written by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    rationale_written_at = models.DateTimeField(
        verbose_name=_("rationale written at"), null=True, blank=True, editable=False
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acceptance approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    accepted_at = models.DateTimeField(verbose_name=_("acceptance approved at"), null=True, blank=True, editable=False)
    # The SHA-256 of the rationale as approved: the approval holds for that text only.
    accepted_rationale_sha256 = models.CharField(
        verbose_name=_("approved rationale (SHA-256)"), max_length=64, blank=True, editable=False
    )

    # Kept on the row by save() (and by the matrix when it changes), so lists filter and sort in SQL.
    inherent_score = models.PositiveSmallIntegerField(verbose_name=_("inherent score"), null=True, editable=False)
    residual_score = models.PositiveSmallIntegerField(verbose_name=_("residual score"), null=True, editable=False)
    inherent_band = models.CharField(
        verbose_name=_("inherent band"), max_length=10, choices=Band.choices, blank=True, editable=False
    )
    residual_band = models.CharField(
        verbose_name=_("residual band"), max_length=10, choices=Band.choices, blank=True, editable=False
    )

    objects = RiskQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies", "processes", "objectives"])
    history_parts = (
        HistoryPart(
            "reviews",
            label=_("review"),
            title="reviewed_on",
            fields=("reviewer", "likelihood", "impact", "score", "band", "next_review_date"),
            note="note",
        ),
        HistoryPart(
            model="qms.Action",
            generic="source",
            label=_("treatment"),
            fields=("status", "owner", "due_date"),
            added=_("raised"),
        ),
    )

    class Meta:
        ordering = ["-residual_score", "reference"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RiskKind.values), name="%(app_label)s_%(class)s_kind"),
            models.CheckConstraint(condition=Q(status__in=RiskStatus.values), name="%(app_label)s_%(class)s_status"),
        ]
        indexes = [
            models.Index(fields=["residual_band", "status"], name="risks_risk_band_status"),
            # Highest first (the lists' and sections' order), so a page reads only its first rows;
            # and the open ones' ids alone, so counting a process's open risks reads no table.
            models.Index(models.F("residual_score").desc(), "reference", name="risks_risk_rank"),
            models.Index(fields=["id"], name="risks_risk_open_id", condition=~Q(status=RiskStatus.CLOSED)),
            # Everything a person owns, counted by status without reading the table (their page).
            models.Index(fields=["owner", "status", "id"], name="risks_risk_owner_status"),
            # The heat map's cells of open risks, counted from the index alone.
            models.Index(
                fields=["kind", "inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact"],
                name="risks_risk_heat",
                condition=~Q(status=RiskStatus.CLOSED),
            ),
            # Sort headers whose sort would otherwise read every risk (qms.filters.SortFilter adds the id).
            models.Index(fields=["title", "id"], name="risks_risk_sort_title"),
            models.Index(fields=["status", "id"], name="risks_risk_sort_status"),
            models.Index(fields=["inherent_score", "id"], name="risks_risk_sort_inherent"),
            models.Index(fields=["next_review_date", "id"], name="risks_risk_sort_review"),
        ]
        verbose_name = _("risk or opportunity")
        verbose_name_plural = _("risks and opportunities")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def reference_prefix(self) -> str:
        return "OPP" if self.kind == RiskKind.OPPORTUNITY else "RSK"

    @classmethod
    def get_list_url(cls) -> str:
        return reverse("risks:risk_list")

    @property
    def is_opportunity(self) -> bool:
        return self.kind == RiskKind.OPPORTUNITY

    @property
    def status_colour(self) -> str:
        return RISK_STATUS_COLOURS[self.status]

    @property
    def residual_band_colour(self) -> str:
        return band_colour(self.kind, self.residual_band)

    @property
    def inherent_band_colour(self) -> str:
        return band_colour(self.kind, self.inherent_band)

    @property
    def residual_band_label(self) -> str:
        """The band in the words of its kind: "Critical" for a risk, "Exceptional" for an opportunity."""
        return band_label(self.kind, self.residual_band)

    @property
    def inherent_band_label(self) -> str:
        return band_label(self.kind, self.inherent_band)

    @property
    def review_overdue(self) -> bool:
        return (
            self.status != RiskStatus.CLOSED
            and self.next_review_date is not None
            and self.next_review_date < timezone.localdate()
        )

    @property
    def needs_acceptance_approval(self) -> bool:
        """Accepting a high or critical risk needs a Leadership approver."""
        return (
            self.kind == RiskKind.RISK
            and self.strategy == Strategy.ACCEPT
            and self.residual_band in (Band.HIGH, Band.CRITICAL)
        )

    def user_can_approve(self, user) -> bool:
        """May `user` approve accepting this risk (RiskQuerySet.approvable_by, the four-eyes rule)."""
        return type(self).objects.approvable_by(user).filter(pk=self.pk).exists()

    @property
    def rationale_sha256(self) -> str:
        return hashlib.sha256(self.acceptance_rationale.encode()).hexdigest()

    def approve_acceptance(self, user) -> None:
        """Record `user`'s approval of accepting the risk on its rationale as it stands."""
        self.accepted_by, self.accepted_at = user, timezone.now()
        self.accepted_rationale_sha256 = self.rationale_sha256

    @property
    def acceptance_pending(self) -> bool:
        return self.needs_acceptance_approval and self.accepted_by_id is None

    @property
    def approval_lapsed(self) -> bool:
        """An approval of acceptance holds for the residual band and the rationale it approved, not
        for a new band or a rewritten rationale."""
        if self.accepted_by_id is None:
            return False
        loaded_band = getattr(self, "_loaded_residual_band", None)
        band_moved = loaded_band is not None and loaded_band != self.residual_band
        return band_moved or self.accepted_rationale_sha256 != self.rationale_sha256

    def score(self, matrix: RiskMatrix) -> None:
        """Work out the stored scores and bands from the levels and the matrix."""
        for stage in ("inherent", "residual"):
            likelihood, impact = getattr(self, f"{stage}_likelihood"), getattr(self, f"{stage}_impact")
            value = likelihood * impact if likelihood and impact else None
            setattr(self, f"{stage}_score", value)
            setattr(self, f"{stage}_band", matrix.band(value) or "")

    @classmethod
    def from_db(cls, db, field_names, values):
        risk = super().from_db(db, field_names, values)
        risk._remember_loaded()
        return risk

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using, fields, from_queryset)
        self._remember_loaded(fields)

    def _remember_loaded(self, fields=None) -> None:
        """What was read from the database, so save() knows what changed since."""
        if fields is None or "residual_band" in fields:
            self._loaded_residual_band = self.__dict__.get("residual_band")
        if fields is None or "acceptance_rationale" in fields:
            self._loaded_rationale = self.__dict__.get("acceptance_rationale")

    def save(self, *args, **kwargs) -> None:
        self.score(RiskMatrix.current())
        loaded_rationale = getattr(self, "_loaded_rationale", "")  # None: not read, so not known to change
        if loaded_rationale is not None and self.acceptance_rationale != loaded_rationale:
            # Whoever writes the rationale is kept, so they never approve it themselves.
            self.rationale_written_by = getattr(self, "_history_user", None) or _request_user()
            self.rationale_written_at = timezone.now()
        if self.approval_lapsed:
            self.accepted_by, self.accepted_at, self.accepted_rationale_sha256 = None, None, ""
        super().save(*args, **kwargs)
        self._remember_loaded()

    def clean(self) -> None:
        matrix = RiskMatrix.current()
        errors = {}
        for stage in ("inherent", "residual", "target"):
            likelihood, impact = getattr(self, f"{stage}_likelihood"), getattr(self, f"{stage}_impact")
            if (likelihood is None) != (impact is None):
                errors[f"{stage}_impact"] = _("Give both the likelihood and the impact, or neither.")
            if likelihood is not None and not 1 <= likelihood <= matrix.rows:
                errors[f"{stage}_likelihood"] = _("Choose a level of the matrix.")
            if impact is not None and not 1 <= impact <= matrix.columns:
                errors[f"{stage}_impact"] = _("Choose a level of the matrix.")
        if self.strategy and self.strategy not in STRATEGIES[self.kind]:
            errors["strategy"] = _("Choose one of: %(choices)s.") % {
                "choices": ", ".join(str(Strategy(s).label).lower() for s in STRATEGIES[self.kind])
            }
        if self.status != RiskStatus.IDENTIFIED and self.inherent_likelihood is None:
            errors["inherent_likelihood"] = _("Score the risk before it moves beyond “identified”.")
        if errors:
            raise ValidationError(errors)
        self.score(matrix)
        if self.needs_acceptance_approval:
            if not self.acceptance_rationale.strip():
                errors["acceptance_rationale"] = _("Accepting a high or critical risk needs a rationale.")
            approved = self.accepted_by_id is not None and not self.approval_lapsed
            if self.status in (RiskStatus.MONITORED, RiskStatus.CLOSED) and not approved:
                errors["status"] = _("A Leadership approver must approve accepting this risk before it is monitored.")
        if errors:
            raise ValidationError(errors)


class RiskReview(Model):
    """A review of a risk: when, by whom, the scores found, and a note. The reviews of a risk are the
    history of its score over time."""

    risk = models.ForeignKey(Risk, verbose_name=_("risk"), on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(verbose_name=_("reviewed on"), default=timezone.localdate)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    likelihood = models.PositiveSmallIntegerField(verbose_name=_("likelihood"))
    impact = models.PositiveSmallIntegerField(verbose_name=_("impact"))
    score = models.PositiveSmallIntegerField(verbose_name=_("score"), editable=False)
    band = models.CharField(verbose_name=_("band"), max_length=10, choices=Band.choices, editable=False)
    note = models.TextField(verbose_name=_("note"))
    next_review_date = models.DateField(verbose_name=_("next review"), null=True, blank=True)

    history = RecordHistory()

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        verbose_name = _("risk review")
        verbose_name_plural = _("risk reviews")

    def __str__(self) -> str:
        return f"{self.risk.reference} {self.reviewed_on}"

    @property
    def band_colour(self) -> str:
        return band_colour(self.risk.kind, self.band)

    @property
    def band_label(self) -> str:
        return band_label(self.risk.kind, self.band)
