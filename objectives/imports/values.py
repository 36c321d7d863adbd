"""Bulk entry of KPI values from a CSV or XLSX file, their export in the same shape, and a
template to start from.

The import follows the shared flow (flow.Importer): every row is checked as the service would,
and written, all or none, through `services.measurements_record`, so history, statuses and
recalculation happen as for a value typed in by hand.

The export writes the import's columns (kpi, period, value, comment) followed by the KPI's name
and unit, which the import ignores, so an exported file re-imports as it is.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from qms.exports import plain_number, table_download
from qms.models import User

from .. import services
from ..choices import Frequency, Source
from ..models import KPI, Measurement
from ..periods import Period
from .files import Columns, parse_number
from .flow import Importer, ImportFailed, Preview, RowError, download_format, errors_of

COLUMNS = Columns(
    names=("kpi", "period", "value", "comment"),
    required=("kpi", "period", "value"),
    rows_of=gettext_lazy("values"),
    numbers=("value",),
)
EXPORT_COLUMNS = (*COLUMNS.names, "kpi name", "unit")
COMMENT_MAX = Measurement._meta.get_field("comment").max_length


@dataclass
class ImportRow:
    """One data row of the file: as written, as understood, and what is wrong with it."""

    row: int
    kpi_text: str
    period_text: str
    value_text: str
    comment: str | None  # None when the file has no comment column: existing comments are kept
    kpi: KPI | None = None
    period: Period | None = None
    value: Decimal | None = None
    previous: tuple[Decimal, str] | None = None  # the value and comment stored now, if any
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def comment_to_save(self) -> str:
        if self.comment is not None:
            return self.comment
        return self.previous[1] if self.previous else ""

    @property
    def change(self) -> str:
        """ "new", "same" or "changed", compared with the stored value."""
        if self.previous is None:
            return "new"
        return "same" if self.previous == (self.value, self.comment_to_save) else "changed"

    @property
    def value_display(self) -> str:
        return plain_number(self.value) if self.value is not None else self.value_text

    @property
    def previous_display(self) -> str:
        return plain_number(self.previous[0]) if self.previous else ""


# Checking the rows
# ------------------------------------------------------------------------------


def validate_rows(rows: list[dict], user: User, today: date) -> tuple[list[ImportRow], list[RowError]]:
    """Check every row as the service would, and more: that the KPI exists and the user may enter
    its values, and that no KPI and period appears twice. Returns every row (with the KPI, period
    and value understood so far and its errors) and the errors in file order.

    A fixed number of queries, however many rows: KPIs, the ones the user may change, and the
    values stored now for the periods in the file."""
    checked = [
        ImportRow(
            row=int(raw["row"]),
            kpi_text=str(raw.get("kpi") or "").strip(),
            period_text=str(raw.get("period") or "").strip(),
            value_text=str(raw.get("value") or "").strip(),
            comment=None if raw.get("comment") is None else str(raw["comment"]).strip(),
        )
        for raw in rows
    ]
    references = {row.kpi_text.upper() for row in checked if row.kpi_text}
    kpis = {k.reference.upper(): k for k in KPI.objects.restrict(user, "view").filter(reference__in=references)}
    changeable = set(
        KPI.objects.restrict(user, "change").filter(pk__in=[k.pk for k in kpis.values()]).values_list("pk", flat=True)
    )
    seen: dict[tuple[int, date], int] = {}
    for row in checked:
        _check_row(row, kpis, changeable, today)
        if row.kpi is not None and row.period is not None:
            key = (row.kpi.pk, row.period.start)
            if key in seen:
                row.errors.append(
                    _("%(kpi)s for %(period)s is already in row %(other)d.")
                    % {"kpi": row.kpi.reference, "period": row.period, "other": seen[key]}
                )
            else:
                seen[key] = row.row
    _attach_previous(checked, seen)
    return checked, errors_of(checked)


def _check_row(row: ImportRow, kpis: dict[str, KPI], changeable: set[int], today: date) -> None:
    if row.comment is not None and len(row.comment) > COMMENT_MAX:
        row.errors.append(_("The comment is longer than %(max)d characters.") % {"max": COMMENT_MAX})
    if row.value_text:
        try:
            row.value = parse_number(row.value_text)
        except ValueError as error:
            row.errors.append(str(error))
    else:
        row.errors.append(_("The value is missing."))
    if not row.kpi_text:
        row.errors.append(_("The KPI is missing."))
        return
    kpi = kpis.get(row.kpi_text.upper())
    if kpi is None:
        row.errors.append(_("There is no KPI %(ref)s.") % {"ref": row.kpi_text})
        return
    row.kpi = kpi
    if kpi.pk not in changeable:
        row.errors.append(
            _("You may not enter values of %(ref)s: only its owner, deputies and quality managers may.")
            % {"ref": kpi.reference}
        )
        return
    if kpi.is_calculated:
        row.errors.append(_("%(ref)s is calculated; its values are not entered.") % {"ref": kpi.reference})
        return
    if not row.period_text:
        row.errors.append(_("The period is missing."))
        return
    try:
        row.period = Period.parse(kpi.frequency, row.period_text)
    except ValueError as error:
        row.errors.append(str(error))
        return
    if row.value is None:
        return
    try:
        services.measurement_validate(kpi=kpi, period=row.period, value=row.value, today=today)
    except ValidationError as error:
        row.errors.extend(error.messages)


def _attach_previous(checked: list[ImportRow], keys: dict[tuple[int, date], int]) -> None:
    """The value stored now for each row's KPI and period, to show what the import changes."""
    if not keys:
        return
    stored = Measurement.objects.filter(
        kpi_id__in={kpi_id for kpi_id, _start in keys}, period_start__in={start for _kpi, start in keys}
    ).values_list("kpi_id", "period_start", "value", "comment")
    previous = {(kpi_id, start): (value, comment) for kpi_id, start, value, comment in stored}
    for row in checked:
        if row.kpi is not None and row.period is not None:
            row.previous = previous.get((row.kpi.pk, row.period.start))


# Writing
# ------------------------------------------------------------------------------


def import_rows(checked: list[ImportRow], user: User, today: date) -> int:
    """Write every row in one bulk call of the service: all of them, or none. Returns how many
    rows were imported (an unchanged value counts: it is confirmed)."""
    entries = [services.Entry(row.kpi, row.period, row.value, row.comment_to_save) for row in checked]
    try:
        services.measurements_record(entries, user=user, today=today)
    except (ValidationError, PermissionDenied) as error:
        raise ImportFailed(" ".join(error.messages) if isinstance(error, ValidationError) else str(error)) from error
    return len(entries)


# Views
# ------------------------------------------------------------------------------


class ValueImport(Importer):
    """KPI values: by those who may enter them, for the KPIs they may change."""

    template_name = "objectives/measurement_import.html"
    kind = "values"
    columns = COLUMNS
    salt = "objectives.measurement_import"
    done_url = "objectives:kpi_list"
    url_name = "objectives:measurement_import"
    refused = gettext_lazy("Your role may not enter KPI values.")

    def check(self, rows: list[dict], user: User, today: date) -> Preview:
        checked, errors = validate_rows(rows, user, today)
        return Preview(checked, errors)

    def write(self, preview: Preview, user: User, today: date) -> int:
        return import_rows(preview.rows, user, today)

    def done_message(self, count: int) -> str:
        return ngettext("Imported %(count)d value.", "Imported %(count)d values.", count) % {"count": count}

    def context(self, request: HttpRequest) -> dict:
        return {
            "template_url": reverse("objectives:measurement_template"),
            "export_url": reverse("objectives:measurement_export") + "?mine=true",
        }


measurement_import = ValueImport().as_view()


@require_GET
def measurement_template(request: HttpRequest) -> HttpResponse:
    """The import's columns and one example row: the first KPI the user enters by hand, with the
    period now due written as the app shows it, and no value yet."""
    kind = download_format(request)
    today = timezone.localdate()
    kpi = KPI.objects.restrict(request.user, "change").measured().entered_by_hand().order_by("reference").first()
    if kpi is not None:
        reference, period = kpi.reference, kpi.period_to_enter(today) or kpi.due_period(today) or kpi.period(today)
    else:
        reference, period = "KPI-012", Period.last_closed(Frequency.MONTHLY, today)
    example = [reference, period.label, None, _("Example: type the value, or delete this row")]
    return table_download(
        header=list(COLUMNS.names),
        rows=[example],
        filename="kpi-values-template",
        kind=kind,
        sheet_title=_("Values"),
        widths=(12, 14, 12, 50),
    )


@require_GET
def measurement_export(request: HttpRequest) -> HttpResponse:
    """The values of the KPIs the user may see, filtered by the query string (kpi, repeatable;
    owner; process; mine=true; source), as CSV or, with format=xlsx, as XLSX. One query for the
    values, however many."""
    kind = download_format(request)
    kpis = export_kpis(request)
    values = (
        Measurement.objects.filter(kpi__in=kpis)
        .order_by("kpi__reference", "period_start")
        .values_list("kpi__reference", "kpi__frequency", "period_start", "value", "comment", "kpi__name", "kpi__unit")
    )
    return table_download(
        header=list(EXPORT_COLUMNS),
        rows=_export_rows(values),
        filename=f"kpi-values-{timezone.localdate():%Y-%m-%d}",
        kind=kind,
        sheet_title=_("Values"),
        widths=(12, 10, 12, 40, 40, 10),
    )


def export_kpis(request: HttpRequest):
    """The KPIs the query string asks for, among those the user may see."""
    kpis = KPI.objects.restrict(request.user, "view")
    if references := [ref.strip().upper() for ref in request.GET.getlist("kpi") if ref.strip()]:
        kpis = kpis.filter(reference__in=references)
    if owner := request.GET.get("owner"):
        kpis = kpis.filter(owner_id=_id(owner, "owner"))
    if process := request.GET.get("process"):
        kpis = kpis.filter(processes=_id(process, "process"))
    if request.GET.get("mine", "").lower() in ("1", "true", "yes", "on"):
        kpis = kpis.owned_by(request.user)
    if source := request.GET.get("source"):
        if source not in Source.values:
            raise BadRequest(_("The source must be one of: %(values)s.") % {"values": ", ".join(Source.values)})
        kpis = kpis.filter(source=source)
    return kpis.values("pk")


def _id(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequest(_("%(name)s must be a number.") % {"name": name}) from None


def _export_rows(values) -> Iterator[tuple]:
    for reference, frequency, start, value, comment, name, unit in values.iterator(chunk_size=2000):
        yield reference, str(Period(frequency, start)), value, comment, name, unit
