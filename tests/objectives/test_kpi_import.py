"""Creating and updating KPI definitions by file: the template, the preview of what each row
creates or changes, all-or-nothing confirmation through full_clean with history, row-level
errors and permissions, and the limits shared with the value import."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from objectives.choices import Direction, Frequency, Nature, ObjectiveStatus, Source
from objectives.imports import kpis as kpi_import
from objectives.models import KPI
from processes.choices import ProcessStatus
from qms.choices import Role
from tests.factories import KPIFactory, MeasurementFactory, ObjectiveFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
IMPORT = reverse("objectives:kpi_import")
TEMPLATE = reverse("objectives:kpi_template")
HEADER = (
    "reference,name,unit,measures,direction,target,target upper,warning,frequency,lowest,highest,owner,processes,"
    "objective"
)


def csv_file(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("kpis.csv", "\n".join(lines).encode(), content_type="text/csv")


def preview(client, *lines: str):
    return client.post(IMPORT, {"file": csv_file(*lines)})


def confirm(client, response):
    token = response.context["token"]
    assert token, [str(e) for e in response.context["errors"]]
    return client.post(IMPORT, {"rows": token, "confirm": "1"})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_new_kpi_and_an_update_are_previewed_then_imported_with_history(client_for, owner, quality):
    production, inspection = ProcessFactory(), ProcessFactory()
    objective = ObjectiveFactory(owner=owner)
    planner = UserFactory(username="planner", email="Planner@Example.com")
    existing = KPIFactory(owner=owner, name="First-pass yield", target=D(95), warning=D(90), processes=[production])
    client = client_for(owner)

    response = preview(
        client,
        HEADER,
        f",Scrap rate,%,outcome,lower,1.5,,2.5,monthly,0,100,planner@example.com,"
        f'"{production.reference}; {inspection.reference}",{objective.reference}',
        f"{existing.reference.lower()},First-pass yield,%,Outcome,Higher is better,97,,92,Monthly,0,100,,"
        f"{production.reference},",
    )

    assert response.status_code == 200, [str(e) for e in response.context["errors"]]
    new, update = response.context["checked"]
    assert (new.change, update.change) == ("new", "changed")
    assert update.changes == [
        ("target", "95", "97"),
        ("warning threshold", "90", "92"),
        ("lowest possible value", "—", "0"),
        ("highest possible value", "—", "100"),
    ]
    content = response.content.decode()
    assert "New KPI" in content and "Updates the KPI" in content and "Import 2 KPIs" in content
    assert KPI.objects.count() == 1  # nothing written yet

    done = confirm(client, response)

    assert done.status_code == 302 and done.url == reverse("objectives:kpi_list")
    assert messages_of(done) == ["Imported 2 KPIs."]
    scrap = KPI.objects.get(name="Scrap rate")
    assert (scrap.unit, scrap.nature, scrap.direction, scrap.target, scrap.warning, scrap.frequency) == (
        "%", Nature.OUTCOME, Direction.LOWER, D("1.5"), D("2.5"), Frequency.MONTHLY,
    )  # fmt: skip
    assert (scrap.valid_min, scrap.valid_max, scrap.owner, scrap.source) == (0, 100, planner, Source.MANUAL)
    assert set(scrap.processes.all()) == {production, inspection}
    assert list(scrap.objectives.all()) == [objective]
    assert scrap.reference.startswith("KPI-") and scrap.created_by == owner
    created = scrap.history.earliest()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        owner,
        "Imported from a file",
    )
    existing.refresh_from_db()
    assert (existing.target, existing.warning, existing.valid_max, existing.owner) == (D(97), D(92), 100, owner)
    latest = existing.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (owner, "Imported from a file")
    history = client.get(existing.get_history_url()).content.decode()
    assert "Imported from a file" in history


def test_without_a_column_a_kpi_keeps_what_it_has_and_an_unchanged_row_writes_nothing(client_for, owner):
    process = ProcessFactory()
    kpi = KPIFactory(owner=owner, name="Scrap rate", unit="%", processes=[process], valid_max=D(100))
    versions = kpi.history.count()
    client = client_for(owner)

    response = preview(
        client, "reference,name,direction,target,warning,frequency", f"{kpi.reference},Scrap rate,higher,95,90,monthly"
    )

    assert response.status_code == 200
    assert response.context["checked"][0].change == "same"
    assert "Unchanged" in response.content.decode()
    confirm(client, response)
    kpi.refresh_from_db()
    assert (kpi.unit, kpi.valid_max, list(kpi.processes.all())) == ("%", 100, [process])
    assert kpi.history.count() == versions


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("KPI-999,Scrap,,,lower,1,,,monthly,,,,,", "There is no KPI KPI-999. Leave the reference blank for a new KPI."),
        ("{other},Scrap,,,lower,1,,,monthly,,,,,", "You may not change {other}: only its owner, deputies and quality"),
        ("{kpi},Scrap,,,lower,1,,,monthly,,,,,", "{kpi} is already in row 2."),
        (",,,,lower,1,,,monthly,,,,,", "The name is missing."),
        (
            ",Scrap,,,sideways,1,,,monthly,,,,,",
            "“sideways” is not a value of the direction column: write higher, lower or range.",
        ),
        (",Scrap,,,lower,,,,monthly,,,,,", "The target is missing."),
        (",Scrap,,,lower,1,,,fortnightly,,,,,", "write weekly, monthly, quarterly or yearly."),
        (",Scrap,,sometimes,lower,1,,,monthly,,,,,", "“sometimes” is not a value of the measures column"),
        (",Scrap,,,lower,one,,,monthly,,,,,", "“one” is not a number."),
        (
            ",Scrap,,,higher,95,,97,monthly,,,,,",
            "When higher is better, the warning threshold must be at or below the target.",
        ),
        (",Stock cover,,,range,10,,,monthly,,,,,", "A range needs an upper end at or above its lower end"),
        (",Scrap,,,lower,1,,,monthly,5,2,,,", "The highest possible value must be above the lowest."),
        (",Scrap,,,lower,1,,,monthly,,,nobody,,", "There is no active person with the username or e-mail “nobody”."),
        (",Scrap,,,lower,1,,,monthly,,,,PRC-999,", "There is no process PRC-999."),
        (",Scrap,,,lower,1,,,monthly,,,,{retired},", "{retired} is retired: link a process in use."),
        (",Scrap,,,lower,1,,,monthly,,,,,OBJ-999", "There is no objective OBJ-999."),
        (
            ",Scrap,,,lower,1,,,monthly,,,,,{theirs}",
            "Only the owner, deputies and quality managers of {theirs} link KPIs",
        ),
        (",Scrap,,,lower,1,,,monthly,,,,,{achieved}", "{achieved} is no longer active and takes no new KPIs."),
        ("{measured},Scrap,,,higher,95,,90,weekly,,,,,", "The frequency cannot change once the KPI has values."),
        (",{long},,,lower,1,,,monthly,,,,,", "Name: Ensure this value has at most 150 characters"),
    ],
)
def test_row_errors_say_why_and_nothing_is_imported(client_for, owner, line, reason):
    kpi = KPIFactory(owner=owner)
    measured = KPIFactory(owner=owner)
    MeasurementFactory(kpi=measured)
    other = KPIFactory()
    retired = ProcessFactory(status=ProcessStatus.RETIRED)
    theirs = ObjectiveFactory()
    achieved = ObjectiveFactory(owner=owner, status=ObjectiveStatus.ACHIEVED)
    names = {
        "kpi": kpi.reference, "measured": measured.reference, "other": other.reference, "retired": retired.reference,
        "theirs": theirs.reference,
        "achieved": achieved.reference, "long": "x" * 151,
    }  # fmt: skip

    response = preview(
        client_for(owner), HEADER, f"{kpi.reference},Scrap,,,higher,95,,90,monthly,,,,,", line.format(**names)
    )

    assert response.status_code == 422
    assert response.context["token"] is None
    errors = [str(e) for e in response.context["errors"]]
    assert len(errors) == 1, errors
    assert errors[0].startswith("Row 3: ") and reason.format(**names) in errors[0], errors
    assert KPI.objects.count() == 3


def test_only_those_who_may_create_kpis_import_them_and_updates_need_the_right_to_change(
    client_for, owner, outsider, viewer
):
    kpi = KPIFactory(owner=owner, name="Scrap rate")
    line = f"{kpi.reference},Scrap rate,,,higher,97,,,monthly,,,,,"

    page = client_for(viewer).get(IMPORT)
    refused = preview(client_for(viewer), HEADER, ",New one,,,higher,1,,,monthly,,,,,")
    theirs = preview(client_for(outsider), HEADER, ",New one,,,higher,1,,,monthly,,,,,", line)

    assert page.status_code == 200 and 'type="file"' not in page.content.decode()
    assert "may view KPIs but not create them" in page.content.decode()
    assert refused.status_code == 403
    assert theirs.status_code == 422
    assert [str(e) for e in theirs.context["errors"]] == [
        f"Row 3: You may not change {kpi.reference}: only its owner, deputies and quality managers may."
    ]
    assert theirs.context["checked"][0].ok  # the new KPI alone would be fine
    assert KPI.objects.count() == 1


def test_a_kpi_changed_after_the_preview_is_shown_again_before_anything_is_imported(client_for, owner, quality):
    kpi = KPIFactory(owner=owner, name="Scrap rate")
    client = client_for(owner)
    response = preview(client, HEADER, f"{kpi.reference},Scrap rate,,,higher,97,,,monthly,,,,,")
    kpi.warning = D(80)  # someone else edits it meanwhile
    kpi.save()

    again = confirm(client, response)

    assert again.status_code == 409
    assert "Something changed since the preview" in " ".join(messages_of(again))
    kpi.refresh_from_db()
    assert (kpi.target, kpi.warning) == (D(95), D(80))
    assert again.context["checked"][0].changes == [
        ("unit", "%", "—"),  # a blank cell clears the field
        ("target", "95", "97"),
        ("warning threshold", "80", "—"),
    ]
    assert confirm(client, again).status_code == 302
    kpi.refresh_from_db()
    assert (kpi.unit, kpi.target, kpi.warning) == ("", D(97), None)


def test_a_calculated_kpi_may_be_updated_and_keeps_its_formula(client_for, quality):
    base = KPIFactory()
    doubled = KPIFactory(
        source=Source.FORMULA, formula=f"{base.reference} * 2", name="Doubled", target=150, warning=None
    )
    client = client_for(quality)

    confirm(client, preview(client, HEADER, f"{doubled.reference},Doubled,,,higher,160,,,monthly,,,,,"))

    doubled.refresh_from_db()
    assert (doubled.target, doubled.source, doubled.formula) == (D(160), Source.FORMULA, f"{base.reference} * 2")


def test_checking_costs_the_same_queries_for_5_as_for_50_rows(owner, django_assert_max_num_queries):
    process, objective = ProcessFactory(), ObjectiveFactory(owner=owner)
    kpis = KPIFactory.create_batch(25, owner=owner)
    for kpi in kpis[:5]:
        MeasurementFactory(kpi=kpi)
    rows = [
        {"row": i + 2, "reference": k.reference, "name": k.name, "direction": "higher", "target": "97",
         "frequency": "monthly", "owner": owner.email, "processes": process.reference, "objective": objective.reference}
        for i, k in enumerate(kpis)
    ] + [
        {"row": i + 30, "reference": "", "name": f"New {i}", "direction": "lower", "target": "1", "frequency": "weekly",
         "owner": owner.username, "processes": process.reference, "objective": objective.reference}
        for i in range(25)
    ]  # fmt: skip

    with django_assert_max_num_queries(12) as few:
        kpi_import.validate_kpi_rows(rows[:5], owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        checked = kpi_import.validate_kpi_rows(rows, owner)

    assert [row.errors for row in checked if row.errors] == []


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_template_holds_the_columns_and_an_example_row_that_imports(client_for, owner, kind):
    first, second = ProcessFactory(), ProcessFactory()
    objective = ObjectiveFactory(owner=owner)
    client = client_for(owner)

    response = client.get(f"{TEMPLATE}?format={kind}")

    content = b"".join(response.streaming_content) if response.streaming else response.content
    if kind == "csv":
        header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        header, *rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert header == HEADER.split(",")
    assert len(rows) == 1
    assert [str(cell) for cell in rows[0][1:6]] == ["Scrap rate", "%", "outcome", "lower", "1.5"]
    assert rows[0][11:] == [owner.username, f"{first.reference}; {second.reference}", objective.reference]
    checked = client.post(IMPORT, {"file": SimpleUploadedFile(f"template.{kind}", content)})
    assert checked.status_code == 200, [str(e) for e in checked.context["errors"]]
    assert checked.context["checked"][0].change == "new"


def test_the_import_page_explains_every_column(client_for, owner):
    content = client_for(owner).get(IMPORT).content.decode()

    for column in HEADER.split(","):
        assert f"<code>{column}</code>" in content, column
    assert f'href="{TEMPLATE}?format=xlsx"' in content
    assert "Calculated KPIs are left out" in content


@pytest.mark.parametrize(
    ("limit", "lines", "message"),
    [
        ("rows", [",New {n},,,higher,1,,,monthly,,,,," for n in range(4)], "The file has more than 3 rows of KPIs."),
        ("bytes", [",New {n},,,higher,1,,,monthly,,,,," for n in range(100)], "The file is larger than"),
        ("columns", None, "The first row must name the columns name, direction, target, frequency"),
    ],
)
def test_files_beyond_the_limits_are_refused(client_for, owner, monkeypatch, settings, limit, lines, message):
    monkeypatch.setattr(kpi_import.KPIImport, "max_rows", 3)
    settings.IMPORT_MAX_FILE_KB = 2
    body = (
        ["reference,name", ",Scrap"] if lines is None else [HEADER, *(line.format(n=n) for n, line in enumerate(lines))]
    )

    response = preview(client_for(owner), *body)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not KPI.objects.exists()


def test_the_kpi_list_links_the_kpi_import_for_those_who_may_create_kpis(client_for, owner, viewer):
    assert IMPORT in client_for(owner).get(reverse("objectives:kpi_list")).content.decode()
    assert IMPORT not in client_for(viewer).get(reverse("objectives:kpi_list")).content.decode()


def test_a_contributor_creates_kpis_owned_by_themselves_by_default(client_for, outsider):
    client = client_for(outsider)

    confirm(client, preview(client, "name,direction,target,frequency", "Calls answered,higher,90,weekly"))

    kpi = KPI.objects.get()
    assert (kpi.owner, kpi.frequency, kpi.nature, kpi.measured_from) == (
        outsider,
        Frequency.WEEKLY,
        Nature.OUTCOME,
        date.today(),
    )
    assert outsider.role == Role.CONTRIBUTOR
