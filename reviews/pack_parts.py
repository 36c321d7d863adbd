"""The review pack's building blocks: plain values, cells, rows and tables, labels and links, and the
small bar charts, all written as the plain data the pack is (reviews.pack)."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode

from django.db.models import Case, Choices, Count, F, IntegerField, Q, Sum, Value, When, Window
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from objectives.choices import (
    Frequency,
    KPIStatus,
)
from objectives.models import KPI
from objectives.periods import Period
from objectives.templatetags.kpis import number
from qms.models import detail_url
from risks.choices import RiskKind, band_colour, band_label

ROW_LIMIT = 25  # rows of a table; the rest are counted and linked to the live list


# Plain values
# --------------------------------------------------------------------------


def iso_text(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return value.isoformat()


def day_text(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat() if value else ""


def number_text(value: Decimal | float | int | None) -> str:
    """A figure as the KPI pages write it (objectives' `number`), or nothing."""
    return "" if value is None else number(value)


def person_name(first: str, last: str, username: str = "") -> str:
    """A person's name as User.__str__ gives it, from the columns of a join."""
    return f"{first} {last}".strip() or username


def owner_names() -> dict:
    return {
        "owner_first_name": F("owner__first_name"),
        "owner_last_name": F("owner__last_name"),
        "owner_username": F("owner__username"),
    }


def cell(text="", url: str = "", colour: str = "") -> dict:
    return {"text": str(text), "url": url, "colour": colour}


def day_cell(value: date | datetime | None, colour: str = "") -> dict:
    """A date, kept on one line."""
    return {**cell(day_text(value), colour=colour), "nowrap": True}


def row(ref: str, url: str, *cells: dict) -> dict:
    return {"ref": ref, "url": url, "cells": list(cells)}


def table(
    key: str, title: str, columns: list, rows: list, *, total: int | None = None, more_url: str = "", empty=""
) -> dict:
    total = len(rows) if total is None else total
    return {
        "key": key,
        "title": str(title),
        "columns": [str(c) for c in columns],
        "rows": rows[:ROW_LIMIT],
        "total": total,
        "more_url": more_url if total > min(len(rows), ROW_LIMIT) else "",
        "empty": str(empty or _("Nothing in this period.")),
    }


def limited(queryset, **conditions: Q) -> tuple[list, dict[str, int]]:
    """The first ROW_LIMIT records of `queryset`, and how many there are in all and how many meet
    each condition, in the same query (window aggregates over the whole set, before the limit)."""
    counts = {"total": Window(Count("pk"))} | {
        name: Window(Sum(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())))
        for name, condition in conditions.items()
    }
    records = list(queryset.annotate(**{f"window_{name}": value for name, value in counts.items()})[:ROW_LIMIT])
    if not records:
        return [], dict.fromkeys(counts, 0)
    return records, {name: getattr(records[0], f"window_{name}") or 0 for name in counts}


def figure(label: str, value, colour: str = "") -> dict:
    return {"label": str(label), "value": number_text(value) if not isinstance(value, str) else value, "colour": colour}


NC_URL = "nonconformities:nonconformity_detail"
NC_LIST = "nonconformities:nonconformity_list"
NC_FIELDS = (
    "id",
    "reference",
    "title",
    "origin",
    "severity",
    "status",
    "party",
    "detected_on",
    "received_on",
    "responded_on",
    "closed_on",
    "effective",
    "reviewed_at",
)


@lru_cache(maxsize=64)
def _labels(choices: type[Choices], language: str | None) -> dict[str, str]:
    return {value: str(text) for value, text in choices.choices}


def label(choices: type[Choices], value: str) -> str:
    """A choice's label in the current language: translated once per pack, not once per row."""
    return _labels(choices, get_language()).get(value, value)


_list_urls: dict[tuple[str, str], str] = {}


def link(record) -> str:
    """The live record's page."""
    return record.get_absolute_url()


def list_url(name: str, **params) -> str:
    key = (get_script_prefix(), name)
    if key not in _list_urls:
        _list_urls[key] = reverse(name)
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return _list_urls[key] + (f"?{query}" if query else "")


BAR_COLOURS = ("#1f3a5f", "#198754", "#dc3545")


def month_bars(title: str, months: list[str], series: list[tuple[str, list[int]]]) -> str:
    """A small bar chart of counts per month, one bar per series side by side, as inline SVG drawn
    by hand (cheap, and the same bytes for the same counts)."""
    width, height, left, bottom, top = 640, 150, 28, 22, 18
    peak = max([1, *(v for person_name, values in series for v in values)])
    slot = (width - left) / max(1, len(months))
    bar = min(18.0, (slot - 4) / max(1, len(series)))
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" class="month-bars" style="max-width:100%;height:auto" '
        'font-family="DejaVu Sans, sans-serif" font-size="10">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#adb5bd"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" fill="#6c757d">{peak}</text>',
    ]
    every = max(1, round(len(months) / 12))
    for m, month in enumerate(months):
        x0 = left + m * slot + (slot - bar * len(series)) / 2
        for n, (name, values) in enumerate(series):
            value = values[m]
            h = value * scale
            y = height - bottom - h
            parts.append(
                f'<rect x="{x0 + n * bar:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{BAR_COLOURS[n % len(BAR_COLOURS)]}">'
                f"<title>{escape(name)}, {escape(month)}: {value}</title></rect>"
            )
        if m % every == 0:
            parts.append(
                f'<text x="{left + m * slot + slot / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#6c757d">'
                f"{escape(month)}</text>"
            )
    for n, (name, _values) in enumerate(series):
        x = left + n * 150
        parts.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{BAR_COLOURS[n % len(BAR_COLOURS)]}"/>')
        parts.append(f'<text x="{x + 14}" y="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def months_in(start: date, end: date) -> list[Period]:
    months, month = [], Period.containing(Frequency.MONTHLY, start)
    while month.start <= end:
        months.append(month)
        month = month.next()
    return months


def kpi_from(values: dict) -> KPI:
    """A KPI instance from the values read (the other fields deferred), as a query would load it."""
    names = [f.attname for f in KPI._meta.concrete_fields if f.attname in values]  # in the model's order
    return KPI.from_db("default", names, [values[name] for name in names])


def target_text(k: dict) -> str:
    target = number_text(k["target"])
    if k["direction"] == "range" and k["target_upper"] is not None:
        text = f"{target}–{number_text(k['target_upper'])}"
    else:
        text = ("≥ " if k["direction"] == "higher" else "≤ ") + target
    return f"{text} {k['unit']}".strip()


def status_summary(kpis: list[dict]) -> str:
    if not kpis:
        return "—"
    counts = defaultdict(int)
    for k in kpis:
        counts[k["status"]] += 1
    return ", ".join(f"{counts[s]} {KPIStatus(s).label.lower()}" for s in KPIStatus.values if counts[s])


def band_move_row(move: dict, ranks: dict) -> dict:
    before, after, kind = move["band_before"], move["band_after"], move["kind"]
    if not before:
        movement, colour = _("New"), "info"
    elif not after:
        movement, colour = _("Not scored"), "secondary"
    elif ranks[after] > ranks[before]:
        movement, colour = (_("Worse"), "danger") if kind == RiskKind.RISK else (_("Greater"), "success")
    else:
        movement, colour = (_("Better"), "success") if kind == RiskKind.RISK else (_("Smaller"), "warning")
    url = detail_url("risks:risk_detail", move["id"])
    return row(
        move["reference"],
        url,
        cell(f"{move['reference']} {move['title']}", url),
        band_cell(kind, before),
        band_cell(kind, after),
        cell(movement, colour=colour),
    )


def band_cell(kind: str, band: str | None) -> dict:
    if not band:
        return cell("—")
    return cell(band_label(kind, band), colour=f"band band-{band_colour(kind, band)}")
