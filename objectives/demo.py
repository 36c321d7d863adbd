"""Builder of the demo objectives and KPIs (objectives/demo.yaml): the strategic themes, the quality
objectives under them, and the KPIs with their history of values.

A KPI's history is made up from a trend, a season and some noise, reproducibly (each KPI draws
from its own seeded random.Random), and ends with the last closed period before today, so the
demo always looks current. Its owner enters the values, through the same service as "My
measures", dated when they would have been entered; the nightly recalculation then fills the
calculated KPIs, raises the breach actions and judges actions by their KPI.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from qms.choices import Role
from qms.demo_loader import Demo, DemoDataError, builds, parse
from qms.models import Action, User

from . import services
from .choices import Frequency, Source
from .models import KPI, EffectivenessMeasure, Measurement, Objective, StrategicTheme
from .periods import Period

# An objective's way to measure progress names one of its KPIs, so it is set once they exist, as
# its owner would on the objective's edit page.
PROGRESS = ("main_kpi", "baseline", "target")
# Shorthands for `valid`: the lowest and highest possible values.
VALID = {"percent": (0, 100), "count": (0, None)}


@dataclass(frozen=True, kw_only=True)
class _History:
    years: int  # of values, up to the last closed period
    seed: int | str  # of the noise, with each KPI's key


@builds("history", "themes", "objectives", "kpis", "effectiveness_measures", order=40)
def seed_objectives(
    demo: Demo, *, history: dict, themes: dict, objectives: dict, kpis: dict, effectiveness_measures: list
) -> dict[str, int]:
    for order, (key, fields) in enumerate(demo.entries("themes", themes), start=1):
        demo.create(StrategicTheme, fields, by=demo.get(User, fields.get("owner")), key=key, order=order)
    progress = {}
    for key, fields in demo.entries("objectives", objectives):
        progress[key] = {name: fields.pop(name) for name in PROGRESS if name in fields}
        # An objective falls due at the end of a quarter; its title may say when: "… by {by}".
        if "due_quarter" not in fields:
            raise DemoDataError("due_quarter is missing: the quarter the objective falls due in, e.g. +13m.")
        due = Period.containing(Frequency.QUARTERLY, demo.date(fields.pop("due_quarter"))).end
        fields["title"] = fields.get("title", "").format(by=f"end of {due.year}" if due.month == 12 else f"{due:%B %Y}")
        theme = demo.get(StrategicTheme, fields.get("theme"))
        demo.create(Objective, fields, by=theme.owner, key=key, due_date=due)
    history = parse(_History, history)
    start = _history_start(demo.today, history.years)
    values = {key: _seed_kpi(demo, key, fields, start) for key, fields in demo.entries("kpis", kpis)}
    for key, fields in demo.entries("objectives", {key: fields for key, fields in progress.items() if fields}):
        objective = demo.get(Objective, key)
        demo.change(objective, fields, by=objective.owner)
    entered = _enter_values(demo, values, start, seed=history.seed)
    for _number, fields in demo.entries("effectiveness_measures", effectiveness_measures):
        action = demo.get(Action, fields.get("action"))
        demo.create(EffectivenessMeasure, fields, by=action.owner)
    services.recalculate_all(demo.today)
    return {
        "strategic themes": len(themes),
        "objectives": len(objectives),
        "KPIs": len(kpis),
        "KPI values": entered + Measurement.objects.filter(is_calculated=True).count(),
    }


def _seed_kpi(demo: Demo, key: str, fields: dict, start: date) -> dict:
    """Create the KPI, as the quality manager; return how its values are made up (may be empty)."""
    values = fields.pop("values", {})
    if formula := fields.get("formula", ""):
        references = {k: kpi.reference for k, kpi in demo.records.get(KPI, {}).items()}
        try:
            fields["formula"] = formula.format(**references)
        except KeyError as error:
            raise DemoDataError(f"the formula names {error.args[0]!r}, which is not a KPI above it.") from None
    valid = fields.pop("valid", [None, None])
    valid = VALID.get(valid, valid) if isinstance(valid, str) else valid
    if not isinstance(valid, list | tuple) or len(valid) != 2:
        raise DemoDataError(f"valid is {' or '.join(VALID)} or [lowest, highest], not {valid!r}.")
    low, high = valid
    fields.setdefault("measured_from", start)
    kpi = demo.create(
        KPI,
        {"valid_min": low, "valid_max": high, **fields},
        by=demo.first(User, role=Role.QUALITY_MANAGER),
        key=key,
        source=Source.FORMULA if formula else Source.MANUAL,
    )
    if values and kpi.is_calculated:
        raise DemoDataError("a calculated KPI takes no values: its formula makes them.")
    return values


def _enter_values(demo: Demo, specs: dict[str, dict], start: date, *, seed) -> int:
    """Make up each KPI's values and enter them as its owner would, one owner at a time; returns
    how many. A KPI that is a share of another (`share_of`) is made from every value of that one,
    even those not entered yet."""
    end = Period.last_closed(Frequency.MONTHLY, demo.today).end
    made: dict[str, dict[date, Decimal]] = {}
    by_owner: dict[User, list[services.Entry]] = defaultdict(list)
    for key, spec in demo.entries("kpis", {key: spec for key, spec in specs.items() if spec}):
        kpi = demo.get(KPI, key)
        rng = random.Random(f"{seed}-{key}")
        series = parse(_Series, spec)
        periods = _periods(kpi.frequency, start, demo.today)
        made[key] = {}
        for period in periods:
            value = series.value(period, (period.start - start).days / (end - start).days, rng)
            if series.share_of:
                base = made.get(series.share_of)
                if base is None:
                    raise DemoDataError(f"share_of names {series.share_of!r}, not a KPI with values above it.")
                value = min(float(base[period.start]) * value / series.per, float(base[period.start]))
            made[key][period.start] = series.clip(kpi, value)
        kept = periods[: len(periods) - series.missing]
        latest = series.latest_by_period(kept)
        for period in kept:
            told = latest.get(period, {})
            value = series.clip(kpi, told["value"]) if "value" in told else made[key][period.start]
            entry = services.Entry(
                kpi, period, value, told.get("comment", ""), entered_at=_entered_at(period, demo.today, rng)
            )
            by_owner[kpi.owner].append(entry)
    for owner, entries in by_owner.items():
        services.measurements_record(entries, user=owner, today=demo.today, recalculate_dependents=False)
    return sum(len(entries) for entries in by_owner.values())


@dataclass(frozen=True, kw_only=True)
class _Series:
    """How a KPI's values are made up: `trend` [first, last] moves linearly over the history,
    plus a `season` {amplitude, peak_month}, less the `shutdown` fraction in August and December,
    plus `noise` (a standard deviation); rounded to `decimals`. With `share_of`, the values are
    that share (per `per`, default 100) of another KPI's. `latest` gives the latest values as
    entered ({value, comment}, oldest first, either may be left out) and `missing` how many of the
    latest periods have no value yet."""

    trend: list
    noise: float = 0
    season: dict | None = None
    shutdown: float = 0
    share_of: str | None = None
    per: int = 100
    decimals: int = 1
    latest: list = field(default_factory=list)
    missing: int = 0

    def value(self, period: Period, progress: float, rng: random.Random) -> float:
        first, last = self.trend
        amplitude, peak = (self.season["amplitude"], self.season["peak_month"]) if self.season else (0, 1)
        month = period.start.month
        value = first + (last - first) * min(max(progress, 0.0), 1.0)
        value += amplitude * math.cos(2 * math.pi * (month - peak) / 12)
        if month in (8, 12):
            value *= 1 - self.shutdown
        return value + rng.gauss(0, self.noise)

    def latest_by_period(self, kept: list[Period]) -> dict[Period, dict]:
        """The latest values as entered, by period."""
        latest = [told if isinstance(told, dict) else {"value": told} for told in self.latest]
        return dict(zip(reversed(kept), reversed(latest), strict=False))

    def clip(self, kpi: KPI, value: float) -> Decimal:
        """Within the KPI's possible values, rounded as its people would write it."""
        if kpi.valid_min is not None:
            value = max(value, float(kpi.valid_min))
        if kpi.valid_max is not None:
            value = min(value, float(kpi.valid_max))
        return Decimal(f"{value:.{self.decimals}f}")


def _history_start(today: date, years: int) -> date:
    """The first day of the history: `years` back from the last closed month, at a quarter's
    start so quarterly totals of monthly values are whole."""
    last = Period.last_closed(Frequency.MONTHLY, today).start
    index = last.year * 12 + last.month - 1 - (12 * years - 1)
    return Period.containing(Frequency.QUARTERLY, date(index // 12, index % 12 + 1, 1)).start


def _periods(frequency: str, start: date, today: date) -> list[Period]:
    period, last = Period.containing(frequency, start), Period.last_closed(frequency, today)
    periods = []
    while period <= last:
        periods.append(period)
        period = period.next()
    return periods


def _entered_at(period: Period, today: date, rng: random.Random) -> datetime:
    """Some working hour of the first days after the period closed."""
    day = min(period.end + timedelta(days=rng.randint(1, 6)), today)
    moment = datetime.combine(day, time(hour=rng.randint(8, 16), minute=rng.randint(0, 59)))
    return min(timezone.make_aware(moment), timezone.now())
