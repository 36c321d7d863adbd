"""Tables as CSV or XLSX downloads that are safe to open in a spreadsheet: text that looks like a
formula stays text (CSV: a leading apostrophe; XLSX: a text cell), numbers stay numbers."""

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

import openpyxl
from django.http import HttpResponse, StreamingHttpResponse
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def plain_number(value: Decimal) -> str:
    """97.5, not 97.5000; 1200, not 1.2E+3."""
    return f"{value.normalize():f}"


def table_download(
    *, header: list[str], rows: Iterable[Iterable], filename: str, kind: str, sheet_title: str, widths=()
) -> HttpResponse:
    """`rows` hold text, numbers or None; `kind` is csv (streamed) or xlsx; `filename` has no extension."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{kind}"'}
    if kind == "xlsx":
        return HttpResponse(_xlsx(header, rows, sheet_title, widths), content_type=XLSX_TYPE, headers=disposition)
    return StreamingHttpResponse(_csv(header, rows), content_type="text/csv; charset=utf-8", headers=disposition)


class _Echo:
    """A file that hands back what is written to it, for streaming csv.writer's lines."""

    def write(self, value: str) -> str:
        return value


def _csv(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheets open the file as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_csv_cell(value) for value in row])


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_number(value)
    text = str(value)
    return f"'{text}" if not isinstance(value, int | float) and text.startswith(FORMULA_START) else text


def _xlsx(header: list[str], rows: Iterable[Iterable], sheet_title: str, widths) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    for index, width in enumerate(widths):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, name, font=bold) for name in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, int | float):
        return value
    return _text_cell(sheet, str(value))


def _text_cell(sheet, text: str, font: Font | None = None) -> WriteOnlyCell:
    """A text cell that stays text: never read as a formula, and periods never turned into dates.
    Control characters, which XLSX cannot hold, are left out."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell
