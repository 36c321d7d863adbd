from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from objectives import charts
from objectives.choices import KPI_STATUS_COLOURS, KPIStatus

register = template.Library()


@register.simple_tag
def sparkline(values) -> str:
    return charts.sparkline(values or [])


@register.filter
def number(value: Decimal | None) -> str:
    """A stored value as people write it: 97.5, not 97.5000; 1200, not 1.2E+3; calculated values
    rounded to two decimals (four below 1)."""
    if value is None:
        return "—"
    value = Decimal(value)
    value = round(value, 2 if abs(value) >= 1 else 4)
    return f"{value.normalize():f}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def kpi_dots(kpis) -> str:
    """A dot per KPI in the colour of its status, linking to it. A tag, not a loop in the template:
    the objectives overview draws some five hundred, and the loop cost 0.1 ms a dot."""
    return format_html_join(
        "",
        '<a href="{}" class="kpi-dot text-{}" title="{} {}: {}"><i class="bi bi-circle-fill" aria-hidden="true"></i>'
        '<span class="visually-hidden">{} {}</span></a>',
        (
            (kpi.get_absolute_url(), kpi.status_colour, kpi.reference, kpi.name, status, kpi.reference, status)
            for kpi in kpis
            for status in [kpi.get_status_display()]
        ),
    )


@register.simple_tag
def objective_flags(objective) -> str:
    """The badges beside an objective's name: measured only by activity KPIs, or by none; overdue.
    A tag, as it shows on every row of the objectives overview."""
    flags = []
    if objective.activity_only:
        flags.append(
            format_html(
                '<span class="badge text-bg-warning" title="{}"><i class="bi bi-exclamation-triangle" '
                'aria-hidden="true"></i> {}</span>',
                _("Measured only by activity KPIs: it shows effort, not results for customers."),
                _("Activity KPIs only"),
            )
        )
    elif not objective.measured_kpis:
        flags.append(format_html('<span class="badge text-bg-light border">{}</span>', _("No KPIs")))
    if objective.is_overdue:
        flags.append(format_html(' <span class="badge text-bg-danger">{}</span>', _("Overdue")))
    return mark_safe("".join(flags))  # noqa: S308  (each part escaped by format_html)


@register.simple_tag
def kpi_value(kpi, value) -> str:
    if value is None:
        return "—"
    return format_html(
        "{}<span class='text-body-secondary small'>{}</span>", number(value), f" {kpi.unit}" if kpi.unit else ""
    )


@register.simple_tag
def kpi_amount(kpi, value) -> str:
    """A value with the KPI's unit, as plain text: 1.5 %."""
    unit = getattr(kpi, "unit", "")
    return f"{number(value)} {unit}" if unit and value is not None else number(value)


@register.simple_tag
def kpi_target(kpi) -> str:
    """The target as a phrase: ≥ 95 %, ≤ 500 ppm, 20–24 mm."""
    unit = f" {kpi.unit}" if kpi.unit else ""
    if kpi.direction == "range":
        return f"{number(kpi.target)}–{number(kpi.target_upper)}{unit}"
    sign = "≥" if kpi.direction == "higher" else "≤"
    return f"{sign} {number(kpi.target)}{unit}"


@register.filter
def judge(kpi, value) -> dict:
    """The status of one value of the KPI, with its label and colour."""
    status = KPIStatus(kpi.judge(value))
    return {"label": status.label, "colour": KPI_STATUS_COLOURS[status]}
