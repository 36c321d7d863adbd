"""Reading an uploaded CSV or XLSX file into rows of text, within bounds: its size, what an XLSX
file unpacks to, and its number of rows. Numbers are read as written (decimal commas in files
separated by semicolons, percentages as shown in a workbook); nothing here knows what the rows
mean."""

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
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from qms.exports import FORMULA_START, plain_number

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024
# An XLSX file is a zip: refuse one that unpacks to far more than any sheet of 5,000 rows needs.
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
# A sheet's cells are read this far to the right: one cell in its last column (16,384) would
# otherwise make every row that wide. Far more than any import's columns.
MAX_COLUMNS = 100
# Lines of a file, blank or not: one cell in a sheet's last row would make a million to read.
MAX_LINES = 20_000
FOUR_PLACES = Decimal("0.0001")


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong format, too big, missing columns, too many rows."""


@dataclass(frozen=True)
class Columns:
    """The columns a file holds: their names as the first row writes them (any order and case,
    spaces or underscores alike), the ones it must have, other names people use for them, the
    ones holding numbers, and what a row is called in messages ("values")."""

    names: tuple[str, ...]
    required: tuple[str, ...]
    rows_of: str
    numbers: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        optional = [name for name in self.names if name not in self.required]
        return _("The first row must name the columns %(required)s (%(optional)s optional).") % {
            "required": ", ".join(self.required),
            "optional": ", ".join(optional) or "—",
        }


def read_rows(upload, columns: Columns, max_rows: int) -> list[dict]:
    """The data rows of an uploaded CSV or XLSX file as dicts of text by column name, with their
    row number in the file (the header is row 1); a column the file lacks is None in every row.
    Blank rows are skipped and columns other than ours ignored. Raises ImportFileError with a
    message for people."""
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
    return _rows_from_table(table, columns, max_rows, decimal_comma=decimal_comma)


def parse_number(text: str) -> Decimal:
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
        for cells in sheet.iter_rows(max_col=MAX_COLUMNS):
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


def _rows_from_table(table: Iterable[list], columns: Columns, max_rows: int, *, decimal_comma: bool) -> list[dict]:
    try:
        rows = iter(table)
        header = next(rows, None)
        if header is None:
            raise ImportFileError(_("The file is empty.") + " " + columns.describe())
        positions = _positions(header, columns)
        result = []
        for number, cells in enumerate(rows, start=2):
            if number > MAX_LINES:
                raise ImportFileError(
                    _(
                        "The file has more than %(max)s lines, blank ones included. Delete the empty rows below "
                        "the data, or split it into smaller files."
                    )
                    % {"max": number_format(MAX_LINES, force_grouping=True)}
                )
            texts = {name: _cell(cells, index) for name, index in positions.items()}
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
            if len(result) == max_rows:
                raise ImportFileError(
                    _("The file has more than %(max)s rows of %(things)s. Split it into smaller files.")
                    % {"max": number_format(max_rows, force_grouping=True), "things": columns.rows_of}
                )
            for name, text in texts.items():
                if name in columns.numbers and decimal_comma and re.fullmatch(r"[-+]?\d*,\d+", text):
                    texts[name] = text.replace(",", ".")
                elif name not in columns.numbers and text[:1] == "'" and text[1:].startswith(FORMULA_START):
                    texts[name] = text[1:]  # the export's guard against spreadsheet formulas
            result.append({"row": number, **{name: texts.get(name) for name in columns.names}})
    except csv.Error as error:
        raise ImportFileError(_("The file is not a valid CSV file: %(error)s") % {"error": error}) from None
    if not result:
        raise ImportFileError(
            _("The file has no rows of %(things)s under its header row.") % {"things": columns.rows_of}
        )
    return result


def _name(text) -> str:
    return " ".join(str(text or "").replace("_", " ").split()).lower()


def _positions(header: list, columns: Columns) -> dict[str, int]:
    """Our column names and their positions; matched case-insensitively, others ignored."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _name(cell)
        name = columns.aliases.get(name, name)
        if name in columns.names and name not in positions:
            positions[name] = index
    if missing := [name for name in columns.required if name not in positions]:
        raise ImportFileError(columns.describe() + " " + _("Missing: %(missing)s.") % {"missing": ", ".join(missing)})
    return positions


def _cell(cells: list, index: int) -> str:
    return str(cells[index]).strip() if index < len(cells) and cells[index] is not None else ""
