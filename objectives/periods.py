"""Measurement periods. A KPI has one value per period of its frequency; a period is named by the
date it starts on (a Monday, the first of a month, of a quarter or of a year)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.translation import gettext as _

from .choices import Frequency

# A value counts in the coarser period that holds its period's fourth day: a week in the month and
# ISO year of its Thursday (2026-W01 starts on 29 December 2025 but belongs to 2026); the first of
# a month, quarter or year moved by three days stays where it was.
ANCHOR = timedelta(days=3)


@dataclass(frozen=True, order=True)
class Period:
    frequency: str
    start: date

    @classmethod
    @lru_cache(maxsize=4096)  # periods never change; the status refresh asks for the same few 5,000 times
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
        """Read a period as people write it and as the app shows it: "Sep 2026", "September 2026",
        "Q3 2026", "Week 38, 2026", "W38 2026", "2026"; in ISO form: 2026-09, 2026-Q3, 2026-W38; or
        any date inside the period (2026-09-15). A period of another frequency is refused. Raises
        ValueError with a message for people, whose example is written as the app shows periods."""
        text = str(text).strip()
        example = cls.last_closed(frequency, timezone.localdate()).label
        written, day = _read(text)
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


# Reading periods
# ------------------------------------------------------------------------------

# Years a period may fall in: a typo such as 0026 names no period values are kept for, and one at
# the ends of the calendar has no period before or after it to step to.
YEARS = range(1900, 9999)
# The earliest day a KPI is measured from, so the earliest period a value is entered for: a QMS kept
# here holds no figures from before 2000, and an earlier year is a typo (1926 for 2026).
EARLIEST = date(2000, 1, 1)
_SEP = r"[\s,/.-]*"
_WEEK = re.compile(rf"(?:week|wk|w)\.?\s*(\d{{1,2}}){_SEP}(?:of\s+)?(\d{{4}})", re.IGNORECASE)
_YEAR_WEEK = re.compile(rf"(\d{{4}}){_SEP}(?:week|wk|w)\.?\s*(\d{{1,2}})(?:-\d)?", re.IGNORECASE)
_QUARTER = re.compile(rf"q([1-4]){_SEP}(\d{{4}})", re.IGNORECASE)
_YEAR_QUARTER = re.compile(rf"(\d{{4}}){_SEP}q([1-4])", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[/.](\d{4})")
# "Sep 2026", "September 2026", "sept. 2026", and "Sep-26" as spreadsheets write a month.
_NAMED_MONTH = re.compile(rf"([^\W\d_]+)\.?{_SEP}(\d{{4}}|\d{{2}})")
_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def _month_number(name: str) -> int | None:
    """1-12 for a month's name or its abbreviation (three letters or more), in English or the
    language in use."""
    name = name.lower()
    if len(name) < 3:
        return None
    for number in range(1, 13):
        names = {_ENGLISH_MONTHS[number - 1], str(MONTHS[number]).lower(), str(MONTHS_3[number]).lower()}
        if any(full.startswith(name) for full in names):
            return number
    return None


def _read(text: str) -> tuple[str | None, date | None]:
    """The frequency a text is written in (None for a date) and a day inside the period it names;
    (None, None) when it names no period."""
    written, day = _read_any_year(text)
    return (written, day) if day is not None and day.year in YEARS else (None, None)


def _read_any_year(text: str) -> tuple[str | None, date | None]:
    try:
        if m := _WEEK.fullmatch(text) or _YEAR_WEEK.fullmatch(text):
            week, year = (m[1], m[2]) if m.re is _WEEK else (m[2], m[1])
            return Frequency.WEEKLY, date.fromisocalendar(int(year), int(week), 1)
        if m := _QUARTER.fullmatch(text) or _YEAR_QUARTER.fullmatch(text):
            quarter, year = (m[1], m[2]) if m.re is _QUARTER else (m[2], m[1])
            return Frequency.QUARTERLY, date(int(year), 3 * int(quarter) - 2, 1)
        if m := _YEAR_MONTH.fullmatch(text):
            return Frequency.MONTHLY, date(int(m[1]), int(m[2]), 1)
        if m := _MONTH_YEAR.fullmatch(text):
            return Frequency.MONTHLY, date(int(m[2]), int(m[1]), 1)
        if (m := _NAMED_MONTH.fullmatch(text)) and (month := _month_number(m[1])):
            year = int(m[2]) if len(m[2]) == 4 else 2000 + int(m[2])
            return Frequency.MONTHLY, date(year, month, 1)
        if re.fullmatch(r"\d{4}", text):
            return Frequency.YEARLY, date(int(text), 1, 1)
        if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text):
            return None, date.fromisoformat(text)
    except ValueError:
        pass
    return None, None


@lru_cache(maxsize=64)  # the same for every KPI of a frequency: the status refresh asks 5,000 times
def latest_due_period(frequency: str, today: date, grace_days: int) -> Period:
    """The latest period that must have a value by `today`: the last closed one once its grace days
    have passed, the one before it until then."""
    due = Period.last_closed(frequency, today)
    return due if today > due.end + timedelta(days=grace_days) else due.previous()
