"""An objective's progress: how far its main KPI has come from a baseline to a target, or else the
share of its KPIs on target (Objective.progress)."""

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import KPI


def distance(value: Decimal, target_range: tuple[Decimal, Decimal]) -> Decimal:
    """How far `value` lies outside the range; 0 inside it."""
    low, high = target_range
    return max(low - value, value - high, Decimal(0))


@dataclass(frozen=True)
class Progress:
    """How far an objective has come.

    By distance, when it has a main KPI with a baseline, a target and a value: the share of the
    way from baseline to target its latest value has come, (now - baseline) / (target - baseline),
    which reads the same whether higher or lower is better. A KPI to be kept within a range (when
    the objective sets no target of its own) has arrived anywhere inside it: the way is measured by
    the distance to the range, so a value beyond its far end is off target again, not beyond 100 %.
    Otherwise by the share of its KPIs with a value that are on target. The share is always there
    as a second figure.
    """

    on_target: int
    judged: int
    kpi: "KPI | None" = None
    baseline: Decimal | None = None
    target: Decimal | None = None
    target_range: tuple[Decimal, Decimal] | None = None
    now: Decimal | None = None
    baseline_set: bool = False
    target_set: bool = False
    kpi_unlinked: bool = False

    @cached_property  # read a dozen times where an objective's progress shows
    def travelled(self) -> Decimal | None:
        """Per cent of the way from baseline to target, as it is: below 0 when the KPI moved away
        from the target, above 100 beyond it. None when progress cannot be measured by distance."""
        if None in (self.kpi, self.baseline, self.target, self.now):
            return None
        if self.target_range is not None:
            start = distance(self.baseline, self.target_range)
            return 100 * (start - distance(self.now, self.target_range)) / start if start else None
        if self.baseline == self.target:
            return None
        return 100 * (self.now - self.baseline) / (self.target - self.baseline)

    @property
    def by_distance(self) -> bool:
        return self.travelled is not None

    @property
    def share(self) -> int | None:
        """The share of the KPIs with a value that are on target, in per cent."""
        return round(100 * self.on_target / self.judged) if self.judged else None

    @property
    def travelled_percent(self) -> int | None:
        return None if self.travelled is None else round(self.travelled)

    @property
    def percent(self) -> int | None:
        """The headline figure, 0 to 100 for a progress bar."""
        if self.travelled is None:
            return self.share
        return min(100, max(0, self.travelled_percent))

    @property
    def basis(self) -> str:
        return "distance" if self.by_distance else "kpi_share"

    @property
    def fallback_reason(self) -> str:
        """Why progress is the share of KPIs on target rather than a distance."""
        if self.kpi_unlinked:
            return _("its main KPI no longer measures it")
        if self.kpi is None:
            return _("it has no main KPI")
        if self.now is None or self.baseline is None:
            return _("%(kpi)s has no value yet") % {"kpi": self.kpi.reference}
        if self.target_range is not None:
            return _("its baseline is within the target range already")
        return _("its baseline equals its target")

    @property
    def colour(self) -> str:
        if self.percent is None:
            return "secondary"
        return "success" if self.percent >= 75 else "warning" if self.percent >= 40 else "danger"
