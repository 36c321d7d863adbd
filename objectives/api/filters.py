"""Filters of the objectives API beyond those the pages use (objectives.filters). Periods are
written as in the rest of the API (2026-11, 2026-Q4, 2026-W47, 2026), as the pages show them
(Nov 2026, Q4 2026, Week 47, 2026) or as a date."""

import re
from datetime import date

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..choices import Frequency
from ..models import Measurement
from ..periods import Period


def period_bounds(text: str) -> tuple[date, date]:
    """The first and last day of a period written in any frequency's notation, or of one date."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return day, day
    for frequency in Frequency.values:
        try:
            period = Period.parse(frequency, text)
        except ValueError:
            continue
        return period.start, period.end
    raise forms.ValidationError(
        _(
            "“%(text)s” is not a period. Write it like Nov 2026, Q4 2026, Week 47, 2026, 2026 or 2026-11-15 "
            "(or 2026-11, 2026-Q4, 2026-W47)."
        ),
        params={"text": text},
    )


class PeriodTextField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return period_bounds(value) if value else None


@extend_schema_field(OpenApiTypes.STR)
class PeriodTextFilter(django_filters.Filter):
    field_class = PeriodTextField


class MeasurementFilterSet(django_filters.FilterSet):
    kpi = django_filters.CharFilter(
        label=_("KPI"), field_name="kpi__reference", lookup_expr="iexact", help_text=_("A KPI reference: KPI-012.")
    )
    period_from = PeriodTextFilter(
        label=_("From period"),
        method="filter_period_from",
        help_text=_("Values of periods starting in or after this period (2026-01, 2026-Q1, 2026-W01, 2026 or a date)."),
    )
    period_to = PeriodTextFilter(
        label=_("To period"),
        method="filter_period_to",
        help_text=_(
            "Values of periods starting in or before this period (2026-12, 2026-Q4, 2026-W52, 2026 or a date)."
        ),
    )

    class Meta:
        model = Measurement
        fields = ["kpi", "period_from", "period_to"]

    def filter_period_from(self, queryset, name, value):
        return queryset.filter(period_start__gte=value[0]) if value else queryset

    def filter_period_to(self, queryset, name, value):
        return queryset.filter(period_start__lte=value[1]) if value else queryset
