"""Calculated KPIs worked out many at a time, on PostgreSQL.

KPIs whose formulas have the same shape (`KPI-012 / KPI-013 * 100` and `KPI-040 / KPI-041 * 100`),
frequency and way of gathering their inputs' values are calculated together by one statement: it
works out every value of every KPI of the group, upserts those that changed and writes their
history, and lists the stored values left without a result, which are then removed as
services._store_calculated removes them. Each KPI's terms are columns of a VALUES list, so no value
passes through Python. The result is what services.kpi_calculate stores one KPI at a time (with
the formula compiled to Django expressions, the way SQLite is served); tests compare the two.
"""

from dataclasses import dataclass, field
from datetime import date
from graphlib import TopologicalSorter

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .formula import AGGREGATES, RESULT_LIMIT, Term, parsed
from .models import KPI, Measurement
from .periods import ANCHOR, Period

TRUNCATE = {"weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year"}

STATEMENT = """
    WITH given (kpi_id, reason, {terms}) AS (VALUES {rows}),
    settings (now) AS (SELECT %s::timestamptz),
    results (kpi_id, period_start, value) AS (
        SELECT kpi_id, period_start, value FROM (
            SELECT g.kpi_id, {period} AS period_start, {formula} AS value
            FROM given g JOIN {table} s ON s.kpi_id IN ({term_columns})
            WHERE {window}
            GROUP BY 1, 2
        ) worked_out
        WHERE value IS NOT NULL AND value > %s AND value < %s AND period_start < %s
    ),
    written AS (
        INSERT INTO {table} AS m ({columns})
        SELECT {values} FROM results, settings
        ON CONFLICT (kpi_id, period_start) DO UPDATE SET {updates}
            WHERE m.value IS DISTINCT FROM EXCLUDED.value
        RETURNING m.id, {returned}, m.xmax = 0 AS created
    ),
    logged AS (
        INSERT INTO {history_table} (id, {columns}, history_date, history_change_reason, history_type,
            history_user_id)
        SELECT w.id, {written}, settings.now, g.reason, CASE WHEN w.created THEN '+' ELSE '~' END, %s
        FROM written w JOIN given g ON g.kpi_id = w.kpi_id, settings
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM logged), ARRAY(
        SELECT m.id FROM {table} m JOIN given g ON m.kpi_id = g.kpi_id
        WHERE {existing} AND NOT EXISTS (
            SELECT 1 FROM results r WHERE r.kpi_id = m.kpi_id AND r.period_start = m.period_start
        )
    )
"""
# What a calculated value holds besides its KPI, period and value (as services._store_calculated's).
COLUMNS = {
    "kpi_id": "results.kpi_id",
    "period_start": "results.period_start",
    "value": "results.value",
    "comment": "''",
    "is_calculated": "true",
    "entered_by_id": "NULL",
    "entered_at": "settings.now",
}


@dataclass
class Group:
    """KPIs calculated by one statement: the formula's SQL with its terms as columns t0, t1, …"""

    formula_sql: str
    frequency: str
    gathered: bool  # inputs of other frequencies, gathered into the KPI's periods
    rows: list[tuple] = field(default_factory=list)  # (kpi id, reason, term KPI ids in column order)


def group_by_shape(kpis: list[KPI], inputs: dict[str, tuple[int, str]]) -> tuple[list[Group], list[KPI]]:
    """The groups of `kpis` that one statement each calculates; `inputs` maps every reference to
    (id, frequency). Also returns the KPIs that name a KPI that does not exist (left to
    services.kpi_calculate, which says so)."""
    groups: dict[tuple, Group] = {}
    missing = []
    for kpi in kpis:
        formula = parsed(kpi.formula)
        if not formula.references <= inputs.keys():
            missing.append(kpi)
            continue
        columns: dict[Term, str] = {}

        def term_sql(term: Term, columns=columns) -> str:
            column = columns.setdefault(term, f"t{len(columns)}")
            return f"{AGGREGATES[term.aggregate or 'max'].function}(s.value) FILTER (WHERE s.kpi_id = g.{column})"

        formula_sql = formula.sql(term_sql)
        gathered = any(inputs[reference][1] != kpi.frequency for reference in formula.references)
        group = groups.setdefault((formula_sql, kpi.frequency, gathered), Group(formula_sql, kpi.frequency, gathered))
        reason = _("Calculated from %(formula)s") % {"formula": kpi.formula}
        group.rows.append((kpi.pk, reason, *(inputs[term.reference][0] for term in columns)))
    return list(groups.values()), missing


def calculate_group(group: Group, today: date, periods: list[Period] | None = None) -> int:
    """Calculate, store and record the values of a group's KPIs, for the given periods or their
    whole history, in one statement. Returns how many values were written or removed."""
    terms = len(group.rows[0]) - 2
    term_columns = [f"t{n}" for n in range(terms)]
    row_sql = "(" + ", ".join(["%s::bigint", "%s::text", *["%s::bigint"] * terms]) + ")"
    columns = [f.column for f in Measurement._meta.concrete_fields if not f.primary_key]
    if group.gathered:
        period = f"DATE_TRUNC('{TRUNCATE[group.frequency]}', s.period_start + {ANCHOR.days})::date"
    else:
        period = "s.period_start"
    window_params, existing_params = [], []
    if periods is None:
        window = existing = "true"
    else:
        window = " OR ".join(["s.period_start BETWEEN %s AND %s"] * len(periods))
        window_params = [day - ANCHOR for p in periods for day in (p.start, p.end)]
        existing = "m.period_start = ANY(%s)"
        existing_params = [[p.start for p in periods]]
    sql = STATEMENT.format(
        terms=", ".join(term_columns),
        rows=", ".join([row_sql] * len(group.rows)),
        period=period,
        formula=group.formula_sql,
        table=Measurement._meta.db_table,
        history_table=Measurement.history.model._meta.db_table,
        term_columns=", ".join(f"g.{column}" for column in term_columns),
        window=window,
        columns=", ".join(columns),
        values=", ".join(COLUMNS[column] for column in columns),
        updates=", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in ("kpi_id", "period_start")),
        returned=", ".join(f"m.{column}" for column in columns),
        written=", ".join(f"w.{column}" for column in columns),
        existing=existing,
    )
    history_user = Measurement.history.model.get_default_history_user(Measurement())
    params = [
        *(value for row in group.rows for value in row),
        timezone.now(),
        *window_params,
        -RESULT_LIMIT,
        RESULT_LIMIT,
        Period.containing(group.frequency, today).start,
        history_user.pk if history_user else None,
        *existing_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written, gone = cursor.fetchone()
    if gone:
        Measurement.objects.filter(pk__in=gone).delete()  # one by one, each with its history
    return written + len(gone)


def kpi_inputs() -> dict[str, tuple[int, str]]:
    """Every KPI's reference with its id and frequency."""
    return {
        reference: (pk, frequency)
        for reference, pk, frequency in KPI.objects.values_list("reference", "pk", "frequency")
    }


def by_layer(calculated: dict[str, KPI], graph: dict[str, set[str]]) -> list[list[KPI]]:
    """The calculated KPIs of an acyclic `graph` in layers: each layer's inputs are entered KPIs
    or calculated in an earlier layer."""
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    layers = []
    while sorter.is_active():
        ready = sorter.get_ready()
        layers.append([calculated[ref] for ref in sorted(ready) if ref in calculated])
        sorter.done(*ready)
    return [layer for layer in layers if layer]
