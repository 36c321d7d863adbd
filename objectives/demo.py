"""Demo objectives and KPIs for Brightwell Precision: four strategic themes, the quality objectives
under them, and some forty KPIs across the processes with three years of history.

The history is generated, reproducibly (a seeded random.Random), from a trend, a season and some
noise per KPI, and ends with the last closed period before today, so the demo always looks current.
A few KPIs lack their latest values (due or overdue), one drifts off target (a breach action is
raised) and one is new (no data yet). Calculated KPIs get their values from the recalculation.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from qms.choices import ActionStatus
from qms.models import Action

from . import services
from .choices import Direction, Frequency, Nature, Source
from .models import KPI, EffectivenessMeasure, Measurement, Objective, StrategicTheme
from .periods import Period

SEED = 2026
YEARS = 3
OUTCOME, ACTIVITY = Nature.OUTCOME, Nature.ACTIVITY
HIGHER, LOWER, RANGE = Direction.HIGHER, Direction.LOWER, Direction.RANGE
WEEKLY, MONTHLY, QUARTERLY = Frequency.WEEKLY, Frequency.MONTHLY, Frequency.QUARTERLY
PERCENT = (0, 100)
COUNT = (0, None)

THEMES = [
    # key, title, owner, description
    (
        "customers",
        "Delight our customers",
        "lead",
        "Parts that arrive on time, fit first time and a team that answers quickly: the reasons customers stay.",
    ),
    (
        "rft",
        "Right first time",
        "quality",
        "Build quality in rather than inspect it in: fewer defects, less scrap and rework, lower cost of quality.",
    ),
    (
        "supply",
        "Resilient supply",
        "ops",
        "Suppliers and machines we can rely on, so a single late bar or failed spindle does not stop a customer.",
    ),
    (
        "people",
        "Capable people",
        "lead",
        "Every operator trained and signed off for the work they do, with cover for every critical skill.",
    ),
]

OBJECTIVES = [
    # key, theme, title ({by}: when it is due), owner, processes, due (months from now; a quarter end),
    # what will be done, resources, how results are evaluated
    (
        "otd",
        "customers",
        "Raise on-time delivery to 97 % by {by}",
        "ops",
        ["delivery", "production", "sales"],
        13,
        "Weekly capacity review between planning and sales, finite scheduling in the machining cell, and "
        "a daily late-order call with logistics.",
        "Planning module of the ERP, two days of the planner's time a month, scheduling training for team leaders.",
        "Monthly on-time delivery (order lines shipped on or before the confirmed date) against 97 %, reviewed in "
        "the monthly operations meeting and at management review.",
    ),
    (
        "ppm",
        "customers",
        "Cut customer rejects to 150 ppm by {by}",
        "quality",
        ["service", "inspection", "production"],
        7,
        "8D for every customer reject, first-off and last-off checks on every job, and escape analysis of "
        "each lot that reached a customer.",
        "Quality engineer time, CMM capacity for last-off checks, customer portal access for reject data.",
        "Parts rejected by customers per million delivered, monthly, against 150 ppm; repeat nonconformities "
        "per quarter as the early warning.",
    ),
    (
        "satisfaction",
        "customers",
        "Lift customer satisfaction to 8.5 out of 10 by {by}",
        "service",
        ["service", "sales"],
        1,
        "Quarterly survey of the top 25 customers, a complaint triage rota, and a visit to every key account "
        "each half-year.",
        "Survey tool licence, account managers' visit budget.",
        "Average survey score each quarter against 8.5; complaint response time as the leading measure.",
    ),
    (
        "fpy",
        "rft",
        "Raise first-pass yield in machining to 98 % by {by}",
        "owner",
        ["production", "inspection"],
        4,
        "Standard set-up sheets and first-off approval for every machine, SPC on the five critical features, "
        "and a weekly Pareto of internal nonconformities.",
        "Process engineer, SPC software for the machining cell, setter training.",
        "Parts passing all checks first time as a share of parts machined, monthly, against 98 %.",
    ),
    (
        "scrap",
        "rft",
        "Reduce scrap to 1.5 % of parts machined by {by}",
        "ops",
        ["production"],
        -2,
        "Design of experiments on feeds and speeds for turned shafts, tool-life monitoring, and scrap reason "
        "codes at every machine.",
        "Process engineer (half time), tool-life monitoring on the Mazak lathes.",
        "Monthly scrap rate against 1.5 %; cost of poor quality each quarter.",
    ),
    (
        "suppliers",
        "supply",
        "Raise supplier on-time delivery to 95 % by {by}",
        "buyer",
        ["purchasing"],
        13,
        "Monthly scorecards to the top 15 suppliers, a second source for each single-sourced material, and "
        "supplier audits of the weakest performers.",
        "Supplier quality engineer, travel budget for supplier audits.",
        "Purchase order lines received on or before the confirmed date, monthly, against 95 %.",
    ),
    (
        "downtime",
        "supply",
        "Keep unplanned downtime below 2 % by {by}",
        "maint",
        ["maintenance", "production"],
        7,
        "Condition monitoring on the five-axis centres, planned maintenance kept to schedule, and critical "
        "spares held on site.",
        "Vibration monitoring kit, critical spares budget, one additional maintenance technician.",
        "Unplanned downtime as a share of planned machine hours, monthly, against 2 %.",
    ),
    (
        "training",
        "people",
        "Give every employee 24 hours of training a year by {by}",
        "hr",
        ["hr", "production"],
        13,
        "A training plan per team from the competence matrix, cross-training for every critical machine, and "
        "sign-off of each skill by a qualified trainer.",
        "Training budget, two internal trainers, cover from the agency for training days.",
        "Training hours per employee each month (two hours a month is 24 a year) and skills signed off per quarter.",
    ),
]


@dataclass(frozen=True)
class Spec:
    """One demo KPI and how its history is made up.

    trend: (first value, last value, noise), the value moving linearly over the history; for a
    KPI that is a share of another (`of`), the share per `per` instead. season: (amplitude, peak
    month). shutdown: the fraction lost in August and December. tail: the latest values, as
    entered. missing: how many of the latest periods have no value yet.
    """

    key: str
    name: str
    process: str
    owner: str
    unit: str
    nature: str
    direction: str
    target: str
    warning: str | None
    frequency: str = MONTHLY
    upper: str | None = None
    valid: tuple = (None, None)
    objectives: tuple = ()
    processes: tuple = ()
    deputies: tuple = ()
    formula: str = ""
    raise_after: int | None = None
    description: str = ""
    trend: tuple = (0, 0, 0)
    season: tuple = (0, 1)
    shutdown: float = 0
    of: str | None = None
    per: int = 100
    places: int = 1
    tail: tuple = ()
    missing: int = 0
    new: bool = False


KPIS = [
    # Sales and contract review
    Spec(
        "hit_rate", "Quotation hit rate", "sales", "sales", "%", OUTCOME, HIGHER, "30", "25",
        valid=PERCENT, trend=(24, 31, 2), description="Quotations won as a share of quotations issued.",
    ),
    Spec(
        "review_days", "Contract review lead time", "sales", "sales", "days", OUTCOME, LOWER, "3", "5",
        valid=COUNT, trend=(4.6, 2.7, 0.4), processes=("design",),
        description="Working days from order receipt to confirmed order, on average.",
    ),
    # Design and development
    Spec(
        "milestones", "Design milestones met on time", "design", "design", "%", OUTCOME, HIGHER, "90", "80",
        frequency=QUARTERLY, valid=PERCENT, trend=(76, 87, 4), places=0,
    ),
    Spec(
        "eco", "Engineering changes after release", "design", "design", "changes", OUTCOME, LOWER, "4", "6",
        valid=COUNT, trend=(7.5, 4, 1.2), places=0, missing=1, processes=("production",),
    ),
    # Purchasing and supplier management
    Spec(
        "po_lines", "Purchase order lines received", "purchasing", "buyer", "lines", ACTIVITY, HIGHER, "420", "380",
        valid=COUNT, trend=(395, 455, 18), shutdown=0.2, places=0,
    ),
    Spec(
        "po_on_time", "Purchase order lines received on time", "purchasing", "buyer", "lines", ACTIVITY, HIGHER,
        "400", "360", valid=COUNT, of="po_lines", trend=(86, 94.2, 1.3), places=0,
    ),
    Spec(
        "supplier_otd", "Supplier on-time delivery", "purchasing", "buyer", "%", OUTCOME, HIGHER, "95", "90",
        valid=PERCENT, objectives=("suppliers",), formula="{po_on_time} / {po_lines} * 100", raise_after=3,
        description="Purchase order lines received on or before the confirmed date.",
    ),
    Spec(
        "supplier_ppm", "Supplier rejects", "purchasing", "buyer", "ppm", OUTCOME, LOWER, "500", "800",
        valid=COUNT, objectives=("suppliers",), processes=("inspection",), trend=(950, 440, 80), places=0,
        raise_after=3, description="Parts rejected at goods-in per million received.",
    ),
    Spec(
        "supplier_audits", "Supplier audits completed", "purchasing", "auditor2", "audits", ACTIVITY, HIGHER,
        "3", "2", frequency=QUARTERLY, valid=COUNT, objectives=("suppliers",), trend=(2, 3.4, 0.5), places=0,
    ),
    Spec(
        "stock_cover", "Raw material stock cover", "purchasing", "buyer", "days", OUTCOME, RANGE, "10", "3",
        upper="20", valid=COUNT, objectives=("suppliers",), processes=("production",),
        trend=(19, 15, 2.2), season=(2.5, 7), description="Days of production the bar stock on hand covers.",
    ),
    # Production
    Spec(
        "parts_made", "Parts machined", "production", "owner", "parts", ACTIVITY, HIGHER, "40000", "36000",
        valid=COUNT, trend=(38000, 43000, 900), shutdown=0.3, places=0,
    ),
    Spec(
        "parts_first", "Parts right first time", "production", "owner", "parts", ACTIVITY, HIGHER,
        "39000", "35000", valid=COUNT, of="parts_made", trend=(95.4, 97.7, 0.35), places=0,
        processes=("inspection",),
    ),
    Spec(
        "fpy", "First-pass yield", "production", "owner", "%", OUTCOME, HIGHER, "98", "96",
        valid=PERCENT, objectives=("fpy",), processes=("inspection",), formula="{parts_first} / {parts_made} * 100",
        description="Parts passing every check first time, without rework, as a share of parts machined.",
    ),
    Spec(
        "scrap", "Scrap rate", "production", "owner", "%", OUTCOME, LOWER, "1.5", "2.5",
        valid=PERCENT, objectives=("scrap",), trend=(3.6, 1.8, 0.15), places=2, raise_after=3,
    ),
    Spec(
        "oee", "Overall equipment effectiveness (machining cell)", "production", "owner", "%", OUTCOME, HIGHER,
        "75", "68", valid=PERCENT, objectives=("downtime",), processes=("maintenance",), trend=(64, 74, 1.8),
        missing=1,
    ),
    Spec(
        "schedule", "Schedule adherence", "production", "owner", "%", OUTCOME, HIGHER, "92", "85",
        frequency=WEEKLY, valid=PERCENT, objectives=("otd",), deputies=("planner",), trend=(84, 92.5, 2.5),
        missing=1, description="Jobs finished in the week they were scheduled for.",
    ),
    Spec(
        "setup", "Average set-up time", "production", "owner", "minutes", OUTCOME, LOWER, "45", "60",
        valid=COUNT, trend=(68, 46, 3), places=0, deputies=("cnc",),
    ),
    Spec(
        "rework", "Rework hours", "production", "owner", "hours", OUTCOME, LOWER, "120", "160",
        valid=COUNT, objectives=("fpy",), trend=(215, 128, 14), places=0, missing=2,
    ),
    Spec(
        "energy", "Energy per part machined", "production", "engineer", "kWh", OUTCOME, LOWER, "2.5", "3",
        valid=COUNT, new=True, description="Measured from this month, now the machine hall has sub-meters.",
    ),
    # Inspection and release
    Spec(
        "ncrs", "Internal nonconformity reports", "inspection", "inspection", "reports", OUTCOME, LOWER, "15",
        "22", valid=COUNT, objectives=("fpy",), processes=("production",), trend=(27, 15.5, 2.5), places=0,
    ),
    Spec(
        "escapes", "Nonconforming lots reaching customers", "inspection", "inspection", "lots", OUTCOME, LOWER,
        "1", "2", valid=COUNT, objectives=("ppm",), trend=(2.8, 0.9, 0.6), places=0,
    ),
    Spec(
        "first_off", "First-off inspections signed before release", "inspection", "inspection", "%", ACTIVITY,
        HIGHER, "100", "98", valid=PERCENT, objectives=("ppm",), processes=("production",),
        trend=(96, 99.2, 0.5), deputies=("inspector",),
    ),
    # Delivery
    Spec(
        "shipped", "Order lines shipped", "delivery", "logistics", "lines", ACTIVITY, HIGHER, "900", "800",
        valid=COUNT, trend=(860, 960, 30), shutdown=0.2, places=0,
    ),
    Spec(
        "shipped_on_time", "Order lines shipped on time", "delivery", "logistics", "lines", ACTIVITY, HIGHER,
        "870", "750", valid=COUNT, of="shipped", trend=(88, 94.6, 1.1), places=0,
    ),
    Spec(
        "otd", "On-time delivery", "delivery", "logistics", "%", OUTCOME, HIGHER, "97", "93",
        valid=PERCENT, objectives=("otd",), processes=("production",),
        formula="{shipped_on_time} / {shipped} * 100",
        description="Order lines shipped on or before the date confirmed to the customer.",
    ),
    Spec(
        "delivered", "Parts delivered", "delivery", "logistics", "parts", ACTIVITY, HIGHER, "40000", "36000",
        valid=COUNT, trend=(37500, 42500, 900), shutdown=0.3, places=0,
    ),
    Spec(
        "damage", "Shipments damaged in transit", "delivery", "logistics", "shipments", OUTCOME, LOWER, "1", "3",
        valid=COUNT, trend=(4, 2.2, 0.9), places=0, missing=1,
    ),
    # Customer service and complaints
    Spec(
        "rejects", "Parts rejected by customers", "service", "service", "parts", OUTCOME, LOWER, "6", "10",
        valid=COUNT, of="delivered", per=1_000_000, trend=(420, 165, 45), places=0,
    ),
    Spec(
        "ppm", "Customer rejects", "service", "quality", "ppm", OUTCOME, LOWER, "150", "250",
        valid=COUNT, objectives=("ppm",), processes=("inspection", "delivery"),
        formula="{rejects} / {delivered} * 1000000",
        description="Parts rejected by customers per million parts delivered.",
    ),
    Spec(
        "complaints", "Customer complaints received", "service", "service", "complaints", OUTCOME, LOWER, "4",
        "6", valid=COUNT, objectives=("satisfaction",), trend=(7, 3.8, 1.2), season=(1, 1), places=0,
    ),
    Spec(
        "complaints_q", "Customer complaints per quarter", "service", "service", "complaints", OUTCOME, LOWER,
        "12", "18", frequency=QUARTERLY, valid=COUNT, objectives=("ppm",), formula="sum({complaints})",
    ),
    Spec(
        "csat", "Customer satisfaction score", "service", "service", "score out of 10", OUTCOME, HIGHER, "8.5",
        "8", frequency=QUARTERLY, valid=(0, 10), objectives=("satisfaction",), processes=("sales",),
        trend=(7.6, 8.4, 0.12), description="Average answer of the quarterly survey of our top 25 customers.",
    ),
    Spec(
        "response", "Complaint response time", "service", "service", "days", OUTCOME, LOWER, "10", "12",
        valid=COUNT, objectives=("satisfaction",), trend=(11.4, 9.2, 0.5), tail=(13.4, 14.1, 13.2),
        raise_after=3, description="Working days from a complaint's receipt to our containment response.",
    ),
    # People and competence
    Spec(
        "training_hours", "Training hours delivered", "hr", "hr", "hours", ACTIVITY, HIGHER, "300", "250",
        valid=COUNT, objectives=("training",), trend=(215, 325, 20), shutdown=0.45, places=0,
    ),
    Spec(
        "headcount", "Employees", "hr", "hr", "people", ACTIVITY, RANGE, "135", "5", upper="150",
        valid=COUNT, trend=(131, 146, 1.5), places=0, description="Headcount at the end of the month.",
    ),
    Spec(
        "training_per_head", "Training hours per employee", "hr", "hr", "hours", ACTIVITY, HIGHER, "2", "1.6",
        valid=COUNT, objectives=("training",), formula="{training_hours} / {headcount}",
        description="Two hours a month is the 24 hours a year the objective asks for.",
    ),
    Spec(
        "signoffs", "Skills signed off", "hr", "hr", "skills", ACTIVITY, HIGHER, "20", "15",
        frequency=QUARTERLY, valid=COUNT, objectives=("training",), processes=("production",),
        trend=(11, 22, 2.5), places=0,
    ),
    Spec(
        "turnover", "Staff turnover (rolling 12 months)", "hr", "hr", "%", OUTCOME, LOWER, "8", "10",
        valid=PERCENT, trend=(11.2, 8.6, 0.3),
    ),
    # Maintenance and calibration
    Spec(
        "downtime", "Unplanned machine downtime", "maintenance", "maint", "%", OUTCOME, LOWER, "2", "3",
        valid=PERCENT, objectives=("downtime",), processes=("production",), trend=(3.4, 1.9, 0.22), places=2,
        description="Unplanned stops as a share of planned machine hours.",
    ),
    Spec(
        "pm", "Planned maintenance done on schedule", "maintenance", "maint", "%", ACTIVITY, HIGHER, "95", "90",
        valid=PERCENT, objectives=("downtime",), trend=(87, 96, 2),
    ),
    Spec(
        "calibration", "Gauges calibrated by their due date", "maintenance", "maint", "%", OUTCOME, HIGHER,
        "100", "97", valid=PERCENT, objectives=("downtime",), processes=("inspection",), trend=(95, 99.6, 0.6),
    ),
    # Improvement and corrective action
    Spec(
        "audits", "Internal audits completed to plan", "improvement", "quality", "audits", ACTIVITY, HIGHER,
        "6", "5", frequency=QUARTERLY, valid=COUNT, deputies=("auditor",), trend=(4.8, 6.4, 0.5), places=0,
    ),
    Spec(
        "actions_on_time", "Actions closed by their due date", "improvement", "quality", "%", ACTIVITY, HIGHER,
        "85", "75", valid=PERCENT, trend=(66, 82, 3.5),
    ),
    Spec(
        "repeats", "Repeat nonconformities", "improvement", "quality", "nonconformities", OUTCOME, LOWER, "1",
        "2", frequency=QUARTERLY, valid=COUNT, objectives=("ppm",), trend=(4.2, 1.4, 0.6), places=0,
    ),
    # Strategic planning
    Spec(
        "copq", "Cost of poor quality", "strategy", "lead", "% of sales", OUTCOME, LOWER, "2", "3",
        frequency=QUARTERLY, valid=PERCENT, objectives=("scrap", "fpy"), processes=("review",),
        trend=(3.9, 2.3, 0.15), places=2, description="Scrap, rework, warranty and complaint costs.",
    ),
]  # fmt: skip

COMMENTS = {
    # (KPI key, periods before the latest entered): comment
    ("response", 0): "Two Arden Motors complaints waited a week for returned parts.",
    ("response", 1): "Customer service lead on leave; no cover for triage.",
    ("response", 2): "Complaint volume up after the bracket burr issue.",
    ("scrap", 0): "Turned-shaft DOE trial settings on Mazak 2 from mid-month.",
    ("shipped_on_time", 0): "Arden Motors schedule pulled forward by two weeks.",
}

# The done action whose effectiveness a KPI will judge, and by which KPI over how many periods.
JUDGED_ACTION = ("Calibrate CMM after probe crash", "calibration", 3)


def seed_objectives(demo) -> dict[str, int]:
    """Themes, objectives and KPIs with their history; returns what was made, by kind."""
    rng = random.Random(SEED)
    themes = _seed_themes(demo)
    objectives = _seed_objectives(demo, themes)
    demo.objectives.update(objectives)  # so later seeders (risks) can link to them
    kpis = _seed_kpis(demo, objectives)
    values = _seed_history(demo, kpis, rng)
    _judge_action_by_kpi(kpis)
    services.recalculate_all(demo.today)
    return {
        "themes": len(themes),
        "objectives": len(objectives),
        "kpis": len(kpis),
        "values": values + Measurement.objects.filter(is_calculated=True).count(),
    }


def _seed_themes(demo) -> dict[str, StrategicTheme]:
    themes = {}
    for order, (key, title, owner, description) in enumerate(THEMES, start=1):
        theme = StrategicTheme(title=title, description=description, order=order, owner=demo.people[owner])
        themes[key] = _save(theme, demo.people[owner])
    return themes


def _seed_objectives(demo, themes) -> dict[str, Objective]:
    objectives = {}
    for key, theme, title, owner, processes, due_in, what, resources, evaluation in OBJECTIVES:
        due = _quarter_end(demo.today, due_in)
        objective = Objective(
            theme=themes[theme],
            title=title.format(by=_by(due)),
            description=what,
            resources=resources,
            evaluation=evaluation,
            due_date=due,
            owner=demo.people[owner],
        )
        objectives[key] = _save(objective, themes[theme].owner)
        objective.processes.set([demo.processes[p] for p in processes])
    return objectives


def _seed_kpis(demo, objectives) -> dict[str, KPI]:
    kpis: dict[str, KPI] = {}
    start = _history_start(demo.today)
    for spec in KPIS:
        references = {key: saved.reference for key, saved in kpis.items()}
        kpi = KPI(
            name=spec.name,
            description=spec.description,
            unit=spec.unit,
            nature=spec.nature,
            direction=spec.direction,
            target=Decimal(spec.target),
            target_upper=_decimal(spec.upper),
            warning=_decimal(spec.warning),
            frequency=spec.frequency,
            source=Source.FORMULA if spec.formula else Source.MANUAL,
            formula=spec.formula.format(**references),
            valid_min=_decimal(spec.valid[0]),
            valid_max=_decimal(spec.valid[1]),
            measured_from=demo.today.replace(day=1) if spec.new else start,
            raise_action_after=spec.raise_after,
            owner=demo.people[spec.owner],
        )
        kpi.clean()  # the demo's own data must pass the rules people's data does
        kpis[spec.key] = _save(kpi, demo.people["quality"])
        kpi.processes.set([demo.processes[p] for p in (spec.process, *spec.processes)])
        kpi.objectives.set([objectives[o] for o in spec.objectives])
        kpi.deputies.set([demo.people[d] for d in spec.deputies])
    return kpis


def _seed_history(demo, kpis: dict[str, KPI], rng: random.Random) -> int:
    """Entered values of every KPI that is not calculated or new, in one bulk insert."""
    start = _history_start(demo.today)
    end = Period.last_closed(MONTHLY, demo.today).end
    entered: dict[str, dict[date, Decimal]] = {}
    rows = []
    for spec in KPIS:
        if spec.formula or spec.new:
            continue
        kpi = kpis[spec.key]
        periods = _periods(spec.frequency, start, demo.today)
        values = {}
        for period in periods:
            raw = _value(spec, period, (period.start - start).days / (end - start).days, rng)
            if spec.of:
                base = entered[spec.of][period.start]
                raw = min(float(base) * raw / spec.per, float(base))
            values[period.start] = _clip(spec, raw)
        entered[spec.key] = values  # shares are made from every base value, even those not entered yet
        kept = periods[: len(periods) - spec.missing]
        for period, value in zip(reversed(kept), reversed(spec.tail), strict=False):
            values[period.start] = _clip(spec, value)
        for back, period in enumerate(reversed(kept)):
            rows.append(
                Measurement(
                    kpi=kpi,
                    period_start=period.start,
                    value=values[period.start],
                    comment=COMMENTS.get((spec.key, back), ""),
                    entered_by=kpi.owner,
                    entered_at=_entered_at(period, demo.today, rng),
                )
            )
    Measurement.objects.bulk_create(rows, batch_size=services.BATCH)
    return len(rows)


def _judge_action_by_kpi(kpis: dict[str, KPI]) -> None:
    title, key, periods = JUDGED_ACTION
    action = Action.objects.get(title=title, status=ActionStatus.DONE)
    EffectivenessMeasure.objects.create(action=action, kpi=kpis[key], periods=periods)


# Helpers
# ------------------------------------------------------------------------------


def _save(record, by):
    record.created_by = record.updated_by = by
    record._history_user = by
    record.save()
    return record


def _history_start(today: date) -> date:
    """The first day of the history: YEARS back from the last closed month, at a quarter's start
    so quarterly totals of monthly values are whole."""
    last = Period.last_closed(MONTHLY, today).start
    index = last.year * 12 + last.month - 1 - (12 * YEARS - 1)
    return Period.containing(QUARTERLY, date(index // 12, index % 12 + 1, 1)).start


def _periods(frequency: str, start: date, today: date) -> list[Period]:
    period, last = Period.containing(frequency, start), Period.last_closed(frequency, today)
    periods = []
    while period <= last:
        periods.append(period)
        period = period.next()
    return periods


def _value(spec: Spec, period: Period, progress: float, rng: random.Random) -> float:
    first, last, noise = spec.trend
    amplitude, peak = spec.season
    month = period.start.month
    value = first + (last - first) * min(max(progress, 0.0), 1.0)
    value += amplitude * math.cos(2 * math.pi * (month - peak) / 12)
    if month in (8, 12):
        value *= 1 - spec.shutdown
    return value + rng.gauss(0, noise)


def _clip(spec: Spec, value: float) -> Decimal:
    low, high = spec.valid
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return Decimal(f"{value:.{spec.places}f}")


def _entered_at(period: Period, today: date, rng: random.Random) -> datetime:
    day = min(period.end + timedelta(days=rng.randint(1, 6)), today)
    moment = datetime.combine(day, time(hour=rng.randint(8, 16), minute=rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _quarter_end(today: date, months: int) -> date:
    """The last day of the quarter `months` from today's month."""
    index = today.year * 12 + today.month - 1 + months
    return Period.containing(QUARTERLY, date(index // 12, index % 12 + 1, 1)).end


def _by(due: date) -> str:
    return f"end of {due.year}" if due.month == 12 else f"{due:%B %Y}"


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))
