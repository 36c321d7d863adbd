"""KPI charts drawn on the server: a trend chart as SVG by matplotlib (the same picture goes into
PDFs), and a sparkline small enough to draw by hand as a polyline."""

import hashlib
import io
import re
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .choices import Direction, KPIStatus
from .models import KPI
from .periods import YEARS

CHART_CACHE_SECONDS = 7 * 24 * 3600  # as long as a review keeps its live pack (reviews.pack)
COLOURS = {
    KPIStatus.ON_TARGET: "#198754",
    KPIStatus.WARNING: "#e0a800",
    KPIStatus.OFF_TARGET: "#dc3545",
    "line": "#1f3a5f",
    "target": "#198754",
    "warning": "#e0a800",
}
STYLE = {
    "svg.fonttype": "none",  # text stays text: searchable and selectable in pages and PDFs
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#adb5bd",
    "axes.grid": True,
    "grid.color": "#e9ecef",
    "svg.hashsalt": "qms",  # stable ids, so the same data gives the same SVG
    "text.parse_math": False,  # a unit such as "$" is text, not TeX
}


def trend_svg(kpi: KPI, points: list[tuple[date, Decimal]]) -> str:
    """The KPI's values over time with its target (and range, and warning threshold) as lines,
    each point coloured by its status. Cached by the data it shows. Points no value can be for (a
    year a typo made, stored before periods were checked) are left out: they would stretch the axis
    past the dates matplotlib draws."""
    today = timezone.localdate()
    points = [(start, value) for start, value in points if date(YEARS.start, 1, 1) <= start <= today]
    fingerprint = repr((str(kpi), kpi.direction, kpi.target, kpi.target_upper, kpi.warning, kpi.unit, points))
    key = "kpi-chart:2:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _draw(kpi, points)
        cache.set(key, svg, CHART_CACHE_SECONDS)
    return svg


def _draw(kpi: KPI, points: list[tuple[date, Decimal]]) -> str:
    # Imported here, not at the top: matplotlib takes seconds to load, and only drawing needs it,
    # not every process and management command that loads the URLs.
    import matplotlib
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(8, 2.8), layout="constrained")
        axes = figure.add_subplot()
        dates = [start for start, _value in points]
        values = [float(value) for _start, value in points]
        axes.plot(dates, values, color=COLOURS["line"], linewidth=1.6, zorder=2)
        axes.scatter(dates, values, s=18, zorder=3, color=[COLOURS[kpi.judge(Decimal(str(v)))] for v in values])
        axes.axhline(float(kpi.target), color=COLOURS["target"], linestyle="--", linewidth=1, label=_("Target"))
        if kpi.direction == Direction.RANGE and kpi.target_upper is not None:
            axes.axhline(float(kpi.target_upper), color=COLOURS["target"], linestyle="--", linewidth=1)
            axes.axhspan(float(kpi.target), float(kpi.target_upper), color=COLOURS["target"], alpha=0.06)
        elif kpi.warning is not None:
            axes.axhline(float(kpi.warning), color=COLOURS["warning"], linestyle=":", linewidth=1, label=_("Warning"))
        locator = AutoDateLocator(maxticks=8)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        if kpi.unit:
            axes.set_ylabel(kpi.unit)
        axes.legend(loc="best", frameon=False, fontsize=8)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = re.sub(r"^.*?(?=<svg)", "", svg, flags=re.DOTALL)  # inline SVG needs no prolog or DOCTYPE
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = _without_css(svg)
    title = _("Trend of %(kpi)s") % {"kpi": kpi}
    return svg.replace("<svg ", format_html('<svg role="img" aria-label="{}" ', title), 1)


def _without_css(svg: str) -> str:
    """The SVG styled by presentation attributes (`fill="#fff"`) instead of CSS: the page's
    Content-Security-Policy refuses the `<style>` element matplotlib writes into an inline SVG, and
    would refuse style attributes too if it ever stopped allowing them. It looks the same: every
    property matplotlib sets is also an SVG presentation attribute."""
    svg = re.sub(r"\s*<style[^>]*>.*?</style>", "", svg, flags=re.DOTALL)
    # What the <style> element said for every element, said once on the root; both properties inherit.
    svg = svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)

    def attributes(match: re.Match) -> str:
        declarations = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
        return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)

    return re.sub(r'style="([^"]*)"', attributes, svg)


def sparkline(values: list[Decimal], width: int = 96, height: int = 24) -> str:
    """A tiny line of the latest values, oldest first, as inline SVG."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = float(high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    points = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (float(v - low) / span) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    last_x, last_y = points.rsplit(" ", 1)[-1].split(",")
    return format_html(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" aria-hidden="true">'
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{p}"/>'
        '<circle cx="{x}" cy="{y}" r="2" fill="currentColor"/></svg>',
        w=width,
        h=height,
        p=points,
        x=last_x,
        y=last_y,
    )
