"""KPI writes and the work Celery does on them: entering values, recalculating calculated KPIs and
statuses (set-based: a fixed number of queries per KPI, never one per measurement), raising
actions on breaches, judging actions by their KPI, and reminders.

Every task-facing function is idempotent: run twice, or concurrently, it changes nothing more.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from graphlib import CycleError, TopologicalSorter
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import DateField, ExpressionWrapper, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber, TruncMonth, TruncQuarter, TruncWeek, TruncYear
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from nonconformities.models import Nonconformity
from nonconformities.selectors import complaint_figures
from qms.choices import ActionKind, ActionStatus
from qms.history import bulk_create_with_history, bulk_update_with_history, history_bulk_record
from qms.models import Action, User
from qms.outbox import mail_queue
from qms.services import notification_claim

from . import recalculation
from .choices import Frequency, KPIStatus, Source
from .formula import RESULT_LIMIT, Formula, parsed
from .models import KPI, EffectivenessMeasure, Measurement, dependency_graph
from .periods import ANCHOR, Period

logger = logging.getLogger(__name__)

TRUNC = {
    Frequency.WEEKLY: TruncWeek,
    Frequency.MONTHLY: TruncMonth,
    Frequency.QUARTERLY: TruncQuarter,
    Frequency.YEARLY: TruncYear,
}
BATCH = 1000
BREACH_WINDOW = 24  # the largest raise_action_after


# Entering values
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One value to enter: from a page, an imported file or the API. A comment of None keeps the
    comment already stored for that period. `entered_at` is when the value was entered when that
    was before now (the demo's past); its history is dated then too."""

    kpi: KPI
    period: Period
    value: Decimal
    comment: str | None = ""
    entered_at: datetime | None = None


def _comment(entry: Entry, measurement: Measurement) -> str:
    return measurement.comment if entry.comment is None else entry.comment


def measurements_record(
    entries: list[Entry], *, user: User, today: date | None = None, recalculate_dependents: bool = True
) -> dict[str, int]:
    """Enter or correct values, all or none: check every entry first (raising ValidationError or
    PermissionDenied, saving nothing), then write them in bulk with their history, refresh the
    statuses, and recalculate the KPIs calculated from them once the transaction commits (unless
    the caller recalculates every KPI itself right after, as the demo's seed does)."""
    today = today or timezone.localdate()
    kpi_ids = {entry.kpi.pk for entry in entries}
    writable = set(KPI.objects.restrict(user, "change").filter(pk__in=kpi_ids).values_list("pk", flat=True))
    seen = set()
    for entry in entries:
        if entry.kpi.pk not in writable:
            raise PermissionDenied(_("Only the KPI's owner, deputies and quality managers enter its values."))
        if (entry.kpi.pk, entry.period) in seen:
            raise ValidationError(
                {"period": _("%(period)s of %(kpi)s is given twice.") % {"period": entry.period, "kpi": entry.kpi}}
            )
        seen.add((entry.kpi.pk, entry.period))
        measurement_validate(kpi=entry.kpi, period=entry.period, value=entry.value, today=today)
    now = timezone.now()
    with transaction.atomic():
        # Writers of the same KPIs take turns, so two first entries of a period never collide and
        # the latest value stays the latest.
        list(KPI.objects.select_for_update().filter(pk__in=kpi_ids).order_by("pk").values_list("pk"))
        stored = {
            (m.kpi_id, m.period_start): m
            for m in Measurement.objects.select_for_update().filter(
                kpi__in=kpi_ids, period_start__in={entry.period.start for entry in entries}
            )
        }
        created, updated = [], []
        for entry in entries:
            measurement = stored.get((entry.kpi.pk, entry.period.start))
            if measurement is None:
                measurement = Measurement(
                    kpi=entry.kpi,
                    period_start=entry.period.start,
                    value=entry.value,
                    comment=entry.comment or "",
                    entered_by=user,
                    entered_at=entry.entered_at or now,
                )
                measurement._history_date = measurement.entered_at
                created.append(measurement)
            elif (measurement.value, measurement.comment) != (entry.value, _comment(entry, measurement)):
                measurement.value, measurement.comment = entry.value, _comment(entry, measurement)
                measurement.entered_by, measurement.entered_at = user, now
                updated.append(measurement)
        bulk_create_with_history(created, Measurement, user=user, when=now)
        bulk_update_with_history(
            updated, Measurement, ["value", "comment", "entered_by", "entered_at"], user=user, when=now
        )
        kpi_refresh_statuses(KPI.objects.filter(pk__in=kpi_ids), today=today)
        changes = sorted({(m.kpi_id, m.period_start.isoformat()) for m in created + updated})
        if changes and recalculate_dependents:
            transaction.on_commit(lambda: _recalculate_dependents_later(changes))
    return {"created": len(created), "updated": len(updated)}


def measurement_record(
    *, kpi: KPI, period: Period, value: Decimal, user: User, comment: str | None = "", today: date | None = None
) -> Measurement:
    """Enter or correct one value (see measurements_record) and return it."""
    measurements_record([Entry(kpi, period, value, comment)], user=user, today=today)
    kpi.refresh_from_db(fields=["status", "latest_period", "latest_value"])
    return Measurement.objects.get(kpi=kpi, period_start=period.start)


def measurement_validate(*, kpi: KPI, period: Period, value: Decimal, today: date) -> None:
    """The checks every value passes, from a page, a file or the API: an entered KPI, a period
    from the one it is measured from up to today's, a value in its physical range."""
    if kpi.is_calculated:
        raise ValidationError({"value": _("%(ref)s is calculated; its values are not entered.") % {"ref": kpi}})
    try:
        kpi.check_period(period, today)
    except ValidationError as error:
        raise ValidationError({"period": error.messages}) from None
    try:
        kpi.check_value(value)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from None


def _recalculate_dependents_later(changes: list[tuple[int, str]]) -> None:
    from .tasks import recalculate_dependents

    recalculate_dependents.delay(changes)


# Defining KPIs
# ------------------------------------------------------------------------------


@dataclass
class KPIDefinition:
    """A KPI to create (no pk) or update, carrying its new values, unsaved. `version` is when the
    stored KPI was last saved, as the caller saw it; `processes` and `objectives`, when given,
    replace its links."""

    kpi: KPI
    version: datetime | None = None
    processes: list | None = None
    objectives: list | None = None


@transaction.atomic
def kpis_define(definitions: list[KPIDefinition], *, user: User, reason: str = "") -> dict[str, int]:
    """Create or update KPIs, all or none: each one the user may create or change, and unchanged
    by anyone else since `version`, is checked with full_clean and saved with its history (and
    `reason`) and links; then their statuses are refreshed. Raises PermissionDenied or
    ValidationError, saving nothing."""
    created = [d for d in definitions if d.kpi.pk is None]
    if created and not KPI.user_can_add(user):
        raise PermissionDenied(_("Your role may not create KPIs."))
    ids = [d.kpi.pk for d in definitions if d.kpi.pk is not None]
    versions = dict(
        KPI.objects.restrict(user, "change").select_for_update().filter(pk__in=ids).values_list("pk", "updated_at")
    )
    for definition in definitions:
        kpi = definition.kpi
        if kpi.pk is not None and kpi.pk not in versions:
            raise PermissionDenied(
                _("Only the owner, deputies and quality managers change %(ref)s.") % {"ref": kpi.reference}
            )
        if kpi.pk is not None and versions[kpi.pk] != definition.version:
            raise ValidationError(_("%(ref)s was changed by someone else meanwhile.") % {"ref": kpi.reference})
        kpi.full_clean(exclude=["reference"])
        kpi._change_reason = reason
        kpi._history_user = user  # also in a task, which runs outside any request
        kpi.save()
        if definition.processes is not None:
            kpi.processes.set(definition.processes)
        if definition.objectives is not None:
            kpi.objectives.set(definition.objectives)
    kpi_refresh_statuses(KPI.objects.filter(pk__in=[d.kpi.pk for d in definitions]))
    return {"created": len(created), "updated": len(definitions) - len(created)}


# Recalculation
# ------------------------------------------------------------------------------


def kpi_calculate(kpi: KPI, periods: list[Period] | None = None, today: date | None = None) -> int:
    """Recompute a calculated KPI from its formula, for the given periods or its whole history,
    in one set-based query, and store the results. Only closed periods get a value (a quarter's
    sum after one month would mislead); so do none whose inputs are missing or divide by zero, nor
    any result too large to store. A KPI counted from customer complaints is counted instead
    (kpi_count_complaints).
    Returns how many values were written or removed."""
    if kpi.is_from_complaints:
        return kpi_count_complaints(kpi, periods, today)
    today = today or timezone.localdate()
    formula = parsed(kpi.formula)
    found = KPI.objects.filter(reference__in=formula.references).values_list("reference", "pk", "frequency")
    inputs = {reference: (pk, frequency) for reference, pk, frequency in found}
    if set(inputs) != formula.references:
        logger.warning("%s names KPIs that no longer exist; not recalculated", kpi.reference)
        return 0
    if connection.vendor == "postgresql":
        (group,), _missing = recalculation.group_by_shape([kpi], inputs)
        return recalculation.calculate_group(group, today, periods)
    return _calculate_with_expressions(kpi, formula, inputs, periods, today)


def _calculate_with_expressions(
    kpi: KPI, formula: Formula, inputs: dict, periods: list[Period] | None, today: date
) -> int:
    """kpi_calculate with the formula compiled to Django expressions and the results stored from
    Python, for databases other than PostgreSQL (SQLite)."""
    open_from = Period.containing(kpi.frequency, today).start
    # Inputs of the KPI's own frequency share its periods; values of finer ones are gathered into them.
    if any(frequency != kpi.frequency for _pk, frequency in inputs.values()):
        anchor = ExpressionWrapper(F("period_start") + ANCHOR, output_field=DateField())
        period_of_value = TRUNC[kpi.frequency](anchor, output_field=DateField())
    else:
        period_of_value = F("period_start")
    source = Measurement.objects.filter(kpi__in=[pk for pk, _frequency in inputs.values()])
    existing = Measurement.objects.filter(kpi=kpi)
    if periods is not None:
        window = Q()
        for period in periods:
            window |= Q(period_start__gte=period.start - ANCHOR, period_start__lte=period.end - ANCHOR)
        source, existing = source.filter(window), existing.filter(period_start__in=[p.start for p in periods])
    results = dict(
        source.annotate(period=period_of_value)
        .values("period")
        .annotate(**formula.aggregations({reference: pk for reference, (pk, _frequency) in inputs.items()}))
        .annotate(result=formula.expression())
        .filter(result__isnull=False, result__gt=-RESULT_LIMIT, result__lt=RESULT_LIMIT, period__lt=open_from)
        .values_list("period", "result")
    )
    return _store_calculated(kpi, existing, results, _("Calculated from %(formula)s") % {"formula": kpi.formula})


def kpi_count_complaints(kpi: KPI, periods: list[Period] | None = None, today: date | None = None) -> int:
    """The values of a KPI counted from customer complaints, for the given closed periods or every
    closed one since the first complaint (or the KPI's start, if earlier): the complaints received in
    each period, or their average response time in days (no value for a period none was answered
    in). One query for the complaints, one for the stored values, one upsert.
    Returns how many values were written or removed."""
    last = Period.last_closed(kpi.frequency, today or timezone.localdate())
    if periods is not None:
        periods = [period for period in periods if period <= last]
        if not periods:
            return 0
        first, last = min(periods, key=lambda p: p.start), max(periods, key=lambda p: p.start)
        existing = Measurement.objects.filter(kpi=kpi, period_start__in=[p.start for p in periods])
        wanted = {p.start for p in periods}
    else:
        earliest = Nonconformity.objects.complaints().order_by("received_on").values_list("received_on", flat=True)
        starts = [day for day in [earliest.first(), kpi.measured_from] if day is not None]
        first = kpi.period(min(starts))
        existing = Measurement.objects.filter(kpi=kpi)
        wanted = None
    results = {}
    for figures in complaint_figures(kpi.frequency, first, last) if first <= last else []:
        if wanted is not None and figures.period.start not in wanted:
            continue
        value = figures.received if kpi.source == Source.COMPLAINT_COUNT else figures.average_response_days
        if value is not None:
            results[figures.period.start] = Decimal(str(value))
    return _store_calculated(kpi, existing, results, _("Counted from the customer complaints"))


def _store_calculated(kpi: KPI, existing, results: dict[date, Decimal], reason: str) -> int:
    """Store `results` (period start: value) as the calculated values of `kpi`, replacing those of
    `existing` (its stored values in the periods calculated): only the values that changed are
    written, in one upsert, with their history in bulk; a stored value without a result is removed.
    Returns how many values were written or removed."""
    stored = dict(existing.values_list("period_start", "value"))
    now = timezone.now()
    changed = [
        Measurement(kpi=kpi, period_start=start, value=value, is_calculated=True, entered_at=now)
        for start, value in results.items()
        if stored.get(start) != value
    ]
    # An upsert, so concurrent runs never clash; the history follows in bulk (the upsert sets the pks).
    Measurement.objects.bulk_create(
        changed,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["kpi", "period_start"],
        # The whole row, so the history snapshot below is the row as stored.
        update_fields=["value", "is_calculated", "comment", "entered_by", "entered_at"],
    )
    for update in (False, True):
        history_bulk_record(
            [m for m in changed if (m.period_start in stored) == update],
            Measurement,
            update=update,
            reason=reason,
            when=now,
        )
    gone = [start for start in stored if start not in results]
    if gone:
        existing.filter(period_start__in=gone).delete()
    return len(changed) + len(gone)


def calculation_order(changed: set[str] | None = None) -> list[str]:
    """References of the calculated KPIs in dependency order; with `changed`, only those that
    depend on one of them, directly or through others."""
    graph = _without_cycles(dependency_graph())
    order = [ref for ref in TopologicalSorter(graph).static_order() if ref in graph]
    if changed is None:
        return order
    affected = set(changed)
    for ref in order:
        if graph[ref] & affected:
            affected.add(ref)
    return [ref for ref in order if ref in affected and ref not in changed]


def _without_cycles(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Saving refuses a cycle, but two formulas saved at the same moment can still close one: its
    KPIs are then left out (and logged) rather than stopping every recalculation."""
    while True:
        try:
            TopologicalSorter(graph).prepare()
        except CycleError as error:
            cycle = set(error.args[1])
            logger.error("KPI formulas form a cycle, not recalculated: %s", " → ".join(error.args[1]))
            graph = {ref: inputs for ref, inputs in graph.items() if ref not in cycle}
        else:
            return graph


def recalculate_dependents(changes: list[tuple[int, date]]) -> list[str]:
    """After values changed (KPI id, period start): recalculate, in dependency order, the KPIs
    calculated from them for the periods that contain the changes, and refresh their statuses."""
    changed = dict(KPI.objects.filter(pk__in={kpi_id for kpi_id, _start in changes}).values_list("pk", "reference"))
    order = calculation_order(set(changed.values()))
    starts = {start for _kpi_id, start in changes}
    for dependent in sorted(KPI.objects.filter(reference__in=order), key=lambda k: order.index(k.reference)):
        kpi_calculate(dependent, sorted({dependent.period(start + ANCHOR) for start in starts}))
    kpi_refresh_statuses(KPI.objects.filter(reference__in=order))
    return order


def kpi_saved(kpi: KPI, *, formula_changed: bool) -> None:
    """After a KPI was created or edited (page or API): recalculate its values when its formula
    changed, and those calculated from it, then judge it against its targets as they are now."""
    refresh = [kpi.pk]
    if formula_changed and kpi.is_calculated:
        kpi_calculate(kpi)
        order = calculation_order({kpi.reference})
        dependents = {k.reference: k for k in KPI.objects.filter(reference__in=order)}
        for reference in order:
            kpi_calculate(dependents[reference])
        refresh += [k.pk for k in dependents.values()]
    kpi_refresh_statuses(KPI.objects.filter(pk__in=refresh))
    kpi.refresh_from_db(fields=["status", "latest_period", "latest_value"])


def recalculate_all(today: date | None = None) -> dict[str, int]:
    """The nightly run: every calculated KPI over its whole history in dependency order, every
    KPI's status (which marks overdue periods), then the actions that follow from the data."""
    today = today or timezone.localdate()
    return {
        "values_written": recalculate_values(today),
        "statuses_changed": kpi_refresh_statuses(KPI.objects.all(), today=today),
        "actions_raised": kpi_raise_breach_actions(today=today),
        "actions_verified": actions_verify_by_kpi(today=today),
    }


def recalculate_values(today: date) -> int:
    """Every calculated KPI's values over its whole history, in dependency order; returns how many
    values were written or removed."""
    # Complaint counts first: formulas may read them (complaints per thousand orders).
    counted = KPI.objects.filter(source__in=Source.from_complaints()).order_by("reference")
    written = sum(_calculate_isolated(kpi, today) for kpi in counted)
    calculated = {k.reference: k for k in KPI.objects.filter(source=Source.FORMULA)}
    if connection.vendor != "postgresql":
        in_order = [calculated[ref] for ref in calculation_order() if ref in calculated]
        return written + sum(_calculate_isolated(kpi, today) for kpi in in_order)
    # Layer by layer (a layer's inputs are entered or calculated before), one statement per shape.
    inputs = recalculation.kpi_inputs()
    for layer in recalculation.by_layer(calculated, _without_cycles(dependency_graph())):
        groups, missing = recalculation.group_by_shape(layer, inputs)
        written += sum(_calculate_group_isolated(group, today) for group in groups)
        written += sum(_calculate_isolated(kpi, today) for kpi in missing)
    return written


def _calculate_group_isolated(group: recalculation.Group, today: date) -> int:
    """A group's recalculation in a savepoint: if the database cannot calculate it, each of its KPIs
    is calculated on its own, so only the one at fault is logged and skipped."""
    try:
        with transaction.atomic():
            return recalculation.calculate_group(group, today)
    except DatabaseError:
        kpis = KPI.objects.filter(pk__in=[row[0] for row in group.rows]).order_by("reference")
        return sum(_calculate_isolated(kpi, today) for kpi in kpis)


def _calculate_isolated(kpi: KPI, today: date) -> int:
    """One KPI's recalculation in a savepoint: a KPI the database cannot calculate is logged and
    skipped, and the nightly run goes on with the others."""
    try:
        with transaction.atomic():
            return kpi_calculate(kpi, today=today)
    except DatabaseError:
        logger.exception("Could not recalculate %s", kpi.reference)
        return 0


def kpi_refresh_statuses(kpis, today: date | None = None) -> int:
    """Store each KPI's latest value and status; returns how many changed. One query reads the
    latest value of every KPI, one statement writes the rows that changed."""
    today = today or timezone.localdate()
    latest = Measurement.objects.filter(kpi=OuterRef("pk")).order_by("-period_start")
    rows = kpis.order_by().annotate(
        new_period=Subquery(latest.values("period_start")[:1]),
        new_value=Subquery(latest.values("value")[:1]),
    ).values(
        "id", "frequency", "measured_from", "is_active", "direction", "target", "target_upper", "warning", "status",
        "latest_period", "latest_value", "new_period", "new_value",
    )  # fmt: skip
    # One KPI judges every row in turn (its fields set from the row): building a model per KPI was
    # half the time of a refresh that changes nothing.
    judge, changed = KPI(), []
    for row in rows.iterator(chunk_size=BATCH):
        new = row.pop("new_period"), row.pop("new_value")
        judge.__dict__.update(row)
        status = judge.status_on(today, *new)
        if (row["status"], row["latest_period"], row["latest_value"]) != (status, *new):
            changed.append(SimpleNamespace(id=row["id"], status=status, latest_period=new[0], latest_value=new[1]))
    _update_rows(KPI, changed, ["status", "latest_period", "latest_value"])
    return len(changed)


def _update_rows(model, objs, fields: list[str]) -> None:
    """Write `fields` of `objs` (anything with the fields' attributes) in one UPDATE joined to the
    new values, where bulk_update sends a CASE per field and row (10x slower at 5,000 rows). On
    PostgreSQL the values travel as one array per column (`FROM unnest(…)`, half the time of a
    VALUES list of 20,000 parameters); elsewhere as `FROM (VALUES …)`, 6,000 rows a statement. No
    history: the fields written here are the ones the model's history leaves out."""
    if not objs:
        return
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(f.column)} = v.column{n}" for n, f in enumerate(columns[1:], 2))
    where = f"{table}.{quote(columns[0].column)} = v.column1"

    def values(batch):
        return [[f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in batch] for f in columns]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(
                f"CAST(%s AS {f.rel_db_type(connection) if f.primary_key else f.db_type(connection)}[])"
                for f in columns
            )
            names = ", ".join(f"column{n}" for n in range(1, len(columns) + 1))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) WHERE {where}", values(objs)
            )
            return
        per_statement = 30_000 // len(columns)  # SQLite takes 32,766 parameters
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(objs), per_statement):
            batch = objs[start : start + per_statement]
            params = [value for row_values in zip(*values(batch), strict=True) for value in row_values]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(batch))}) AS v WHERE {where}",
                params,
            )


# Closing the loop: actions from data, and data judging actions
# ------------------------------------------------------------------------------


def kpi_raise_breach_actions(today: date | None = None) -> int:
    """Raise one action for each KPI off target for its `raise_action_after` latest periods in a
    row, owned by the KPI owner and linked to the KPI. A breach is known by the period its run of
    off-target values began, so it never raises a second action, however long it lasts."""
    today = today or timezone.localdate()
    watched = {k.pk: k for k in KPI.objects.measured().filter(raise_action_after__isnull=False)}
    if not watched:
        return 0
    # The latest values of each watched KPI, enough for its own setting (at most 24), in one query;
    # then the whole history of those still off target at the window's end, to find where their
    # breach began: that start names the breach, however long it lasts.
    values = _latest_values(Measurement.objects.filter(kpi__in=watched), limit=BREACH_WINDOW)
    streaks = {kpi_id: _off_target_streak(watched[kpi_id], rows) for kpi_id, rows in values.items()}
    if longer := [kpi_id for kpi_id, streak in streaks.items() if len(streak) == BREACH_WINDOW]:
        for kpi_id, rows in _latest_values(Measurement.objects.filter(kpi__in=longer)).items():
            streaks[kpi_id] = _off_target_streak(watched[kpi_id], rows)
    # A KPI with an action raised from it still open is being dealt with: no second action, even
    # when a corrected value moved the start of its breach.
    dealt_with = set(
        Action.objects.filter(
            source_type=ContentType.objects.get_for_model(KPI), source_id__in=watched, status__in=ActionStatus.active()
        ).values_list("source_id", flat=True)
    )
    raised = 0
    for kpi_id, streak in streaks.items():
        kpi = watched[kpi_id]
        if len(streak) >= kpi.raise_action_after and kpi_id not in dealt_with:
            raised += _raise_breach_action(kpi, streak_start=streak[-1], length=len(streak), today=today)
    return raised


def _latest_values(measurements, limit: int | None = None) -> dict[int, list[tuple[date, Decimal]]]:
    """(period start, value) of each KPI's values, newest first; with `limit`, only that many each."""
    if limit is not None:
        measurements = measurements.annotate(
            rank=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("period_start").desc())
        ).filter(rank__lte=limit)
    values = defaultdict(list)
    for kpi_id, start, value in measurements.order_by("kpi_id", "-period_start").values_list(
        "kpi_id", "period_start", "value"
    ):
        values[kpi_id].append((start, value))
    return values


def _off_target_streak(kpi: KPI, rows: list[tuple[date, Decimal]]) -> list[date]:
    """Starts of the latest consecutive off-target periods, newest first."""
    streak: list[date] = []
    expected = None
    for start, value in rows:
        if expected is not None and start != expected or kpi.judge(value) != KPIStatus.OFF_TARGET:
            break
        streak.append(start)
        expected = kpi.period_of_start(start).previous().start
    return streak


def _raise_breach_action(kpi: KPI, *, streak_start: date, length: int, today: date) -> int:
    with transaction.atomic():
        if not notification_claim(kind="kpi_breach", record=kpi, key=streak_start.isoformat(), recipient=kpi.owner):
            return 0
        action = Action(
            title=_("%(ref)s off target for %(n)d periods: find and remove the cause")
            % {"ref": kpi.reference, "n": length},
            description=_("%(kpi)s has been off target since %(period)s. Raised automatically from the KPI.")
            % {"kpi": kpi, "period": kpi.period_of_start(streak_start).label},
            kind=ActionKind.CORRECTIVE,
            owner=kpi.owner,
            due_date=today + timedelta(days=30),
            source=kpi,
        )
        action.save()
        action.processes.set(kpi.processes.all())
    return 1


def actions_verify_by_kpi(today: date | None = None) -> int:
    """Close done actions that name a KPI as their effectiveness measure, once the periods after
    completion are in: effective when all are on target, not effective otherwise (a value still
    missing after the grace days counts against it)."""
    today = today or timezone.localdate()
    grace = timedelta(days=settings.KPI_DATA_GRACE_DAYS)
    measures = EffectivenessMeasure.objects.filter(action__status=ActionStatus.DONE).select_related("action", "kpi")
    verified = 0
    for measure in measures:
        periods = measure.periods_to_check()
        values = dict(
            measure.kpi.measurements.filter(period_start__in=[p.start for p in periods]).values_list(
                "period_start", "value"
            )
        )
        complete = len(values) == len(periods)
        if not complete and today <= periods[-1].end + grace:
            continue
        judged = {p: measure.kpi.judge(values[p.start]) if p.start in values else KPIStatus.NO_DATA for p in periods}
        effective = complete and all(s == KPIStatus.ON_TARGET for s in judged.values())
        note = _("Judged by %(kpi)s: %(results)s.") % {
            "kpi": measure.kpi,
            "results": ", ".join(f"{p.label} {KPIStatus(s).label.lower()}" for p, s in judged.items()),
        }
        with transaction.atomic():
            action = Action.objects.select_for_update().get(pk=measure.action_id)
            if action.status != ActionStatus.DONE:
                continue
            action.record_effectiveness(effective=effective, by=None, note=note)
            action.save()
        verified += 1
    return verified


# Reminders
# ------------------------------------------------------------------------------


def kpi_send_reminders(today: date | None = None) -> dict[str, int]:
    """E-mail each owner one list of their KPIs whose value is now due, once per KPI and period;
    and escalate values still missing KPI_ESCALATION_DAYS after the period closed to the owners of
    the KPI's processes, once per KPI and period."""
    today = today or timezone.localdate()
    kpi_refresh_statuses(KPI.objects.measured().entered_by_hand(), today=today)  # reminders trust the latest values
    due = [
        kpi
        for kpi in KPI.objects.measured()
        .entered_by_hand()
        .select_related("owner")
        .prefetch_related("processes__owner")
        .order_by("reference")
        if kpi.is_due(today)
    ]
    by_owner = defaultdict(list)
    late = defaultdict(list)
    escalate_after = timedelta(days=settings.KPI_ESCALATION_DAYS)
    for kpi in due:
        by_owner[kpi.owner].append(kpi)
        if today > kpi.due_period(today).end + escalate_after:
            for process_owner in {p.owner for p in kpi.processes.all()}:
                late[process_owner].append(kpi)
    return {
        "reminders": sum(
            _notify(user, kpis, kind="kpi_due", template="emails/kpi_due.txt", today=today)
            for user, kpis in by_owner.items()
        ),
        "escalations": sum(
            _notify(user, kpis, kind="kpi_escalation", template="emails/kpi_escalation.txt", today=today)
            for user, kpis in late.items()
        ),
    }


def _notify(user: User, kpis: list[KPI], *, kind: str, template: str, today: date) -> int:
    """One e-mail to `user` about the KPIs not yet notified for their due period, queued in the
    transaction that stamps them. Returns 1 when a mail was queued."""
    if not user.email:
        return 0
    with transaction.atomic():
        fresh = [
            kpi
            for kpi in kpis
            if notification_claim(kind=f"{kind}:{user.pk}", record=kpi, key=str(kpi.due_period(today)), recipient=user)
        ]
        if not fresh:
            return 0
        context = {
            "user": user,
            "kpis": [(kpi, kpi.due_period(today)) for kpi in fresh],
            "site_url": settings.SITE_URL,
        }
        mail_queue(
            to=[user.email],
            subject=render_to_string(f"{template[:-4]}_subject.txt", context),
            body=render_to_string(template, context),
            kind=kind,
        )
    return 1
