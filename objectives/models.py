from datetime import date
from decimal import Decimal
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DatabaseError, models, transaction
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.choices import Role
from qms.history import HistoryPart, RecordHistory
from qms.models import Action, OwnedRecord, ProcessLinkedRecord, RecordQuerySet
from qms.models.base import Model
from qms.models.records import detail_url

from .choices import (
    KPI_STATUS_COLOURS,
    OBJECTIVE_STATUS_COLOURS,
    Direction,
    Frequency,
    KPIStatus,
    Nature,
    ObjectiveStatus,
    ReviewTopic,
    Source,
)
from .formula import Formula, parsed
from .import_jobs import ImportJob, import_path  # noqa: F401  (migrations name import_path here)
from .periods import EARLIEST, Period, latest_due_period
from .progress import Progress, distance

LEADERSHIP_ROLES = frozenset({Role.LEADERSHIP, Role.QUALITY_MANAGER})


class StrategicTheme(OwnedRecord):
    """A direction leadership sets (e.g. "Delight customers"); quality objectives sit under one."""

    REFERENCE_PREFIX = "THM"
    ADD_ROLES = LEADERSHIP_ROLES

    title = models.CharField(verbose_name=_("title"), max_length=150)
    description = models.TextField(verbose_name=_("description"), blank=True)
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=0)
    is_active = models.BooleanField(verbose_name=_("active"), default=True)

    history = RecordHistory(m2m_fields=["deputies"])

    class Meta:
        ordering = ["order", "reference"]
        verbose_name = _("strategic theme")
        verbose_name_plural = _("strategic themes")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def get_list_url(cls) -> str:
        return reverse("objectives:index")


class ObjectiveQuerySet(RecordQuerySet):
    def with_progress(self) -> Self:
        """Objectives with what their progress needs beyond their prefetched KPIs: the main KPI's
        value when the objective was created (its default baseline), as a subquery of the same
        query, so a list of objectives costs no query per row."""
        values = Measurement.objects.filter(kpi=OuterRef("main_kpi")).values("value")
        at_start = values.filter(period_start__lte=OuterRef("created_at__date")).order_by("-period_start")
        first = values.order_by("period_start")
        decimal = models.DecimalField(max_digits=20, decimal_places=4)
        return self.annotate(kpi_baseline=Coalesce(Subquery(at_start[:1]), Subquery(first[:1]), output_field=decimal))


class Objective(ProcessLinkedRecord):
    """A quality objective (ISO 9001 6.2): what will be done, with what, by whom, by when, and how
    the results are evaluated. Its progress comes from its KPIs, never typed in: the way its main
    KPI has come from a baseline to a target, or else the share of its KPIs on target."""

    REFERENCE_PREFIX = "OBJ"
    ADD_ROLES = LEADERSHIP_ROLES

    theme = models.ForeignKey(
        StrategicTheme, verbose_name=_("strategic theme"), on_delete=models.PROTECT, related_name="objectives"
    )
    title = models.CharField(verbose_name=_("objective"), max_length=200)
    description = models.TextField(verbose_name=_("what will be done"), blank=True)
    resources = models.TextField(verbose_name=_("resources"), blank=True)
    evaluation = models.TextField(verbose_name=_("how results are evaluated"), blank=True)
    due_date = models.DateField(verbose_name=_("due date"))
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ACTIVE
    )
    main_kpi = models.ForeignKey(
        "KPI",
        verbose_name=_("main KPI"),
        on_delete=models.PROTECT,
        related_name="main_for",
        null=True,
        blank=True,
        help_text=_("The KPI whose way from baseline to target is the objective's progress; one that measures it."),
    )
    baseline = models.DecimalField(
        verbose_name=_("baseline"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "Where the main KPI started. Empty: its value for the period in which this objective was created "
            "(or its first value, if it was measured only later)."
        ),
    )
    target = models.DecimalField(
        verbose_name=_("target"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Where the main KPI is to get to. Empty: the KPI's own target."),
    )

    objects = ObjectiveQuerySet.as_manager()
    history = RecordHistory(m2m_fields=["deputies", "processes"])

    class Meta:
        ordering = ["due_date", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ObjectiveStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(main_kpi__isnull=False) | Q(baseline__isnull=True, target__isnull=True),
                name="%(app_label)s_%(class)s_progress_needs_main_kpi",
            ),
        ]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def status_colour(self) -> str:
        return OBJECTIVE_STATUS_COLOURS[self.status]

    # These read the prefetched `kpis`, so lists of objectives stay at a fixed number of queries,
    # once per objective: a row of the objectives overview asked for them four times.

    @cached_property
    def measured_kpis(self) -> list["KPI"]:
        return sorted(self.kpis.all(), key=KPI.summary_order)

    @cached_property
    def progress(self) -> "Progress":
        """How far the objective has come (see Progress). Reads the prefetched KPIs and, from
        ObjectiveQuerySet.with_progress, the default baseline; without it, one query."""
        kpis = self.measured_kpis
        judged = [k for k in kpis if k.status in KPIStatus.judged()]
        share = {"on_target": sum(k.status == KPIStatus.ON_TARGET for k in judged), "judged": len(judged)}
        if self.main_kpi_id is None:
            return Progress(**share)
        main = next((k for k in kpis if k.pk == self.main_kpi_id), None)
        if main is None:
            return Progress(**share, kpi_unlinked=True)
        baseline = self.baseline if self.baseline is not None else self.default_baseline
        target = self.target if self.target is not None else main.target_from(baseline)
        return Progress(
            **share,
            kpi=main,
            baseline=baseline,
            target=target,
            target_range=main.target_range if self.target is None else None,
            now=main.latest_value,
            baseline_set=self.baseline is not None,
            target_set=self.target is not None,
        )

    @property
    def default_baseline(self) -> Decimal | None:
        """The main KPI's value for the period the objective was created in, or the latest before
        it; its first value if it was measured only later."""
        if hasattr(self, "kpi_baseline"):
            return self.kpi_baseline
        if self.pk is None or self.main_kpi_id is None:
            return None
        return type(self).objects.with_progress().values_list("kpi_baseline", flat=True).get(pk=self.pk)

    @property
    def activity_only(self) -> bool:
        """Measured only by activity KPIs: it shows effort, not whether customers see a result."""
        kpis = self.measured_kpis
        return bool(kpis) and all(k.nature == Nature.ACTIVITY for k in kpis)

    @property
    def is_overdue(self) -> bool:
        return self.status == ObjectiveStatus.ACTIVE and self.due_date < timezone.localdate()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        main = self.main_kpi if self.main_kpi_id is not None else None
        if main is None:
            if self.baseline is not None or self.target is not None:
                errors["main_kpi"] = _("A baseline and a target belong to a main KPI: choose one, or clear them.")
        elif self.pk is None or not self.kpis.filter(pk=main.pk).exists():
            errors["main_kpi"] = _(
                "The main KPI must be one of the KPIs measuring this objective: link %(kpi)s to it first."
            ) % {"kpi": main.reference}
        target = self.target if self.target is not None or main is None else main.target_from(self.baseline)
        target_range = main.target_range if main is not None and self.target is None else None
        if self.baseline is not None and target_range and distance(self.baseline, target_range) == 0:
            errors["baseline"] = _(
                "The baseline is within the target range (%(low)s to %(high)s) already: progress is the way into "
                "it. Give a baseline outside it, or a target of the objective's own."
            ) % {"low": _plain(target_range[0]), "high": _plain(target_range[1])}
        elif self.baseline is not None and target is not None:
            if self.baseline == target:
                errors["baseline"] = _(
                    "The baseline equals the target (%(target)s): progress is the way from one to the other."
                ) % {"target": _plain(target)}
            elif main is not None and main.direction == Direction.HIGHER and target < self.baseline:
                errors["baseline"] = _("%(kpi)s is better higher: the baseline must be below the target.") % {
                    "kpi": main.reference
                }
            elif main is not None and main.direction == Direction.LOWER and target > self.baseline:
                errors["baseline"] = _("%(kpi)s is better lower: the baseline must be above the target.") % {
                    "kpi": main.reference
                }
        if errors:
            raise ValidationError(errors)


# The order of KPIs wherever they are summarised (KPIQuerySet.outcome_first), also an index of KPIs.
NATURE_RANK = Case(When(nature=Nature.OUTCOME, then=Value(0)), default=Value(1))
STATUS_RANK = Case(
    *(When(status=s, then=Value(i)) for i, s in enumerate(KPIStatus.values)), output_field=IntegerField()
)


class KPIQuerySet(RecordQuerySet):
    def measured(self) -> Self:
        return self.filter(is_active=True)

    def due(self, today: date | None = None) -> Self:
        """KPIs still waiting for a value of a closed period (KPI.is_due), in SQL: per frequency, the
        last closed period has begun to be measured and the latest value is older than it."""
        today = today or timezone.localdate()
        waiting = Q()
        for frequency in Frequency.values:
            due = Period.last_closed(frequency, today)
            waiting |= Q(frequency=frequency, measured_from__lte=due.end) & (
                Q(latest_period=None) | Q(latest_period__lt=due.start)
            )
        return self.filter(waiting)

    def outcome_first(self) -> Self:
        """Outcome KPIs first wherever KPIs are summarised, worst status first within each."""
        return self.alias(nature_rank=NATURE_RANK, status_rank=STATUS_RANK).order_by(
            "nature_rank", "status_rank", "reference"
        )

    def entered_by_hand(self) -> Self:
        return self.filter(source=Source.MANUAL)


class KPI(ProcessLinkedRecord):
    """A key performance indicator: what is measured, how often, and what good looks like.

    `status`, `latest_period` and `latest_value` are kept up to date by the recalculation (see
    objectives.services), so lists never compute them row by row.
    """

    REFERENCE_PREFIX = "KPI"

    name = models.CharField(verbose_name=_("name"), max_length=150)
    description = models.TextField(verbose_name=_("description"), blank=True)
    unit = models.CharField(verbose_name=_("unit"), max_length=30, blank=True, help_text=_("e.g. %, ppm, days"))
    nature = models.CharField(verbose_name=_("measures"), max_length=20, choices=Nature.choices, default=Nature.OUTCOME)
    review_topic = models.CharField(
        verbose_name=_("in management review, also under"),
        max_length=20,
        choices=ReviewTopic.choices,
        default=ReviewTopic.NONE,
        blank=True,
    )
    objectives = models.ManyToManyField(Objective, verbose_name=_("objectives"), related_name="kpis", blank=True)
    direction = models.CharField(
        verbose_name=_("direction"), max_length=20, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.DecimalField(
        verbose_name=_("target"),
        max_digits=20,
        decimal_places=4,
        help_text=_("For a range, its lower end."),
    )
    target_upper = models.DecimalField(
        verbose_name=_("upper end of the target range"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    warning = models.DecimalField(
        verbose_name=_("warning threshold"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "Between the target and this value the KPI shows a warning; beyond it, off target. "
            "For a range, how far outside the range still counts as a warning."
        ),
    )
    frequency = models.CharField(
        verbose_name=_("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    source = models.CharField(verbose_name=_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    formula = models.CharField(
        verbose_name=_("formula"),
        max_length=500,
        blank=True,
        help_text=_("For a calculated KPI, e.g. KPI-012 / KPI-013 * 100, or sum(KPI-020) for a total of the period."),
    )
    valid_min = models.DecimalField(
        verbose_name=_("lowest possible value"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Values below it are refused as typing errors (e.g. 0 for a percentage)."),
    )
    valid_max = models.DecimalField(
        verbose_name=_("highest possible value"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Values above it are refused as typing errors (e.g. 100 for a percentage)."),
    )
    measured_from = models.DateField(
        verbose_name=_("measured from"),
        default=timezone.localdate,
        help_text=_("Values are due for every period from the one containing this date."),
    )
    raise_action_after = models.PositiveSmallIntegerField(
        verbose_name=_("raise an action after"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("Consecutive periods off target after which an action is raised for the owner. Empty: never."),
    )
    is_active = models.BooleanField(verbose_name=_("measured"), default=True)

    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=KPIStatus.choices, default=KPIStatus.NO_DATA, editable=False
    )
    latest_period = models.DateField(verbose_name=_("latest period"), null=True, editable=False)
    latest_value = models.DecimalField(
        verbose_name=_("latest value"), max_digits=20, decimal_places=4, null=True, editable=False
    )

    objects = KPIQuerySet.as_manager()
    # Status and the latest value are refreshed from the values, which have their own history.
    history = RecordHistory(
        m2m_fields=["deputies", "processes", "objectives"], excluded_fields=["status", "latest_period", "latest_value"]
    )
    history_parts = (
        HistoryPart(
            "measurements",
            label=_("value"),
            title="period.label",
            fields=("value",),
            note="comment",
            changed=_("corrected"),
        ),
        HistoryPart("effectiveness_for", label=_("effectiveness check of"), title="action", fields=("periods",)),
        HistoryPart(
            model="qms.Action",
            generic="source",
            label=_("action"),
            fields=("status", "owner", "due_date"),
            added=_("raised"),
        ),
    )

    class Meta:
        ordering = ["reference"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        # The KPI list's first page read off an index, not by sorting every KPI.
        indexes = [
            models.Index(NATURE_RANK, STATUS_RANK, "reference", name="objectives_kpi_outcome_first"),
            # The ids of the KPIs in use, so counting a process's KPIs reads no table.
            models.Index(fields=["id"], name="objectives_kpi_active_id", condition=Q(is_active=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values), name="%(app_label)s_%(class)s_freq"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="%(app_label)s_%(class)s_dir"),
            models.CheckConstraint(condition=Q(status__in=KPIStatus.values), name="%(app_label)s_%(class)s_status"),
            models.CheckConstraint(
                condition=Q(source__in=[Source.MANUAL, *Source.from_complaints()], formula="")
                | Q(source=Source.FORMULA) & ~Q(formula=""),
                name="%(app_label)s_%(class)s_formula_iff_calculated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @staticmethod
    def summary_order(kpi: "KPI") -> tuple:
        return (kpi.nature != Nature.OUTCOME, KPIStatus.values.index(kpi.status), kpi.reference)

    @property
    def status_colour(self) -> str:
        return KPI_STATUS_COLOURS[self.status]

    @property
    def is_calculated(self) -> bool:
        """Its values are calculated (by its formula, or from the customer complaints), never typed."""
        return self.source != Source.MANUAL

    @property
    def is_from_complaints(self) -> bool:
        return self.source in Source.from_complaints()

    def period(self, day: date) -> Period:
        return Period.containing(self.frequency, day)

    def period_of_start(self, start: date) -> Period:
        return Period(self.frequency, start)

    @property
    def latest(self) -> Period | None:
        return self.period_of_start(self.latest_period) if self.latest_period else None

    def due_period(self, today: date | None = None) -> Period | None:
        """The period whose value is due now (the last closed one), if the KPI is measured by then."""
        due = Period.last_closed(self.frequency, today or timezone.localdate())
        return due if due.start >= self.period(self.measured_from).start else None

    def is_due(self, today: date | None = None) -> bool:
        return self.period_to_enter(today) is not None

    def period_to_enter(self, today: date | None = None) -> Period | None:
        """The first period still waiting for a value: the one after the latest value, up to the
        period now due; None when the KPI is up to date."""
        due = self.due_period(today)
        if due is None or (self.latest_period is not None and self.latest_period >= due.start):
            return None
        return self.latest.next() if self.latest else due

    @property
    def target_range(self) -> tuple[Decimal, Decimal] | None:
        """The lowest and highest value on target, for a KPI to be kept within a range."""
        if self.direction == Direction.RANGE and self.target_upper is not None:
            return self.target, self.target_upper
        return None

    def target_from(self, baseline: Decimal | None) -> Decimal:
        """The value an objective measured by this KPI aims for: its target; for a range, the end
        nearer the baseline."""
        if self.direction == Direction.RANGE and self.target_upper is not None and baseline is not None:
            return self.target_upper if baseline > self.target_upper else self.target
        return self.target

    # Judging values
    # --------------------------------------------------------------------------

    def judge(self, value: Decimal) -> str:
        """On target, warning or off target, for one value."""
        target, warning = self.target, self.warning
        match self.direction:
            case Direction.HIGHER:
                if value >= target:
                    return KPIStatus.ON_TARGET
                return KPIStatus.WARNING if warning is not None and value >= warning else KPIStatus.OFF_TARGET
            case Direction.LOWER:
                if value <= target:
                    return KPIStatus.ON_TARGET
                return KPIStatus.WARNING if warning is not None and value <= warning else KPIStatus.OFF_TARGET
            case _:
                upper = self.target_upper if self.target_upper is not None else target
                if target <= value <= upper:
                    return KPIStatus.ON_TARGET
                margin = warning or 0
                within = target - margin <= value <= upper + margin
                return KPIStatus.WARNING if margin and within else KPIStatus.OFF_TARGET

    def status_on(self, today: date, latest_period: date | None, latest_value: Decimal | None) -> str:
        """The status from the latest value and today's date: a period closed more than the grace
        days ago without a value makes the KPI overdue, unless it is no longer measured."""
        must_have = latest_due_period(self.frequency, today, settings.KPI_DATA_GRACE_DAYS)
        measured = self.is_active and must_have.start >= self.period(self.measured_from).start
        if measured and (latest_period is None or latest_period < must_have.start):
            return KPIStatus.OVERDUE
        if latest_value is None:
            return KPIStatus.NO_DATA
        return self.judge(latest_value)

    # Validation
    # --------------------------------------------------------------------------

    def clean(self) -> None:
        errors = self.definition_errors()
        if self.measured_from is not None and self.measured_from < EARLIEST:
            errors["measured_from"] = _("A KPI is measured from %(year)d at the earliest.") % {"year": EARLIEST.year}
        if self.pk and self.measurements.exists():
            stored_frequency, stored_source = KPI.objects.values_list("frequency", "source").get(pk=self.pk)
            # Values are named by the start of their period, and a calculation replaces typed values.
            if self.frequency != stored_frequency:
                errors["frequency"] = _("The frequency cannot change once the KPI has values. Create a new KPI.")
            if self.source != stored_source:
                errors["source"] = _("The source cannot change once the KPI has values. Create a new KPI.")
        if self.source == Source.FORMULA:
            try:
                self.check_formula()
            except ValidationError as error:
                errors["formula"] = error.messages[0]
        if errors:
            raise ValidationError(errors)

    def definition_errors(self) -> dict[str, str]:
        """What is wrong with the KPI's own fields taken together (target, range, warning, limits,
        formula or not), found without a query."""
        errors: dict[str, str] = {}
        if self.direction == Direction.RANGE:
            if self.target_upper is None or self.target is None or self.target_upper < self.target:
                errors["target_upper"] = _("A range needs an upper end at or above its lower end (the target).")
            if self.warning is not None and self.warning < 0:
                errors["warning"] = _("For a range, the warning threshold is a distance and cannot be negative.")
        elif self.target is not None and self.warning is not None:
            if self.direction == Direction.HIGHER and self.warning > self.target:
                errors["warning"] = _("When higher is better, the warning threshold must be at or below the target.")
            if self.direction == Direction.LOWER and self.warning < self.target:
                errors["warning"] = _("When lower is better, the warning threshold must be at or above the target.")
        if self.valid_min is not None and self.valid_max is not None and self.valid_min >= self.valid_max:
            errors["valid_max"] = _("The highest possible value must be above the lowest.")
        if self.source != Source.FORMULA and self.formula.strip():
            errors["formula"] = _("Only a calculated KPI has a formula; clear it or choose “Calculated”.")
        return errors

    def formula_inputs(self) -> list["KPI"]:
        """The KPIs this KPI's formula reads."""
        if self.source != Source.FORMULA:
            return []
        references = Formula(self.formula).references
        return list(KPI.objects.filter(reference__in=references).only("pk", "reference", "name"))

    def formula_dependents(self) -> list["KPI"]:
        """The calculated KPIs whose formulas read this KPI (KPI-100 is not part of KPI-1000)."""
        candidates = KPI.objects.filter(source=Source.FORMULA, formula__contains=self.reference)
        return [
            kpi
            for kpi in candidates.only("pk", "reference", "name", "formula")
            if self.reference in Formula(kpi.formula).references
        ]

    def check_formula(self) -> Formula:
        """The formula must name existing KPIs of the same or a finer frequency and form no cycle."""
        formula = Formula(self.formula)
        inputs = {k.reference: k for k in KPI.objects.filter(reference__in=formula.references)}
        if unknown := sorted(formula.references - set(inputs) - {self.reference}):
            raise ValidationError(_("The formula names KPIs that do not exist: %s.") % ", ".join(unknown))
        rank = list(Frequency.values)
        for term in formula.terms:
            if term.reference == self.reference:
                raise ValidationError(_("A KPI cannot be calculated from itself."))
            other = inputs[term.reference]
            if rank.index(other.frequency) > rank.index(self.frequency):
                raise ValidationError(
                    _("%(ref)s is %(freq)s and cannot feed a %(own)s KPI.")
                    % {"ref": other.reference, "freq": other.get_frequency_display().lower(), "own": self.frequency}
                )
            if other.frequency != self.frequency and term.aggregate is None:
                raise ValidationError(
                    _("%(ref)s has several values in each %(own)s period: use sum(), avg(), min() or max() of it.")
                    % {"ref": other.reference, "own": self.frequency}
                )
        graph = dependency_graph()
        graph[self.reference] = formula.references
        try:
            TopologicalSorter(graph).prepare()
        except CycleError as error:
            raise ValidationError(
                _("The formula forms a cycle: %s.") % " → ".join(dict.fromkeys(error.args[1]))
            ) from None
        _try_on_database(formula, {reference: kpi.pk for reference, kpi in inputs.items()})
        return formula

    @property
    def first_period(self) -> Period:
        """The earliest period that takes a value: the one the KPI is measured from, never before 2000."""
        return self.period(max(self.measured_from, EARLIEST))

    def check_period(self, period: Period, today: date) -> None:
        """Refuse a period no value can be for: one before the KPI is measured from (a typo such
        as 0001-01 or 1926-09) or one that has not started yet. The message names both bounds."""
        bounds = {"period": period.label, "first": self.first_period.label, "current": self.period(today).label}
        if period.start > today:
            raise ValidationError(
                _("%(period)s has not started yet: values go from %(first)s up to %(current)s.") % bounds
            )
        if period < self.first_period:
            raise ValidationError(
                _(
                    "%(period)s is before %(first)s, the period the KPI is measured from: values go from %(first)s "
                    "up to %(current)s. For earlier values, set an earlier “measured from” on the KPI (2000 at the "
                    "earliest)."
                )
                % bounds
            )

    def check_value(self, value: Decimal) -> None:
        """Refuse a value outside the physical range the KPI declares."""
        if self.valid_min is not None and value < self.valid_min:
            raise ValidationError(
                _("%(value)s is below the lowest possible value, %(min)s.")
                % {"value": _plain(value), "min": _plain(self.valid_min)}
            )
        if self.valid_max is not None and value > self.valid_max:
            raise ValidationError(
                _("%(value)s is above the highest possible value, %(max)s.")
                % {"value": _plain(value), "max": _plain(self.valid_max)}
            )


def _try_on_database(formula: Formula, inputs: dict[str, int]) -> None:
    """Run the formula once over no rows: a database may refuse an expression Python accepts
    (SQLite's parser has a small stack), and that should be a message when saving, not a failed
    recalculation later."""
    trial = (
        Measurement.objects.filter(pk=-1)
        .values("kpi")
        .annotate(**formula.aggregations(inputs))
        .annotate(result=formula.expression())
    )
    try:
        with transaction.atomic():
            list(trial)
    except DatabaseError:
        raise ValidationError(
            _("The formula is too complex for the database. Split it into intermediate calculated KPIs.")
        ) from None


def dependency_graph() -> dict[str, set[str]]:
    """Each calculated KPI's reference with the references its formula uses."""
    rows = KPI.objects.filter(source=Source.FORMULA).values_list("reference", "formula")
    return {reference: parsed(text).references for reference, text in rows}


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


class MeasurementQuerySet(models.QuerySet):
    def for_period(self, period: Period) -> Self:
        return self.filter(period_start=period.start)


class Measurement(Model):
    """One value of a KPI for one period. A correction overwrites the value and keeps the old one
    in history."""

    kpi = models.ForeignKey(KPI, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField(verbose_name=_("period"))
    value = models.DecimalField(verbose_name=_("value"), max_digits=20, decimal_places=4)
    comment = models.CharField(verbose_name=_("comment"), max_length=500, blank=True)
    is_calculated = models.BooleanField(verbose_name=_("calculated"), default=False, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    entered_at = models.DateTimeField(verbose_name=_("entered at"), default=timezone.now, editable=False)

    objects = MeasurementQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ["kpi", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period_start"], name="%(app_label)s_%(class)s_once_per_period"),
        ]
        indexes = [models.Index(fields=["kpi", "-period_start"], name="objectives_measurement_latest")]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.kpi.reference} {self.period}: {_plain(self.value)}"

    @property
    def period(self) -> Period:
        return Period(self.kpi.frequency, self.period_start)

    def get_edit_url(self) -> str:
        return detail_url("objectives:measurement_edit", self.kpi_id, self.pk)


class EffectivenessMeasure(Model):
    """An action's effectiveness judged by a KPI: once the action is done, the nightly task marks
    it verified effective when the KPI is on target for the next `periods` periods, else not."""

    action = models.OneToOneField(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="effectiveness_measure"
    )
    kpi = models.ForeignKey(KPI, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="effectiveness_for")
    periods = models.PositiveSmallIntegerField(
        verbose_name=_("periods on target"), default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )

    history = RecordHistory()

    class Meta:
        verbose_name = _("effectiveness measure")
        verbose_name_plural = _("effectiveness measures")

    def __str__(self) -> str:
        return f"{self.action.reference}: {self.kpi.reference} × {self.periods}"

    def periods_to_check(self) -> list[Period]:
        first = self.kpi.period(self.action.completed_on).next()
        periods = [first]
        while len(periods) < self.periods:
            periods.append(periods[-1].next())
        return periods
