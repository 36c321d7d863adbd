"""Bulk entry of KPI values by file: preview, all-or-nothing import through the service, row-level
errors, permissions, limits, and the export that re-imports as it is."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from objectives import services
from objectives.choices import Frequency, Source
from objectives.imports import files, flow
from objectives.imports import values as value_import
from objectives.models import KPI, Measurement
from qms import imports
from qms.exports import XLSX_TYPE
from tests.factories import KPIFactory, MeasurementFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 11, 24)
IMPORT = reverse("objectives:measurement_import")
EXPORT = reverse("objectives:measurement_export")
TEMPLATE = reverse("objectives:measurement_template")


def csv_file(*lines: str, name: str = "values.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="text/csv")


def xlsx_file(rows: list[list], name: str = "values.xlsx", percent_column: int | None = None) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if percent_column is not None:
        for cells in sheet.iter_rows(min_row=2, min_col=percent_column, max_col=percent_column):
            cells[0].number_format = "0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX_TYPE)


def preview(client, upload):
    return client.post(IMPORT, {"file": upload})


def confirm(client, response):
    token = response.context["token"]
    assert token, "the preview offers no confirmation"
    return client.post(IMPORT, {"rows": token, "confirm": "1"})


def values(kpi) -> dict[date, Decimal]:
    return dict(kpi.measurements.values_list("period_start", "value"))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def exported_rows(response) -> list[dict]:
    if response.streaming:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    else:
        text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# Preview
# ------------------------------------------------------------------------------


def test_csv_preview_shows_every_row_and_saves_nothing(client_for, owner):
    kpi = KPIFactory(owner=owner)
    weekly = KPIFactory(owner=owner, frequency=Frequency.WEEKLY, unit="ppm")
    MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D(91))

    response = preview(
        client_for(owner),
        csv_file(
            "KPI,Period,Value,Comment",
            f"{kpi.reference},2026-09,93.5,Recounted",
            f"{kpi.reference.lower()},2026-10,96,",
            f"{weekly.reference},2026-W40,120,",
        ),
    )

    assert response.status_code == 200
    checked = response.context["checked"]
    assert [(r.row, r.kpi, r.period.start, r.value) for r in checked] == [
        (2, kpi, date(2026, 9, 1), D("93.5")),
        (3, kpi, date(2026, 10, 1), D(96)),
        (4, weekly, date(2026, 9, 28), D(120)),
    ]
    assert [r.change for r in checked] == ["changed", "new", "new"]
    assert response.context["errors"] == []
    content = response.content.decode()
    assert "Import 3 values" in content
    assert "Replaces the value now" in content
    assert values(kpi) == {date(2026, 9, 1): D(91)}  # nothing written yet


def test_xlsx_preview_reads_numbers_dates_and_percentages_as_shown(client_for, owner):
    kpi = KPIFactory(owner=owner)
    yearly = KPIFactory(owner=owner, frequency=Frequency.YEARLY)

    response = preview(
        client_for(owner),
        xlsx_file(
            [
                ["Value", "kpi", "PERIOD", "Notes"],  # any order and case; unknown columns ignored
                [0.955, kpi.reference, "2026-10", "not read"],
                [None, None, None, None],  # blank rows are skipped
                [0.9, kpi.reference, datetime(2026, 9, 1), None],  # Excel turns 2026-09 into a date
                [0.5, yearly.reference, 2025, None],
            ],
            percent_column=1,
        ),
    )

    assert response.status_code == 200
    rows = [(r.row, r.kpi, r.period.start, r.value, r.comment) for r in response.context["checked"]]
    assert rows == [
        (2, kpi, date(2026, 10, 1), D("95.5"), None),
        (4, kpi, date(2026, 9, 1), D(90), None),
        (5, yearly, date(2025, 1, 1), D(50), None),
    ]


def test_periods_may_be_written_as_the_app_shows_them(client_for, owner):
    monthly = KPIFactory(owner=owner)
    quarterly = KPIFactory(owner=owner, frequency=Frequency.QUARTERLY)
    weekly = KPIFactory(owner=owner, frequency=Frequency.WEEKLY)

    response = preview(
        client_for(owner),
        csv_file(
            "kpi,period,value",
            f"{monthly.reference},Sep 2026,96",
            f"{monthly.reference},october 2026,96",
            f"{quarterly.reference},Q3 2026,96",
            f'{weekly.reference},"Week 38, 2026",96',
            f"{weekly.reference},W39 2026,96",
        ),
    )

    assert response.status_code == 200, response.context["errors"]
    assert [r.period.label for r in response.context["checked"]] == [
        "Sep 2026", "Oct 2026", "Q3 2026", "Week 38, 2026", "Week 39, 2026",
    ]  # fmt: skip


def test_semicolon_csv_takes_decimal_commas(client_for, owner):
    kpi = KPIFactory(owner=owner)

    response = preview(client_for(owner), csv_file("kpi;period;value", f"{kpi.reference};2026-10;96,5"))

    assert response.status_code == 200
    assert response.context["checked"][0].value == D("96.5")


# Row errors: one bad row imports nothing
# ------------------------------------------------------------------------------


def test_one_bad_row_imports_nothing_and_names_the_row_and_reason(client_for, owner):
    kpi = KPIFactory(owner=owner)

    response = preview(
        client_for(owner),
        csv_file(
            "kpi,period,value",
            f"{kpi.reference},2026-09,96",
            f"{kpi.reference},2026-10,ninety",
            f"{kpi.reference},2026-08,97",
        ),
    )

    assert response.status_code == 422
    assert response.context["token"] is None  # no way to confirm
    content = response.content.decode()
    assert "Row 3: “ninety” is not a number." in content
    assert "nothing will be imported" in content
    assert [str(e) for e in response.context["errors"]] == ["Row 3: “ninety” is not a number."]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("KPI-999,2026-10,96", "There is no KPI KPI-999."),
        ("{other},2026-10,96", "You may not enter values of"),
        ("{calculated},2026-10,96", "is calculated; its values are not entered."),
        ("{kpi},2026-Q3,96", "is not a monthly period"),
        ("{kpi},October,96", "“October” is not a period"),
        ("{kpi},2026-12,96", "has not started yet: values go from Jan 2020 up to Nov 2026."),
        ("{kpi},1950-06,96", "Jun 1950 is before Jan 2020, the period the KPI is measured from"),
        ("{kpi},2026-10,abc", "“abc” is not a number."),
        ("{kpi},2026-10,101", "101 is above the highest possible value, 100."),
        ("{kpi},2026-10,-1", "-1 is below the lowest possible value, 0."),
        ("{kpi},2026-10,", "The value is missing."),
        ("{kpi},,96", "The period is missing."),
        (",2026-10,96", "The KPI is missing."),
        ("{kpi},2026-09-15,96", "is already in row 2."),  # a date inside the period of row 2
    ],
)
def test_row_errors_say_why(owner, line, reason):
    kpi = KPIFactory(owner=owner, valid_min=D(0), valid_max=D(100))
    other = KPIFactory()
    calculated = KPIFactory(owner=owner, source=Source.FORMULA, formula=f"{kpi.reference} * 2")
    rows = files.read_rows(
        csv_file(
            "kpi,period,value",
            f"{kpi.reference},2026-09,96",
            line.format(kpi=kpi.reference, other=other.reference, calculated=calculated.reference),
        ),
        value_import.COLUMNS,
        flow.MAX_ROWS,
    )

    checked, errors = value_import.validate_rows(rows, owner, TODAY)

    assert checked[0].ok
    assert len(errors) == 1
    assert errors[0].row == 3
    assert reason in errors[0].message


def test_validation_costs_the_same_queries_for_5_as_for_50_rows(owner, django_assert_max_num_queries):
    kpis = KPIFactory.create_batch(50, owner=owner)
    MeasurementFactory(kpi=kpis[0], period_start=date(2026, 10, 1))
    rows = [
        {"row": i + 2, "kpi": k.reference, "period": "2026-10", "value": "96", "comment": ""}
        for i, k in enumerate(kpis)
    ]

    with django_assert_max_num_queries(10) as few:
        value_import.validate_rows(rows[:5], owner, TODAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        checked, errors = value_import.validate_rows(rows, owner, TODAY)

    assert not errors
    assert checked[0].previous == (D(96), "")


# File-level errors and limits
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (csv_file("reference,when,amount", "KPI-001,2026-10,1"), "Missing: kpi, period, value."),
        (csv_file("kpi,period,value"), "no rows of values"),
        (csv_file(""), "empty"),
        (SimpleUploadedFile("values.xlsx", b"not a workbook"), "cannot be read as an Excel workbook"),
        (SimpleUploadedFile("values.csv", b"kpi,period,value\x00\x01"), "not a CSV file"),
        (csv_file("kpi,period,value", "KPI-001,2026-10,1,234"), "Row 2 has more cells than the first row names"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(client_for, owner, upload, message):
    response = preview(client_for(owner), upload)

    assert response.status_code == 422
    assert message in response.content.decode()


def test_files_over_the_size_limit_are_refused(client_for, owner, settings):
    settings.IMPORT_MAX_FILE_KB = 1
    kpi = KPIFactory(owner=owner)

    response = preview(client_for(owner), csv_file("kpi,period,value", *[f"{kpi.reference},2026-10,96"] * 100))

    assert response.status_code == 422
    assert "The file is larger than" in response.content.decode()


def test_files_over_the_row_limit_are_refused(client_for, owner, monkeypatch):
    monkeypatch.setattr(value_import.ValueImport, "max_rows", 3)
    kpi = KPIFactory(owner=owner)
    lines = [f"{kpi.reference},2026-0{n},96" for n in range(1, 5)]

    response = preview(client_for(owner), csv_file("kpi,period,value", *lines))

    assert response.status_code == 422
    assert "The file has more than 3 rows of values." in response.content.decode()


def test_a_workbook_as_wide_as_a_sheet_goes_is_read_only_as_wide_as_an_import_needs(owner, monkeypatch, settings):
    """One cell in a sheet's last column (16,384) makes the reader fill every row out to it: a small
    file could keep a web worker busy for minutes."""
    kpi = KPIFactory(owner=owner)
    upload = xlsx_file([["kpi", "period", "value"], *[[kpi.reference, f"2026-{m:02d}", 96] for m in range(1, 11)]])
    workbook = openpyxl.load_workbook(upload)
    workbook.active.cell(row=1, column=16384, value="far right")
    buffer = io.BytesIO()
    workbook.save(buffer)
    cells_read = 0
    as_text = imports.xlsx_text

    def counting(cell):
        nonlocal cells_read
        cells_read += 1
        return as_text(cell)

    monkeypatch.setattr(imports, "xlsx_text", counting)
    rows = files.read_rows(SimpleUploadedFile("wide.xlsx", buffer.getvalue()), value_import.COLUMNS, 5000)

    assert len(rows) == 10
    assert cells_read <= 11 * settings.IMPORT_MAX_COLUMNS


def test_a_file_of_far_more_lines_than_rows_is_refused(owner):
    """A cell in a sheet's last row makes a million blank rows to read before it."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["kpi", "period", "value"])
    workbook.active.cell(row=1_048_576, column=1, value="KPI-001")
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(files.ImportFileError, match="more than 20,000 lines"):
        files.read_rows(SimpleUploadedFile("tall.xlsx", buffer.getvalue()), value_import.COLUMNS, 5000)


# Confirming
# ------------------------------------------------------------------------------


def test_confirm_writes_every_value_with_history_and_who_entered_it(client_for, owner, quality):
    kpi = KPIFactory(owner=owner)
    theirs = KPIFactory(owner=UserFactory())
    MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D(91), comment="First count", entered_by=owner)
    client = client_for(quality)  # quality managers enter values of any KPI
    response = preview(
        client,
        csv_file(
            "kpi,period,value,comment",
            f"{kpi.reference},2026-09,93,Recounted",
            f"{kpi.reference},2026-10,96,",
            f"{theirs.reference},2026-10,80,Late deliveries",
        ),
    )

    done = confirm(client, response)

    assert done.status_code == 302
    assert done.url == reverse("objectives:kpi_list")
    assert messages_of(done) == ["Imported 3 values."]
    assert values(kpi) == {date(2026, 9, 1): D(93), date(2026, 10, 1): D(96)}
    assert values(theirs) == {date(2026, 10, 1): D(80)}
    assert set(Measurement.objects.values_list("entered_by", flat=True)) == {quality.pk}
    corrected = kpi.measurements.get(period_start=date(2026, 9, 1))
    history = list(corrected.history.order_by("history_date"))
    assert [(h.value, h.comment) for h in history] == [(D(91), "First count"), (D(93), "Recounted")]
    assert history[-1].history_user == quality
    kpi.refresh_from_db()
    assert (kpi.latest_period, kpi.latest_value) == (date(2026, 10, 1), D(96))


def test_without_a_comment_column_existing_comments_are_kept(client_for, owner):
    kpi = KPIFactory(owner=owner)
    MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1), value=D(91), comment="Audited")
    client = client_for(owner)

    confirm(client, preview(client, csv_file("kpi,period,value", f"{kpi.reference},2026-09,92")))

    assert kpi.measurements.get().comment == "Audited"


def test_confirm_recalculates_the_kpis_calculated_from_the_values(
    client_for, owner, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(owner=owner)
    doubled = KPIFactory(source=Source.FORMULA, formula=f"{kpi.reference} * 2", target=D(150), warning=None)
    client = client_for(owner)
    response = preview(client, csv_file("kpi,period,value", f"{kpi.reference},2026-10,90"))

    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, response)

    assert values(doubled) == {date(2026, 10, 1): D(180)}


def test_confirm_checks_again_and_imports_nothing_when_something_changed(client_for, owner):
    kept, lost = KPIFactory(owner=owner), KPIFactory(owner=owner)
    client = client_for(owner)
    response = preview(
        client, csv_file("kpi,period,value", f"{kept.reference},2026-10,96", f"{lost.reference},2026-10,96")
    )
    lost.owner = UserFactory()  # handed over between preview and confirmation
    lost.save()

    again = confirm(client, response)

    assert again.status_code == 422
    assert "Row 3: You may not enter values of" in again.content.decode()
    assert "nothing was imported" in " ".join(messages_of(again))
    assert not Measurement.objects.exists()


def test_a_failure_while_writing_rolls_back_the_rows_already_written(client_for, owner, monkeypatch):
    kpi = KPIFactory(owner=owner)
    client = client_for(owner)
    response = preview(
        client, csv_file("kpi,period,value", f"{kpi.reference},2026-09,96", f"{kpi.reference},2026-10,97")
    )

    def fail_after_writing(*args, **kwargs):
        assert Measurement.objects.count() == 2  # both rows are written when this runs
        raise ValidationError({"value": "The database said no."})

    monkeypatch.setattr(services, "kpi_refresh_statuses", fail_after_writing)

    again = confirm(client, response)

    assert again.status_code == 422
    assert "Nothing was imported: The database said no." in " ".join(messages_of(again))
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("tamper", ["changed", "other user"])
def test_a_tampered_or_foreign_preview_is_refused(client_for, owner, outsider, tamper):
    kpi = KPIFactory(owner=owner)
    kpi.deputies.add(outsider)
    response = preview(client_for(owner), csv_file("kpi,period,value", f"{kpi.reference},2026-10,96"))
    token = response.context["token"]
    client = client_for(owner)
    if tamper == "changed":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    else:
        client = client_for(outsider)

    refused = client.post(IMPORT, {"rows": token, "confirm": "1"})

    assert refused.status_code == 302
    assert refused.url == IMPORT
    assert "This preview has expired" in messages_of(refused)[0]
    assert not Measurement.objects.exists()


# Permissions
# ------------------------------------------------------------------------------


def test_a_kpi_the_user_may_not_change_is_a_row_error(client_for, owner, outsider):
    kpi = KPIFactory(owner=owner)

    response = preview(client_for(outsider), csv_file("kpi,period,value", f"{kpi.reference},2026-10,96"))

    assert response.status_code == 422
    assert f"Row 2: You may not enter values of {kpi.reference}" in response.content.decode()


def test_a_deputy_may_import_values_of_the_kpis_they_deputise_for(client_for, owner, outsider):
    kpi = KPIFactory(owner=owner)
    kpi.deputies.add(outsider)
    client = client_for(outsider)

    confirm(client, preview(client, csv_file("kpi,period,value", f"{kpi.reference},2026-10,96")))

    assert kpi.measurements.get().entered_by == outsider


def test_viewers_may_not_import(client_for, viewer):
    kpi = KPIFactory(owner=viewer)
    client = client_for(viewer)

    page = client.get(IMPORT)
    upload = preview(client, csv_file("kpi,period,value", f"{kpi.reference},2026-10,96"))

    assert page.status_code == 200
    assert 'type="file"' not in page.content.decode()
    assert upload.status_code == 403
    assert not Measurement.objects.exists()


def test_the_upload_page_explains_the_columns_and_links_the_template(client_for, owner):
    response = client_for(owner).get(IMPORT)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in content
    assert "<code>period</code>" in content
    assert f'href="{TEMPLATE}"' in content and f'href="{TEMPLATE}?format=xlsx"' in content


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_template_is_the_columns_and_an_example_row_not_past_values(client_for, owner, kind):
    kpi = KPIFactory(owner=owner)
    MeasurementFactory(kpi=kpi, period_start=kpi.due_period().previous().start, value=D(91))
    KPIFactory(owner=owner, source=Source.FORMULA, formula=f"{kpi.reference} * 2")  # not entered by hand
    services.kpi_refresh_statuses(KPI.objects.all())

    response = client_for(owner).get(f"{TEMPLATE}?format={kind}")

    if kind == "csv":
        read = exported_rows(response)
        header, rows = list(read[0]), [list(row.values()) for row in read]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        header, *rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert header == ["kpi", "period", "value", "comment"]
    assert rows == [[kpi.reference, kpi.due_period().label, "", "Example: type the value, or delete this row"]]
    assert "attachment" in response["Content-Disposition"] and "template" in response["Content-Disposition"]


def test_the_template_imported_as_it_is_imports_nothing(client_for, owner):
    KPIFactory(owner=owner)
    client = client_for(owner)
    template = b"".join(client.get(TEMPLATE).streaming_content)

    response = preview(client, SimpleUploadedFile("template.csv", template))

    assert response.status_code == 422
    assert "Row 2: The value is missing." in response.content.decode()


# Export
# ------------------------------------------------------------------------------


def test_export_holds_exactly_the_values_of_the_filtered_kpis(client_for, owner, quality):
    process = ProcessFactory()
    mine = KPIFactory(owner=owner, processes=[process], name="On-time delivery", unit="%")
    also_mine = KPIFactory(owner=owner)
    theirs = KPIFactory(processes=[process])
    for kpi in (mine, also_mine, theirs):
        for month in (9, 10):
            MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1), value=D("90.5") + month)
    client = client_for(owner)

    def refs(query: str) -> list[tuple[str, str, str]]:
        return [(r["kpi"], r["period"], r["value"]) for r in exported_rows(client.get(f"{EXPORT}?{query}"))]

    assert refs("mine=true") == [
        (mine.reference, "2026-09", "99.5"),
        (mine.reference, "2026-10", "100.5"),
        (also_mine.reference, "2026-09", "99.5"),
        (also_mine.reference, "2026-10", "100.5"),
    ]
    assert {r[0] for r in refs(f"process={process.pk}")} == {mine.reference, theirs.reference}
    assert {r[0] for r in refs(f"process={process.pk}&mine=true")} == {mine.reference}
    assert {r[0] for r in refs(f"kpi={theirs.reference}&kpi={also_mine.reference.lower()}")} == {
        also_mine.reference,
        theirs.reference,
    }
    assert {r[0] for r in refs(f"owner={theirs.owner_id}")} == {theirs.reference}
    assert len(refs("")) == 6  # everyone signed in may see every KPI
    first = exported_rows(client.get(f"{EXPORT}?kpi={mine.reference}"))[0]
    assert first == {
        "kpi": mine.reference,
        "period": "2026-09",
        "value": "99.5",
        "comment": "",
        "kpi name": "On-time delivery",
        "unit": "%",
    }


def test_export_refuses_bad_filters(client_for, owner):
    client = client_for(owner)

    assert client.get(f"{EXPORT}?owner=me").status_code == 400
    assert client.get(f"{EXPORT}?format=pdf").status_code == 400


def test_export_as_xlsx(client_for, owner):
    kpi = KPIFactory(owner=owner, frequency=Frequency.QUARTERLY)
    MeasurementFactory(kpi=kpi, period_start=date(2026, 7, 1), value=D("12.25"), comment="=cmd|' /C calc'!A0")

    response = client_for(owner).get(f"{EXPORT}?mine=true&format=xlsx")

    assert response["Content-Type"] == XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["kpi", "period", "value", "comment", "kpi name", "unit"],
        [kpi.reference, "2026-Q3", 12.25, "=cmd|' /C calc'!A0", kpi.name, "%"],
    ]
    assert sheet["D2"].data_type == "s"  # text, never a formula


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(client_for, owner, kind):
    monthly = KPIFactory(owner=owner)
    weekly = KPIFactory(owner=owner, frequency=Frequency.WEEKLY)
    comments = ["", "Counted twice, 2nd count kept", '=HYPERLINK("http://x")', "-5 returns; see NCR-4"]
    for n, comment in enumerate(comments, start=1):
        MeasurementFactory(kpi=monthly, period_start=date(2026, n, 1), value=D(f"90.{n}333"), comment=comment)
        MeasurementFactory(kpi=weekly, period_start=date(2026, 1, 5) + timedelta(weeks=n), value=D(n * 1000))
    before = sorted(Measurement.objects.values_list("kpi", "period_start", "value", "comment"))
    client = client_for(owner)
    exported = client.get(f"{EXPORT}?mine=true&format={kind}")
    content = b"".join(exported.streaming_content) if exported.streaming else exported.content

    response = preview(client, SimpleUploadedFile(f"export.{kind}", content))

    assert response.status_code == 200, response.context["errors"]
    assert [r.change for r in response.context["checked"]] == ["same"] * 8
    done = confirm(client, response)
    assert messages_of(done) == ["Imported 8 values."]
    assert sorted(Measurement.objects.values_list("kpi", "period_start", "value", "comment")) == before


def test_export_costs_the_same_queries_for_5_as_for_50_kpis(client_for, owner, django_assert_max_num_queries):
    def build(n: int) -> None:
        for kpi in KPIFactory.create_batch(n, owner=owner, processes=[ProcessFactory()]):
            MeasurementFactory(kpi=kpi, period_start=date(2026, 10, 1))
            MeasurementFactory(kpi=kpi, period_start=date(2026, 9, 1))

    def export(kind: str) -> list:
        response = client.get(f"{EXPORT}?mine=true&format={kind}")
        if kind == "csv":
            return exported_rows(response)  # the rows are read while the response streams
        return list(openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(min_row=2))

    client = client_for(owner)
    build(5)
    few = {}
    for kind in ("csv", "xlsx"):
        with django_assert_max_num_queries(8) as few[kind]:
            assert len(export(kind)) == 10
    build(45)
    for kind in ("csv", "xlsx"):
        with django_assert_max_num_queries(len(few[kind].captured_queries)):
            assert len(export(kind)) == 100
