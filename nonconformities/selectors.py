"""Reads over nonconformities: the age bands of open ones, and the complaint figures a KPI can take its values from."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from objectives.periods import Period

from .models import Nonconformity


@dataclass(frozen=True)
class AgeBand:
    """Open nonconformities found at least `min_days` and fewer than `max_days` days ago."""

    key: str
    label: str
    min_days: int | None
    max_days: int | None

    def condition(self) -> Q:
        today, found = timezone.localdate(), Q()
        if self.min_days is not None:
            found &= Q(detected_on__lte=today - timedelta(days=self.min_days))
        if self.max_days is not None:
            found &= Q(detected_on__gt=today - timedelta(days=self.max_days))
        return found


AGE_BANDS = {
    band.key: band
    for band in (
        AgeBand("new", _("under 30 days"), None, 30),
        AgeBand("month", _("30 to 90 days"), 30, 90),
        AgeBand("old", _("over 90 days"), 90, None),
    )
}


@dataclass(frozen=True)
class ComplaintFigures:
    """One period's customer complaints: how many came in, and how long those answered took."""

    period: Period
    received: int
    answered: int
    average_response_days: float | None


def complaint_figures(frequency: str, first: Period, last: Period | None = None) -> list[ComplaintFigures]:
    """Per period from `first` to `last` (the last closed period by default): the customer complaints
    received in it and their average response time in days (received to answered), ready to be the
    values of a KPI of that frequency. One query, whatever the number of complaints."""
    last = last or Period.last_closed(frequency, timezone.localdate())
    rows = Nonconformity.objects.complaints().filter(received_on__range=(first.start, last.end))
    received: dict[Period, int] = {}
    response_days: dict[Period, list[int]] = {}
    for received_on, responded_on in rows.values_list("received_on", "responded_on").order_by():
        period = Period.containing(frequency, received_on)
        received[period] = received.get(period, 0) + 1
        if responded_on is not None:
            response_days.setdefault(period, []).append(_days(received_on, responded_on))
    figures, period = [], Period.containing(frequency, first.start)
    while period <= last:
        days = response_days.get(period, [])
        figures.append(
            ComplaintFigures(
                period=period,
                received=received.get(period, 0),
                answered=len(days),
                average_response_days=round(sum(days) / len(days), 1) if days else None,
            )
        )
        period = period.next()
    return figures


def _days(start: date, end: date) -> int:
    return (end - start).days
