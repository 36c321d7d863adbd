"""The shared import reader refuses files beyond its bounds before anything parses them: a workbook's
parts and what they unpack to, its first sheet's declared dimension, rows and cells; a CSV file's
lines and cells."""

import io
import time
import zipfile

import openpyxl
import pytest

from qms import imports

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Values" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def workbook_of(rows_xml: str, *, dimension: str = "A1", extra: dict[str, bytes] | None = None) -> bytes:
    """An .xlsx file written part by part, as a hostile one would be: the sheet's XML as given."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def row(number: int, *values) -> str:
    return f'<row r="{number}">' + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"


@pytest.fixture
def no_parsing(monkeypatch):
    """openpyxl may not be asked to read the file at all."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def read(content: bytes, name: str = "values.xlsx") -> list[list]:
    """The lines read, without the blank cells a sheet's lines are padded with."""
    lines = []
    for cells in imports.read_table(content, name).lines:
        while cells and cells[-1] == "":
            cells = cells[:-1]
        lines.append(cells)
    return lines


def test_a_workbook_written_by_hand_within_the_bounds_is_read():
    content = workbook_of(row(1, "kpi", "period", "value") + row(2, "KPI-001", "2026-10", "96"), dimension="A1:C2")

    assert read(content) == [["kpi", "period", "value"], ["KPI-001", "2026-10", "96"]]


def test_one_row_of_500000_cells_is_refused_fast_and_never_parsed(no_parsing):
    """The outside test's file: 55 KB holding one row of 500,000 cells took a web worker 11 s."""
    cells = "".join(f"<c><v>{n % 100}</v></c>" for n in range(500_000))
    content = workbook_of(f'<row r="1">{cells}</row>')
    assert len(content) < 200_000

    started = time.perf_counter()
    with pytest.raises(imports.ImportFileError):
        read(content)

    assert time.perf_counter() - started < 0.5


def test_a_row_wider_than_the_columns_is_refused_before_parsing(no_parsing, settings):
    settings.IMPORT_MAX_ZIP_RATIO = 100_000  # the row itself, not its compression, is refused
    content = workbook_of(row(1, *range(settings.IMPORT_MAX_COLUMNS + 1)))

    with pytest.raises(imports.ImportFileError, match="Line 1 has more than 100 cells"):
        read(content)


def test_more_cells_than_the_bound_are_refused_before_parsing(no_parsing, settings):
    settings.IMPORT_MAX_CELLS = 1000
    content = workbook_of("".join(row(n, "a", "b", "c", "d") for n in range(1, 300)), dimension="A1")

    with pytest.raises(imports.ImportFileError, match="more than 1,000 cells"):
        read(content)


@pytest.mark.parametrize(
    ("dimension", "message"),
    [("A1:C20001", "more than 20,000 lines"), ("A1:CV5000", "more than 200,000 cells")],
)
def test_a_declared_dimension_beyond_the_bounds_is_refused_before_parsing(no_parsing, dimension, message):
    content = workbook_of(row(1, "kpi", "period", "value"), dimension=dimension)

    with pytest.raises(imports.ImportFileError, match=message):
        read(content)


def test_a_row_numbered_past_the_lines_is_refused_before_parsing(no_parsing):
    content = workbook_of(row(1, "kpi") + row(20_001, "KPI-001"))

    with pytest.raises(imports.ImportFileError, match="more than 20,000 lines"):
        read(content)


def test_a_zip_bomb_member_is_refused_before_parsing(no_parsing):
    """A part that unpacks a thousandfold: 20 MB of nothing, in a file of a few KB."""
    content = workbook_of(row(1, "kpi"), extra={"xl/media/image1.png": b"\0" * (20 * 1024 * 1024)})
    assert len(content) < 100_000

    with pytest.raises(imports.ImportFileError, match="unpacks to more than an import may hold"):
        read(content)


def test_parts_unpacking_beyond_the_total_or_one_member_are_refused(no_parsing, settings):
    settings.IMPORT_MAX_ZIP_RATIO = 100_000
    settings.IMPORT_MAX_MEMBER_MB = 1
    content = workbook_of(row(1, "kpi"), extra={"xl/media/image1.png": b"\0" * (1024 * 1024 + 1)})

    with pytest.raises(imports.ImportFileError, match="unpacks to more than"):
        read(content)

    settings.IMPORT_MAX_MEMBER_MB, settings.IMPORT_MAX_UNPACKED_MB = 30, 1
    parts = {f"xl/media/image{n}.png": b"\0" * 300_000 for n in range(4)}

    with pytest.raises(imports.ImportFileError, match="unpacks to more than"):
        read(workbook_of(row(1, "kpi"), extra=parts))


def test_shared_strings_beyond_a_few_per_cell_are_refused_before_parsing(no_parsing, settings):
    """openpyxl reads the whole shared string table, even in read-only mode."""
    settings.IMPORT_MAX_CELLS = 1000
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "<si><t>x</t></si>" * 2000
        + "</sst>"
    )
    content = workbook_of(row(1, "kpi"), extra={"xl/sharedStrings.xml": strings.encode()})

    with pytest.raises(imports.ImportFileError, match="unpacks to more than an import may hold"):
        read(content)


def test_a_workbook_of_too_many_parts_is_refused(no_parsing, settings):
    settings.IMPORT_MAX_ZIP_MEMBERS = 10
    parts = {f"xl/media/image{n}.png": b"x" for n in range(10)}

    with pytest.raises(imports.ImportFileError, match="too many parts"):
        read(workbook_of(row(1, "kpi"), extra=parts))


def test_entity_declarations_are_refused(no_parsing):
    """The billion laughs: entities that expand into each other."""
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    content = workbook_of(row(1, "kpi"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"?>", b"?>" + bomb.encode(), 1)
            target.writestr(info, data)

    with pytest.raises(imports.ImportFileError, match="cannot be read as an Excel workbook"):
        read(buffer.getvalue())


def test_a_workbook_saved_by_openpyxl_is_read_as_before():
    workbook = openpyxl.Workbook()
    workbook.active.append(["kpi", "period", "value"])
    workbook.active.append(["KPI-001", "2026-10", 96.5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert read(buffer.getvalue()) == [["kpi", "period", "value"], ["KPI-001", "2026-10", "96.5"]]


# CSV
# ------------------------------------------------------------------------------


def test_csv_lines_beyond_the_bound_are_refused(settings):
    settings.IMPORT_MAX_LINES = 10
    content = "\n".join(["kpi,period,value"] + ["KPI-001,2026-10,96"] * 10).encode()

    with pytest.raises(imports.ImportFileError, match="more than 10 lines"):
        read(content, "values.csv")


def test_a_csv_line_wider_than_the_columns_is_refused():
    content = ("kpi,period,value\n" + "," * 100 + "\n").encode()

    with pytest.raises(imports.ImportFileError, match="Line 2 has more than 100 cells"):
        read(content, "values.csv")


def test_csv_cells_beyond_the_bound_are_refused(settings):
    settings.IMPORT_MAX_CELLS = 1000
    content = "\n".join(["kpi,period,value,comment"] + ["KPI-001,2026-10,96,ok"] * 300).encode()

    with pytest.raises(imports.ImportFileError, match="more than 1,000 cells"):
        read(content, "values.csv")


def test_a_csv_within_the_bounds_is_read():
    assert read(b"kpi;value\nKPI-001;96,5\n", "values.csv") == [["kpi", "value"], ["KPI-001", "96,5"]]
