"""Bulk entry of KPI values from a CSV or XLSX file, and their export in the same shape.

An import is all or nothing: the file is read (`read_rows`), every row checked (`validate_rows`)
and shown as a preview; on confirmation the rows are checked again and written in one transaction
through `services.measurement_record`, so history, statuses and recalculation happen as for a
value typed in by hand. Between preview and confirmation the rows travel in a signed hidden
field: the client cannot change them, and they are validated again anyway, since permissions or
KPIs may have changed meanwhile.

The export writes the import's columns (kpi, period, value, comment) followed by the KPI's name
and unit, which the import ignores, so an exported file re-imports as it is.
"""

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import openpyxl
from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from qms.exports import FORMATS, FORMULA_START, XLSX_TYPE, plain_number, table_download
from qms.forms import StyledFormMixin
from qms.models import User

from . import services
from .choices import Source
from .models import KPI, Measurement
from .periods import Period

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# An XLSX file is a zip: refuse one that unpacks to far more than any sheet of 5,000 rows needs.
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
COLUMNS = ("kpi", "period", "value", "comment")
REQUIRED = ("kpi", "period", "value")
EXPORT_COLUMNS = (*COLUMNS, "kpi name", "unit")
COMMENT_MAX = Measurement._meta.get_field("comment").max_length
SIGNING_SALT = "objectives.measurement_import"
PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed
# Text starting with one of these is run as a formula by spreadsheets opening a CSV file.
FOUR_PLACES = Decimal("0.0001")


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong format, too big, missing columns, too many rows."""


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


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d: %(reason)s") % {"row": self.row, "reason": self.message}


# Reading the file
# ------------------------------------------------------------------------------


def read_rows(upload) -> list[dict]:
    """The data rows of an uploaded CSV or XLSX file as dicts of text (kpi, period, value,
    comment) with their row number in the file (the header is row 1). Blank rows are skipped and
    columns other than ours ignored. Raises ImportFileError with a message for people."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ImportFileError(_file_too_big())
    upload.seek(0)
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(_file_too_big())
    name = (getattr(upload, "name", "") or "").lower()
    if content.startswith(b"PK\x03\x04"):
        table, decimal_comma = _xlsx_table(content), False
    elif name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ImportFileError(_("This file cannot be read as an Excel workbook. Save it as .xlsx or .csv."))
    else:
        table, decimal_comma = _csv_table(content)
    return _rows_from_table(table, decimal_comma=decimal_comma)


def _file_too_big() -> str:
    return _("The file is larger than %(size)s MB. Split it into smaller files.") % {
        "size": number_format(MAX_FILE_BYTES / 1024 / 1024)
    }


def _csv_table(content: bytes) -> tuple[Iterator[list], bool]:
    """The CSV's cells, and whether its numbers use a decimal comma (files separated by
    semicolons, as spreadsheets save them where the comma is the decimal sign)."""
    if b"\x00" in content:
        raise ImportFileError(_("This file is not a CSV file. Upload a .csv or .xlsx file."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file's characters cannot be read. Save it as CSV UTF-8.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), delimiter == ";"


def _xlsx_table(content: bytes) -> Iterator[list]:
    """The cells of the workbook's first sheet, as text. Numbers shown as percentages are read as
    shown (95 %, not 0.95) and dates as ISO dates."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise ImportFileError(_("This workbook is too large to import. Split it into smaller files."))
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as error:  # a damaged or foreign file can fail in many ways inside openpyxl
        logger.info("Unreadable XLSX upload: %r", error)
        raise ImportFileError(_("This file cannot be read as an Excel workbook. Save it as .xlsx or .csv.")) from None
    try:
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows():
            yield [_xlsx_text(cell) for cell in cells]
    except Exception as error:
        logger.info("Unreadable XLSX upload: %r", error)
        raise ImportFileError(_("This file cannot be read as an Excel workbook. Save it as .xlsx or .csv.")) from None
    finally:
        workbook.close()


def _xlsx_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        if "%" in (getattr(cell, "number_format", "") or ""):
            number *= 100
        return plain_number(number) if number.is_finite() else str(value)
    return str(value)


def _rows_from_table(table: Iterable[list], *, decimal_comma: bool) -> list[dict]:
    try:
        rows = iter(table)
        header = next(rows, None)
        if header is None:
            raise ImportFileError(_("The file is empty. Its first row must name the columns kpi, period and value."))
        columns = _columns(header)
        result = []
        for number, cells in enumerate(rows, start=2):
            texts = {name: _cell(cells, index) for name, index in columns.items()}
            if not any(texts.values()):
                continue
            if any(_cell(cells, index) for index in range(len(header), len(cells))):
                raise ImportFileError(
                    _(
                        "Row %(row)d has more cells than the first row names columns. A number written with a "
                        "thousands separator, such as 1,234, splits into two cells: write 1234 or quote it."
                    )
                    % {"row": number}
                )
            if len(result) == MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(max)s rows of values. Split it into smaller files.")
                    % {"max": number_format(MAX_ROWS, force_grouping=True)}
                )
            value = texts["value"]
            if decimal_comma and re.fullmatch(r"[-+]?\d*,\d+", value):
                value = value.replace(",", ".")
            comment = texts.get("comment")
            if comment is not None and len(comment) > 1 and comment[0] == "'" and comment[1:].startswith(FORMULA_START):
                comment = comment[1:]  # the export's guard against spreadsheet formulas
            result.append(
                {"row": number, "kpi": texts["kpi"], "period": texts["period"], "value": value, "comment": comment}
            )
    except csv.Error as error:
        raise ImportFileError(_("The file is not a valid CSV file: %(error)s") % {"error": error}) from None
    if not result:
        raise ImportFileError(_("The file has no rows of values under its header row."))
    return result


def _columns(header: list) -> dict[str, int]:
    """Our column names and their positions; matched case-insensitively, others ignored."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = str(cell or "").strip().lower()
        if name in COLUMNS and name not in positions:
            positions[name] = index
    if missing := [name for name in REQUIRED if name not in positions]:
        raise ImportFileError(
            _("The first row must name the columns kpi, period and value (comment is optional). Missing: %(missing)s.")
            % {"missing": ", ".join(missing)}
        )
    return positions


def _cell(cells: list, index: int) -> str:
    return str(cells[index]).strip() if index < len(cells) and cells[index] is not None else ""


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
    errors = [RowError(row.row, message) for row in checked for message in row.errors]
    return checked, errors


def _check_row(row: ImportRow, kpis: dict[str, KPI], changeable: set[int], today: date) -> None:
    if row.comment is not None and len(row.comment) > COMMENT_MAX:
        row.errors.append(_("The comment is longer than %(max)d characters.") % {"max": COMMENT_MAX})
    if row.value_text:
        try:
            row.value = parse_value(row.value_text)
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


def parse_value(text: str) -> Decimal:
    """A number as written in a file, kept to the four decimals values are stored with."""
    cleaned = re.sub(r"\s", "", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(_("“%(text)s” is not a number.") % {"text": text})
    if value and value.adjusted() >= 16:
        raise ValueError(_("%(text)s is too large to be a value.") % {"text": text})
    return value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


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


class ImportFailed(Exception):
    """The write was refused as a whole (something changed since the rows were checked)."""


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


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("A .csv or .xlsx file of at most 2 MB and 5,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_TYPE}"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.rows = read_rows(upload)
        except ImportFileError as error:
            raise ValidationError(str(error)) from None
        return upload


@require_http_methods(["GET", "POST"])
def measurement_import(request: HttpRequest) -> HttpResponse:
    """Upload a file, see what it would change, and confirm: all rows are imported or none."""
    if request.method == "GET":
        return _render_import(request, form=ImportForm())
    if request.user.is_read_only:
        raise PermissionDenied(_("Your role may not enter KPI values."))
    today = timezone.localdate()
    if "confirm" in request.POST:
        return _confirm(request, today)
    form = ImportForm(data=request.POST, files=request.FILES)
    if not form.is_valid():
        return _render_import(request, form=form, status=422)
    checked, errors = validate_rows(form.rows, request.user, today)
    token = (
        None
        if errors
        else signing.dumps({"user": request.user.pk, "rows": form.rows}, salt=SIGNING_SALT, compress=True)
    )
    return _render_import(
        request, form=ImportForm(), checked=checked, errors=errors, token=token, status=422 if errors else 200
    )


def _confirm(request: HttpRequest, today: date) -> HttpResponse:
    try:
        payload = signing.loads(request.POST.get("rows", ""), salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:
        payload = None
    if not payload or payload.get("user") != request.user.pk:
        messages.error(request, _("This preview has expired. Upload the file again; nothing was imported."))
        return redirect("objectives:measurement_import")
    checked, errors = validate_rows(payload["rows"], request.user, today)
    if errors:
        messages.error(request, _("Something changed since the preview, so nothing was imported."))
        return _render_import(request, form=ImportForm(), checked=checked, errors=errors, status=422)
    try:
        count = import_rows(checked, request.user, today)
    except ImportFailed as failure:
        messages.error(request, _("Nothing was imported: %(reason)s") % {"reason": failure})
        return _render_import(request, form=ImportForm(), checked=checked, errors=[], status=422)
    messages.success(
        request, ngettext("Imported %(count)d value.", "Imported %(count)d values.", count) % {"count": count}
    )
    return redirect("objectives:kpi_list")


def _render_import(request, *, form, checked=None, errors=(), token=None, status=200) -> TemplateResponse:
    context = {
        "form": form,
        "checked": checked,
        "errors": list(errors),
        "error_rows": len({error.row for error in errors}),
        "token": token,
        "template_url": reverse("objectives:measurement_export")
        + "?"
        + urlencode({"mine": "true", "source": Source.MANUAL}),
        "max_rows": MAX_ROWS,
    }
    return TemplateResponse(request, "objectives/measurement_import.html", context, status=status)


@require_GET
def measurement_export(request: HttpRequest) -> HttpResponse:
    """The values of the KPIs the user may see, filtered by the query string (kpi, repeatable;
    owner; process; mine=true; source), as CSV or, with format=xlsx, as XLSX. One query for the
    values, however many."""
    kind = request.GET.get("format", "csv").lower()
    if kind not in FORMATS:
        raise BadRequest(_("The format must be csv or xlsx."))
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
