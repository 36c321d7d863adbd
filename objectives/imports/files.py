"""Reading an uploaded CSV or XLSX file into rows of text by column name. The file is read within
the bounds qms.imports checks before parsing (its size; a workbook's parts, unpacked size, lines
and cells). Numbers are read as written (decimal commas in files separated by semicolons,
percentages as shown in a workbook); nothing here knows what the rows mean."""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from qms.exports import FORMULA_START
from qms.imports import ImportFileError, Table, read_table, read_upload

__all__ = ["Columns", "ImportFileError", "open_table", "parse_number", "read_rows", "rows_of"]

FOUR_PLACES = Decimal("0.0001")


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
    return rows_of(open_table(upload), columns, max_rows)


def open_table(upload) -> Table:
    """The upload checked within the bounds of qms.imports, not yet parsed."""
    return read_table(read_upload(upload), getattr(upload, "name", "") or "")


def rows_of(table: Table, columns: Columns, max_rows: int) -> list[dict]:
    """The data rows of a table opened by open_table (see read_rows)."""
    return _rows_from_table(table.lines, columns, max_rows, decimal_comma=table.decimal_comma)


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


def _rows_from_table(table: Iterable[list], columns: Columns, max_rows: int, *, decimal_comma: bool) -> list[dict]:
    try:
        rows = iter(table)
        header = next(rows, None)
        if header is None:
            raise ImportFileError(_("The file is empty.") + " " + columns.describe())
        positions = _positions(header, columns)
        result = []
        for number, cells in enumerate(rows, start=2):
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
