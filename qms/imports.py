"""Reading an uploaded CSV or XLSX file into rows of cells, within bounds, before anything parses it.

An XLSX file is a zip of XML files, and a small one can hold a great deal: 55 KB of zip holding one
row of 500,000 cells kept a web worker busy for 11 s, and openpyxl reads a whole row before it hands
over any of it. So a workbook is taken apart in steps, each bounded by the settings (IMPORT_MAX_*):

1. The archive: how many members it has, what each unpacks to and all of them together, and how
   far each is compressed (a zip bomb unpacks a thousandfold).
2. The first sheet, found as openpyxl finds it, is read as a stream of XML events without building
   anything: its declared dimension, then every row and cell, refused as soon as it has a row past
   IMPORT_MAX_LINES, a row of more than IMPORT_MAX_COLUMNS cells or more than IMPORT_MAX_CELLS cells
   in all. The other XML parts (openpyxl reads the shared strings and styles whole) are counted the
   same way against a budget of a few elements per cell. Entity declarations are refused, so no
   entity expands.
3. Only then openpyxl reads it, in read-only mode with the values as last calculated, no wider than
   IMPORT_MAX_COLUMNS, and stops at the first line past IMPORT_MAX_LINES.

A CSV file gets the same bounds on its lines, cells per line and cells in all. Every refusal is an
ImportFileError with a message for people; nothing here knows what the rows mean.
"""

import csv
import io
import logging
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.parsers import expat

import openpyxl
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .exports import plain_number
from .filetypes import zip_bound_crossed

logger = logging.getLogger(__name__)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHUNK = 64 * 1024
# The elements a workbook's parts other than its sheet may hold together, per cell a sheet may hold:
# a shared string is two or three (<si><t>), and the styles and other parts are small beside them.
PART_ELEMENTS_PER_CELL = 3


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong format, too big, too many rows or cells."""


def max_file_bytes() -> int:
    return settings.IMPORT_MAX_FILE_KB * 1024


def max_file_size() -> str:
    """The largest file as people read it: "2 MB", "512 KB"."""
    kb = settings.IMPORT_MAX_FILE_KB
    if kb % 1024 == 0:
        return _("%(size)s MB") % {"size": number_format(kb // 1024)}
    return _("%(size)s KB") % {"size": number_format(kb, force_grouping=True)}


def file_too_big() -> str:
    return _("The file is larger than %(size)s. Split it into smaller files.") % {"size": max_file_size()}


def too_many_lines() -> str:
    return _(
        "The file has more than %(max)s lines, blank ones included. Delete the empty rows below the data, or split "
        "it into smaller files."
    ) % {"max": number_format(settings.IMPORT_MAX_LINES, force_grouping=True)}


def too_wide(line: int) -> str:
    return _(
        "Line %(line)d has more than %(max)s cells. Delete the cells to the right of the data, or save only the "
        "columns the import needs."
    ) % {"line": line, "max": number_format(settings.IMPORT_MAX_COLUMNS, force_grouping=True)}


def too_many_cells() -> str:
    return _("The file has more than %(max)s cells. Delete what the import does not need, or split it.") % {
        "max": number_format(settings.IMPORT_MAX_CELLS, force_grouping=True)
    }


def unreadable_workbook() -> str:
    return _("This file cannot be read as an Excel workbook. Save it as .xlsx or .csv.")


def workbook_too_large() -> str:
    return _("This workbook unpacks to more than an import may hold. Split it into smaller files.")


def read_upload(upload) -> bytes:
    """The upload's bytes, refused beyond IMPORT_MAX_FILE_KB without reading further."""
    if upload.size is not None and upload.size > max_file_bytes():
        raise ImportFileError(file_too_big())
    upload.seek(0)
    content = upload.read(max_file_bytes() + 1)
    if len(content) > max_file_bytes():
        raise ImportFileError(file_too_big())
    return content


@dataclass
class Table:
    """A file's cells, line by line (read only as they are asked for), whether its numbers use a
    decimal comma, and for a workbook how many lines its sheet has, known from its checks before it
    is parsed (None for a CSV file, which is cheap to read)."""

    lines: Iterator[list]
    decimal_comma: bool = False
    line_count: int | None = None


def read_table(content: bytes, name: str = "") -> Table:
    """The cells of a CSV file or of a workbook's first sheet. A workbook is checked whole before it
    is parsed; the lines of either are checked as they are read, so a consumer stops at the first
    bound crossed."""
    if content.startswith(b"PK\x03\x04"):
        return xlsx_table(content)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise ImportFileError(unreadable_workbook())
    lines, decimal_comma = csv_table(content)
    return Table(lines, decimal_comma)


# CSV
# ------------------------------------------------------------------------------


def csv_table(content: bytes) -> tuple[Iterator[list], bool]:
    """The CSV's cells, and whether its numbers use a decimal comma (files separated by semicolons,
    as spreadsheets save them where the comma is the decimal sign)."""
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
    return _bounded_csv(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), delimiter == ";"


def _bounded_csv(reader) -> Iterator[list]:
    cells = 0
    try:
        for line, row in enumerate(reader, start=1):
            if line > settings.IMPORT_MAX_LINES:
                raise ImportFileError(too_many_lines())
            if len(row) > settings.IMPORT_MAX_COLUMNS:
                raise ImportFileError(too_wide(line))
            cells += len(row)
            if cells > settings.IMPORT_MAX_CELLS:
                raise ImportFileError(too_many_cells())
            yield row
    except csv.Error as error:
        raise ImportFileError(_("The file is not a valid CSV file: %(error)s") % {"error": error}) from None


# XLSX
# ------------------------------------------------------------------------------


def xlsx_table(content: bytes) -> Table:
    """The cells of the workbook's first sheet, as text, once the archive and the sheet are within
    bounds (steps 1 and 2 of the module docstring run here, before the first line is asked for).
    Numbers shown as percentages are read as shown (95 %, not 0.95) and dates as ISO dates."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(unreadable_workbook()) from None
    with archive:
        check_archive(archive)
        sheet_path = first_sheet_path(archive)
        line_count, widest = check_sheet(archive, sheet_path)
        check_parts(archive, skip=sheet_path)
    width = max(1, min(widest, settings.IMPORT_MAX_COLUMNS))
    return Table(_xlsx_rows(content, sheet_path, width=width), line_count=line_count)


def check_archive(archive: zipfile.ZipFile) -> None:
    """Step 1: the members' number, their unpacked sizes (each and together) and compression, as
    the archive declares them (see qms.filetypes.zip_bound_crossed)."""
    crossed = zip_bound_crossed(
        archive.infolist(),
        max_members=settings.IMPORT_MAX_ZIP_MEMBERS,
        max_unpacked=max_unpacked_bytes(),
        max_member=settings.IMPORT_MAX_MEMBER_MB * 1024 * 1024,
        max_ratio=settings.IMPORT_MAX_ZIP_RATIO,
    )
    if crossed == "members":
        raise ImportFileError(_("This workbook holds too many parts to import. Save it again as a plain .xlsx file."))
    if crossed == "size":
        raise ImportFileError(workbook_too_large())


def max_unpacked_bytes() -> int:
    return settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024


def first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The member openpyxl reads as the first worksheet: the first sheet of the workbook part named
    in the package's relationships whose target exists and is not a chart sheet."""
    names = set(archive.namelist())
    try:
        package_rels = _relationships(archive, "_rels/.rels")
        workbook = next(
            (target for kind, target in package_rels.values() if kind.endswith("/officeDocument")), "xl/workbook.xml"
        )
        workbook_rels = _relationships(
            archive, posixpath.join(posixpath.dirname(workbook), "_rels", "") + posixpath.basename(workbook) + ".rels"
        )
        sheet_ids = _sheet_ids(archive, workbook)
    except (KeyError, expat.ExpatError, ImportFileError):
        raise ImportFileError(unreadable_workbook()) from None
    for sheet_id in sheet_ids:
        kind, target = workbook_rels.get(sheet_id, ("", ""))
        path = _resolve(posixpath.dirname(workbook), target)
        if path in names and "chartsheet" not in kind:
            return path
    raise ImportFileError(unreadable_workbook())


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(base, target))


def _relationships(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}

    def start(tag, attrs):
        if tag.rsplit(" ", 1)[-1] == "Relationship":
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""))

    _parse(archive, path, start)
    if path == "_rels/.rels":
        return {key: (kind, _resolve("", target)) for key, (kind, target) in found.items()}
    return found


def _sheet_ids(archive: zipfile.ZipFile, path: str) -> list[str]:
    ids: list[str] = []

    def start(tag, attrs):
        if tag == f"{MAIN_NS} sheet":
            ids.extend(value for key, value in attrs.items() if key.endswith(" id"))

    _parse(archive, path, start)
    return ids


def check_sheet(archive: zipfile.ZipFile, path: str) -> tuple[int, int]:
    """Step 2: the sheet as a stream of XML events, refused at its declared dimension or at the first
    row or cell past a bound; nothing of it is kept. Returns its number of lines (its last row's)
    and the column of its rightmost cell, so that openpyxl pads no row wider than the data goes."""
    max_lines, max_columns, max_cells = (
        settings.IMPORT_MAX_LINES,
        settings.IMPORT_MAX_COLUMNS,
        settings.IMPORT_MAX_CELLS,
    )
    state = {"line": 0, "in_row": 0, "column": 0, "cells": 0, "widest": 0}

    def start(tag, attrs):
        if tag == f"{MAIN_NS} c":
            state["in_row"] += 1
            state["cells"] += 1
            if state["in_row"] > max_columns:
                raise ImportFileError(too_wide(state["line"]))
            if state["cells"] > max_cells:
                raise ImportFileError(too_many_cells())
            letters = re.match(r"[A-Z]*", attrs.get("r", "")).group()
            # As openpyxl counts: a cell without a reference is the one right of the cell before it.
            state["column"] = _column_number(letters) if letters else state["column"] + 1
            state["widest"] = max(state["widest"], state["column"])
        elif tag == f"{MAIN_NS} row":
            line = _int(attrs.get("r")) or state["line"] + 1
            if line > max_lines:
                raise ImportFileError(too_many_lines())
            state["line"], state["in_row"], state["column"] = line, 0, 0
        elif tag == f"{MAIN_NS} dimension":
            _check_dimension(attrs.get("ref", ""))

    try:
        _parse(archive, path, start)
    except expat.ExpatError:
        raise ImportFileError(unreadable_workbook()) from None
    return state["line"], state["widest"]


def check_parts(archive: zipfile.ZipFile, *, skip: str) -> None:
    """Step 2 for the workbook's other XML parts, which openpyxl reads whole even in read-only mode
    (the shared strings, the styles): their elements together within a budget of a few per cell, and
    no entity declarations, counted as a stream and refused at the first element past the budget."""
    budget = PART_ELEMENTS_PER_CELL * settings.IMPORT_MAX_CELLS
    count = 0

    def start(tag, attrs):
        nonlocal count
        count += 1
        if count > budget:
            raise ImportFileError(workbook_too_large())

    for member in archive.infolist():
        if member.filename != skip and member.filename.lower().endswith((".xml", ".rels")):
            try:
                _parse(archive, member.filename, start)
            except expat.ExpatError:
                raise ImportFileError(unreadable_workbook()) from None


def _check_dimension(ref: str) -> None:
    """The range the sheet says it covers (A1:F5001): its last row within the lines, and its cells
    (counted no wider than the columns read) within the cells. Wider is allowed: cells beyond the
    columns an import reads are ignored, and each row's own cells are counted as they come."""
    match = re.fullmatch(r"\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})?\$?(\d+)?)?", ref.strip().upper())
    if not match:
        return
    first_row = int(match.group(2) or 1)
    last_row = int(match.group(4) or match.group(2) or 1)
    if last_row > settings.IMPORT_MAX_LINES:
        raise ImportFileError(too_many_lines())
    first_column = _column_number(match.group(1) or "A")
    last_column = _column_number(match.group(3) or match.group(1) or "A")
    width = min(max(last_column - first_column + 1, 1), settings.IMPORT_MAX_COLUMNS)
    if (last_row - first_row + 1) * width > settings.IMPORT_MAX_CELLS:
        raise ImportFileError(too_many_cells())


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _int(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _parse(archive: zipfile.ZipFile, path: str, start) -> None:
    """Feed a member to expat in chunks, calling `start(tag, attrs)` for each element; tags are
    "namespace name". A document type with entities is refused: a spreadsheet has none, and their
    expansion is how a small XML file grows without bound."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start

    def refuse_entities(*args):
        raise ImportFileError(unreadable_workbook())

    parser.EntityDeclHandler = refuse_entities
    parser.StartDoctypeDeclHandler = refuse_entities
    with archive.open(path) as member:
        while chunk := member.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _xlsx_rows(content: bytes, sheet_path: str, *, width: int) -> Iterator[list]:
    """Step 3: openpyxl's read-only reading of the sheet checked in step 2, `width` columns wide."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # a damaged or foreign file can fail in many ways inside openpyxl
        logger.info("Unreadable XLSX upload: %r", error)
        raise ImportFileError(unreadable_workbook()) from None
    try:
        sheets = workbook.worksheets
        if not sheets or getattr(sheets[0], "_worksheet_path", None) != sheet_path:
            raise ImportFileError(unreadable_workbook())  # not the sheet that was checked
        for line, cells in enumerate(sheets[0].iter_rows(max_col=width), start=1):
            if line > settings.IMPORT_MAX_LINES:
                raise ImportFileError(too_many_lines())
            yield [xlsx_text(cell) for cell in cells]
    except ImportFileError:
        raise
    except Exception as error:
        logger.info("Unreadable XLSX upload: %r", error)
        raise ImportFileError(unreadable_workbook()) from None
    finally:
        workbook.close()


def xlsx_text(cell) -> str:
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
