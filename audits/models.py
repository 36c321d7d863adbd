import uuid
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.clauses import Clause
from qms.history import HistoryPart, RecordHistory
from qms.models import OrgUnit, OwnedRecord, ProcessLinkedRecord, RecordQuerySet, detail_url
from qms.models.attachments import evidence_storage
from qms.models.base import Model

from .choices import (
    AUDIT_STATUS_COLOURS,
    FINDING_COLOURS,
    RESULT_COLOURS,
    AuditStatus,
    FindingKind,
    QuestionOrigin,
    Result,
)

AUDIT_ROLES = frozenset({Role.QUALITY_MANAGER, Role.AUDITOR})


class AuditProgramme(OwnedRecord):
    """The internal audit programme of one year (ISO 9001 9.2): the audits planned in it, their
    frequency proposed from each process's importance, risks and past results."""

    REFERENCE_PREFIX = "APG"
    ADD_ROLES = frozenset({Role.QUALITY_MANAGER})

    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    description = models.TextField(
        verbose_name=_("aims and method"),
        blank=True,
        help_text=_("What the programme sets out to show this year and how audits are chosen."),
    )

    history = RecordHistory(m2m_fields=["deputies"])

    class Meta:
        ordering = ["-year"]
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """An audit of a programme starts in its year (Audit.clean): a programme whose audits are
        planned keeps that year."""
        if self.pk and self.year and self.audits.exclude(planned_start__year=self.year).exists():
            raise ValidationError({"year": _("Its audits are planned in another year: move them first.")})

    @classmethod
    def get_list_url(cls) -> str:
        return reverse("audits:auditprogramme_list")


class AuditQuerySet(RecordQuerySet):
    def open(self) -> Self:
        return self.filter(status__in=AuditStatus.open())

    def report_overdue(self, today=None) -> Self:
        """Audits whose last day has passed without an issued report."""
        return self.open().filter(planned_end__lt=today or timezone.localdate())

    def involving(self, user) -> Self:
        """Audits the user leads, deputises, audits in or is audited in."""
        return self.filter(
            Q(owner=user)
            | Q(pk__in=Audit.objects.filter(Q(deputies=user) | Q(team=user) | Q(auditees=user)).values("pk"))
        )


class Audit(ProcessLinkedRecord):
    """One internal audit: its scope (processes, units, clauses), criteria, lead auditor (the
    owner), team and auditees, dates, checklist, findings and report.

    Auditors write inside the audits whose team they are on; the lead auditor issues the report,
    after which its findings stand as issued and corrections go through history with a reason.
    """

    REFERENCE_PREFIX = "AUD"
    ADD_ROLES = AUDIT_ROLES
    FROZEN_WHEN = Q(status__in=[AuditStatus.CLOSED, AuditStatus.CANCELLED])
    # The steps of an audit, each to the steps that may follow it. Reporting is the issue of the
    # report (audits.services.audit_issue_report), not a move of its own.
    TRANSITIONS = {
        AuditStatus.PLANNED: [AuditStatus.PREPARED, AuditStatus.IN_PROGRESS, AuditStatus.CANCELLED],
        AuditStatus.PREPARED: [AuditStatus.IN_PROGRESS, AuditStatus.PLANNED, AuditStatus.CANCELLED],
        AuditStatus.IN_PROGRESS: [AuditStatus.CANCELLED],
        AuditStatus.REPORTED: [AuditStatus.CLOSED],
        AuditStatus.CLOSED: [],
        AuditStatus.CANCELLED: [],
    }

    programme = models.ForeignKey(
        AuditProgramme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="audits"
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    org_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("organisational units"), related_name="audits", blank=True
    )
    clauses = models.JSONField(
        verbose_name=_("clauses"), default=list, blank=True, help_text=_("The ISO 9001 clauses in scope.")
    )
    criteria = models.TextField(
        verbose_name=_("criteria"),
        blank=True,
        help_text=_("What the audit checks against: ISO 9001, the process descriptions, customer requirements."),
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("audit team"), related_name="audits_on_team", blank=True
    )
    auditees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("auditees"), related_name="audits_as_auditee", blank=True
    )
    planned_start = models.DateField(verbose_name=_("planned start"))
    planned_end = models.DateField(verbose_name=_("planned end"))
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )

    summary = models.TextField(verbose_name=_("summary"), blank=True)
    strengths = models.TextField(verbose_name=_("strengths"), blank=True)
    conclusion = models.TextField(verbose_name=_("conclusion"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("report issued by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    issued_at = models.DateTimeField(verbose_name=_("report issued at"), null=True, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies", "processes", "org_units", "team", "auditees"])
    history_parts = (
        HistoryPart("findings", label=_("finding"), note="description"),
        HistoryPart("checklist", label=_("checklist question"), title="question", fields=("result", "notes")),
        HistoryPart(
            "issued_reports",
            label=_("issued report, version"),
            title="version",
            fields=("issued_by", "sha256", "size", "page_count"),
            added=_("issued"),
            changed=_("stored"),
        ),
    )

    class Meta:
        ordering = ["planned_start", "reference"]
        indexes = [models.Index(fields=["status", "planned_start"], name="audits_audit_status_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AuditStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")), name="%(app_label)s_%(class)s_dates_in_order"
            ),
        ]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def status_colour(self) -> str:
        return AUDIT_STATUS_COLOURS[self.status]

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None

    @property
    def is_frozen(self) -> bool:
        """A closed or cancelled audit stays as it was closed."""
        return self.status in (AuditStatus.CLOSED, AuditStatus.CANCELLED)

    def frozen_reason(self) -> str:
        """A closed or cancelled audit stays as it was closed; once its report is issued, the audit
        stands as issued (its findings change only through a correction with a reason)."""
        if self.is_frozen or self.is_issued:
            return str(_("The report is issued: the audit stands as issued."))
        return ""

    @property
    def is_under_way(self) -> bool:
        """Its checklist and findings are being worked: prepared or in progress."""
        return self.status in (AuditStatus.PREPARED, AuditStatus.IN_PROGRESS)

    def allowed_transitions(self) -> list[str]:
        return self.TRANSITIONS[self.status]

    def user_can_issue(self, user) -> bool:
        """The lead auditor issues the report (or a quality manager in their stead)."""
        return self.is_under_way and user.is_active and (user.pk == self.owner_id or user.administers_qms)

    @property
    def report_overdue(self) -> bool:
        return self.status in AuditStatus.open() and self.planned_end < timezone.localdate()

    def user_can_move(self, user) -> bool:
        """The lead auditor, deputies and quality managers (the rule of every record) move the
        audit along and hold its plan; the team works the checklist, the findings and the report."""
        if self.is_frozen:
            return False
        return type(self).objects.filter(super().permission_scope(user, "change"), pk=self.pk).exists()

    def user_can_edit_plan(self, user) -> bool:
        """Who moves the audit changes its plan (scope, criteria, people, dates), until the
        report is issued: then the plan stands as issued."""
        return not self.is_issued and self.user_can_move(user)

    @classmethod
    def permission_scope(cls, user, action: str) -> Q:
        """Everyone signed in reads audits; the lead auditor, deputies and the audit team work
        one (its checklist, findings and report; its plan is `user_can_edit_plan`); quality
        managers change all."""
        scope = super().permission_scope(user, action)
        if action == "view" or not (user.is_authenticated and user.is_active) or user.is_read_only:
            return scope
        if user.administers_qms:  # everything: Q() | Q(...) would narrow it to the second term
            return scope
        return scope | Q(pk__in=cls.objects.filter(team=user).values("pk"))

    def processes_for_findings(self, current_id: int | None = None) -> models.QuerySet:
        """The processes a finding of this audit may name: those in its scope, and the one a
        finding names already (so saving it unchanged keeps it)."""
        return self.processes.model.objects.filter(Q(pk__in=self.processes.values("pk")) | Q(pk=current_id)).order_by(
            "reference"
        )

    def clauses_covered(self) -> list[str]:
        """The clauses in scope and those its checklist questions and findings turned to."""
        walked = self.checklist.exclude(clause="").values_list("clause", flat=True)
        found = self.findings.values_list("clause", flat=True)
        return Clause.valid([*self.clauses, *walked, *found])

    def clean(self) -> None:
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The audit cannot end before it starts.")
        if not isinstance(self.clauses, list) or set(self.clauses) - set(Clause.values):
            errors["clauses"] = _("Choose clauses of ISO 9001 from the list.")
        else:
            self.clauses = Clause.valid(self.clauses)  # each once, in the standard's order
        if self.programme_id and self.planned_start and self.planned_start.year != self.programme.year:
            errors["planned_start"] = _("An audit of the %(year)d programme starts in %(year)d.") % {
                "year": self.programme.year
            }
        if errors:
            raise ValidationError(errors)


def report_path(report: "IssuedReport", filename: str) -> str:
    """A generated name: nothing of the audit or of a person's text reaches the file system."""
    return f"audit-reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class IssuedReportQuerySet(models.QuerySet):
    def stored(self) -> Self:
        return self.exclude(sha256="")

    def pending(self) -> Self:
        """Issued, its PDF not rendered yet."""
        return self.filter(sha256="")


class IssuedReport(Model):
    """One issued version of an audit's report, kept as evidence: its PDF is rendered once, after the
    lead auditor issued the report (version 1) or after a finding was corrected with a reason once it
    was issued (a new version, whose reason is the correction's), and stored with its SHA-256
    (packs.services.audit_report_store). Every download serves those bytes, so what was issued can be
    shown again byte for byte however the records change; earlier versions stay readable.

    Those who may view the audit read its issued reports; nobody changes them."""

    audit = models.ForeignKey(
        Audit, verbose_name=_("audit"), on_delete=models.PROTECT, related_name="issued_reports", editable=False
    )
    version = models.PositiveSmallIntegerField(verbose_name=_("version"), editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(verbose_name=_("issued at"))
    reason = models.TextField(verbose_name=_("reason"), blank=True, help_text=_("Why a later version was issued."))
    file = models.FileField(
        verbose_name=_("PDF"), upload_to=report_path, storage=evidence_storage, max_length=200, blank=True
    )
    size = models.PositiveBigIntegerField(verbose_name=_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(verbose_name=_("pages"), null=True, blank=True)
    stored_at = models.DateTimeField(verbose_name=_("stored at"), null=True, blank=True)

    objects = IssuedReportQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ["audit", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "version"], name="%(app_label)s_%(class)s_unique_version"),
            models.CheckConstraint(
                condition=Q(sha256="", file="") | ~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="%(app_label)s_%(class)s_stored_has_hash",
            ),
        ]
        verbose_name = _("issued report")
        verbose_name_plural = _("issued reports")

    def __str__(self) -> str:
        return f"{self.audit.reference} v{self.version}"

    @property
    def is_stored(self) -> bool:
        return bool(self.sha256)

    @property
    def download_name(self) -> str:
        return f"audit-report-{self.audit.reference}-v{self.version}.pdf"

    def get_download_url(self) -> str:
        return reverse("packs:audit_report_version", args=[self.audit_id, self.version])


class QuestionTemplate(Model):
    """A reusable checklist question for one clause, in the product's own words; an audit's
    checklist starts from the templates of the clauses in its scope."""

    clause = models.CharField(verbose_name=_("clause"), max_length=5, choices=Clause.choices)
    text = models.CharField(verbose_name=_("question"), max_length=300)
    guidance = models.TextField(verbose_name=_("what to look at"), blank=True)
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=0)
    is_active = models.BooleanField(verbose_name=_("in use"), default=True)

    history = RecordHistory()

    class Meta:
        ordering = ["clause", "order", "pk"]
        verbose_name = _("checklist question")
        verbose_name_plural = _("checklist questions")

    def __str__(self) -> str:
        return f"{self.clause} {self.text}"


class ChecklistItem(Model):
    """One question of an audit's checklist, from a clause template or from a process's turtle
    (its inputs, outputs, resources, methods, hand-offs, KPIs and risks), with the auditor's result."""

    audit = models.ForeignKey(Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    clause = models.CharField(verbose_name=_("clause"), max_length=5, choices=Clause.choices, blank=True)
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        on_delete=models.PROTECT,
        related_name="checklist_items",
        null=True,
        blank=True,
    )
    origin = models.CharField(
        verbose_name=_("from"), max_length=20, choices=QuestionOrigin.choices, default=QuestionOrigin.TEMPLATE
    )
    question = models.CharField(verbose_name=_("question"), max_length=400)
    guidance = models.TextField(verbose_name=_("what to look at"), blank=True)
    result = models.CharField(verbose_name=_("result"), max_length=20, choices=Result.choices, blank=True)
    notes = models.TextField(verbose_name=_("notes and evidence seen"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    answered_at = models.DateTimeField(verbose_name=_("answered at"), null=True, blank=True, editable=False)

    history = RecordHistory()

    class Meta:
        ordering = ["audit", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=[*Result.values, ""]), name="%(app_label)s_%(class)s_result_valid"
            ),
        ]
        verbose_name = _("checklist question")
        verbose_name_plural = _("checklist")

    def __str__(self) -> str:
        return self.question

    @property
    def result_colour(self) -> str:
        return RESULT_COLOURS.get(self.result, "light")

    @property
    def raises_finding(self) -> bool:
        """A result that calls for a finding: a nonconformity, an observation or an opportunity."""
        return self.result in FindingKind.values

    @cached_property
    def raised_findings(self) -> list:
        """The findings recorded against this question, by number. The audit's page gives each of its
        questions theirs from the audit's findings, read once."""
        return list(self.findings.select_related("audit"))


class FindingQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> Self:
        """Findings follow their audit: those of the audits the user may view, or change."""
        return self.filter(audit__in=Audit.objects.restrict(user, action).values("pk"))

    def to_answer_by(self, user) -> Self:
        """Findings of open audits the user is audited in, not answered yet."""
        return self.filter(
            audit__in=Audit.objects.filter(auditees=user)
            .exclude(status__in=[AuditStatus.CLOSED, AuditStatus.CANCELLED])
            .values("pk"),
            auditee_response="",
        )


class Finding(Model):
    """What an audit found, typed (major or minor nonconformity, observation, opportunity for
    improvement) and tied to a clause, a process and its evidence. A nonconformity finding raises a
    nonconformity; an opportunity may raise an improvement action. The auditees answer it."""

    audit = models.ForeignKey(Audit, verbose_name=_("audit"), on_delete=models.PROTECT, related_name="findings")
    number = models.PositiveSmallIntegerField(verbose_name=_("number"), editable=False)
    checklist_item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("checklist question"),
        on_delete=models.SET_NULL,
        related_name="findings",
        null=True,
        blank=True,
    )
    kind = models.CharField(verbose_name=_("type"), max_length=20, choices=FindingKind.choices)
    clause = models.CharField(verbose_name=_("clause"), max_length=5, choices=Clause.choices)
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="findings"
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    description = models.TextField(verbose_name=_("what was found"))
    evidence = models.TextField(
        verbose_name=_("objective evidence"), help_text=_("What was seen, heard or read that shows it.")
    )
    auditee_response = models.TextField(verbose_name=_("auditee's response"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    responded_at = models.DateTimeField(verbose_name=_("answered at"), null=True, blank=True, editable=False)
    nonconformity = models.OneToOneField(
        "nonconformities.Nonconformity",
        verbose_name=_("nonconformity"),
        on_delete=models.PROTECT,
        related_name="finding",
        null=True,
        blank=True,
        editable=False,
    )
    action = models.ForeignKey(
        "qms.Action",
        verbose_name=_("improvement action"),
        on_delete=models.PROTECT,
        related_name="findings",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )

    objects = FindingQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="%(app_label)s_%(class)s_number_in_audit"),
            models.CheckConstraint(condition=Q(kind__in=FindingKind.values), name="%(app_label)s_%(class)s_kind"),
        ]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return detail_url("audits:finding_detail", self.pk)

    @property
    def is_frozen(self) -> bool:
        """Once the report is issued, a finding stands as issued: a correction needs a reason, and
        its evidence files stay."""
        return self.audit.is_issued

    def user_can_change(self, user) -> bool:
        """Whoever may change the audit records and corrects its findings, while it is open."""
        return not self.audit.is_frozen and self.audit.user_can_change(user)

    def user_can_respond(self, user) -> bool:
        """The auditees, and only they, answer the findings of their audit: the answer is theirs,
        not the auditors'."""
        if self.audit.is_frozen or not (user.is_authenticated and user.is_active) or user.is_read_only:
            return False
        return self.audit.auditees.filter(pk=user.pk).exists()

    @property
    def reference(self) -> str:
        return f"{self.audit.reference}-F{self.number}"

    @classmethod
    def for_reference(cls) -> models.QuerySet:
        """The findings read with what a link to one shows: its number and its audit's reference."""
        return cls.objects.select_related("audit").only("pk", "number", "audit__reference")

    @classmethod
    def user_can_add(cls, user) -> bool:
        """Findings are recorded inside an audit, by those who may change it; these roles may."""
        return Audit.user_can_add(user)

    @property
    def colour(self) -> str:
        return FINDING_COLOURS[self.kind]

    @property
    def is_nonconformity(self) -> bool:
        return self.kind in FindingKind.nonconformities()


class ProcessAuditInterval(Model):
    """The quality manager's choice of how often a process is audited, overriding the proposal
    the programme makes from its risks, KPIs and past findings, with the reason."""

    process = models.OneToOneField(
        "processes.Process", verbose_name=_("process"), on_delete=models.CASCADE, related_name="audit_interval"
    )
    months = models.PositiveSmallIntegerField(
        verbose_name=_("audit every (months)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    reason = models.CharField(verbose_name=_("why"), max_length=300)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(verbose_name=_("set at"), auto_now=True)

    history = RecordHistory()

    class Meta:
        verbose_name = _("audit interval")
        verbose_name_plural = _("audit intervals")

    def __str__(self) -> str:
        return f"{self.process}: {self.months}"
