"""Measurement periods. A KPI has one value per period of its frequency; a period is named by the
date it starts on (a Monday, the first of a month, of a quarter or of a year)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .choices import Frequency


@dataclass(frozen=True, order=True)
class Period:
    frequency: str
    start: date

    @classmethod
    def containing(cls, frequency: str, day: date) -> "Period":
        match frequency:
            case Frequency.WEEKLY:
                start = day - timedelta(days=day.weekday())
            case Frequency.MONTHLY:
                start = day.replace(day=1)
            case Frequency.QUARTERLY:
                start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            case Frequency.YEARLY:
                start = date(day.year, 1, 1)
            case _:
                raise ValueError(f"Unknown frequency {frequency!r}")
        return cls(frequency, start)

    @classmethod
    def last_closed(cls, frequency: str, today: date) -> "Period":
        """The latest period that has ended before today: the one whose value is now due."""
        return cls.containing(frequency, today).previous()

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> "Period":
        return self._shift(1)

    def previous(self) -> "Period":
        return self._shift(-1)

    def _shift(self, steps: int) -> "Period":
        if self.frequency == Frequency.WEEKLY:
            return Period(self.frequency, self.start + timedelta(weeks=steps))
        months = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}[self.frequency] * steps
        index = self.start.year * 12 + self.start.month - 1 + months
        return Period(self.frequency, date(index // 12, index % 12 + 1, 1))

    def __str__(self) -> str:
        match self.frequency:
            case Frequency.WEEKLY:
                year, week, _weekday = self.start.isocalendar()
                return f"{year}-W{week:02d}"
            case Frequency.MONTHLY:
                return f"{self.start:%Y-%m}"
            case Frequency.QUARTERLY:
                return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
            case _:
                return f"{self.start.year}"

    @property
    def label(self) -> str:
        """How people write it: "Nov 2026", "Q4 2026", "2026", "Week 47, 2026"."""
        match self.frequency:
            case Frequency.WEEKLY:
                year, week, _weekday = self.start.isocalendar()
                return _("Week %(week)d, %(year)d") % {"week": week, "year": year}
            case Frequency.MONTHLY:
                return self.start.strftime("%b %Y")
            case Frequency.QUARTERLY:
                return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
            case _:
                return str(self.start.year)

    @classmethod
    def parse(cls, frequency: str, text: str) -> "Period":
        """Read a period as written in imports and the API: 2026-W47, 2026-11, 2026-Q4, 2026, or
        any date inside the period (2026-11-15). Raises ValueError with a message for people."""
        text = str(text).strip()
        written, day = None, None
        try:
            if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text, re.IGNORECASE):
                written, day = Frequency.WEEKLY, date.fromisocalendar(int(m[1]), int(m[2]), 1)
            elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE):
                written, day = Frequency.QUARTERLY, date(int(m[1]), 3 * int(m[2]) - 2, 1)
            elif m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
                written, day = Frequency.MONTHLY, date(int(m[1]), int(m[2]), 1)
            elif re.fullmatch(r"\d{4}", text):
                written, day = Frequency.YEARLY, date(int(text), 1, 1)
            else:
                day = date.fromisoformat(text)
        except ValueError:
            day = None
        example = cls.containing(frequency, date.today())
        if day is None:
            raise ValueError(
                _("“%(text)s” is not a period. Write it like %(example)s or as a date inside the period.")
                % {"text": text, "example": example}
            )
        if written is not None and written != frequency:
            raise ValueError(
                _("“%(text)s” is not a %(frequency)s period. Write it like %(example)s.")
                % {"text": text, "frequency": Frequency(frequency).label.lower(), "example": example}
            )
        return cls.containing(frequency, day)
