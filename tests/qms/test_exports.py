"""Table downloads open safely in a spreadsheet, whatever text the records hold."""

import csv
import io
from decimal import Decimal

import openpyxl

from qms.exports import table_download


def download(kind: str, rows: list[list]) -> bytes:
    response = table_download(header=["text", "number"], rows=rows, filename="t", kind=kind, sheet_title="T")
    return b"".join(response.streaming_content) if kind == "csv" else response.content


def test_formulas_stay_text_and_numbers_stay_numbers():
    rows = [["=HYPERLINK(1)", Decimal("97.5000")], ["plain", 3]]

    table = list(csv.reader(io.StringIO(download("csv", rows).decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(download("xlsx", rows))).active

    assert table[1:] == [["'=HYPERLINK(1)", "97.5"], ["plain", "3"]]
    assert (sheet["A2"].data_type, sheet["A2"].value, sheet["B2"].value) == ("s", "=HYPERLINK(1)", 97.5)


def test_control_characters_do_not_break_the_xlsx():
    sheet = openpyxl.load_workbook(io.BytesIO(download("xlsx", [["Line\x0bbreak\x00", 1]]))).active

    assert sheet["A2"].value == "Linebreak"
