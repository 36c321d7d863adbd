"""Large imports run in a Celery task with a page that shows their progress; files beyond the
reader's bounds are refused on the upload page before anything is parsed, losing nothing."""

import io
import os
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from objectives import tasks
from objectives.imports import jobs
from objectives.models import KPI, ImportJob, Measurement
from qms.exports import XLSX_TYPE
from tests.factories import KPIFactory, MeasurementFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("objectives:measurement_import")
KPI_IMPORT = reverse("objectives:kpi_import")


@pytest.fixture(autouse=True)
def _small_background_threshold(settings):
    settings.IMPORT_BACKGROUND_ROWS = 5


def csv_upload(*lines: str, name: str = "values.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="text/csv")


def monthly_rows(kpi, months: int, value: int = 90) -> list[str]:
    return [
        f"{kpi.reference},{2025 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d},{value + m % 7}" for m in range(1, months + 1)
    ]


def upload(client, url, file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, {"file": file})


def test_a_large_import_runs_in_the_task_and_records_every_value_with_history_once(
    client_for, owner, settings, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(owner=owner, measured_from=date(2025, 1, 1))
    MeasurementFactory(kpi=kpi, period_start=date(2025, 1, 1), value=Decimal(1), entered_by=owner)
    lines = monthly_rows(kpi, 20)

    response = upload(
        client_for(owner), IMPORT, csv_upload("kpi,period,value", *lines), django_capture_on_commit_callbacks
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == job.get_absolute_url()
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows, job.imported, job.errors) == ("done", 100, 20, 20, [])
    assert kpi.measurements.count() == 20
    imported = Measurement.history.filter(kpi_id=kpi.pk, history_date__gt=job.requested_at)
    assert imported.count() == 20  # 19 created, 1 corrected
    assert set(imported.values_list("history_user", flat=True)) == {owner.pk}
    # The file was stored under a generated name, nothing of the one it was uploaded as, and removed
    # once the import ended; the job's history keeps its name.
    queued = job.history.earliest().file
    assert "values" not in queued and queued.startswith("imports/")
    assert job.file.name == "" and not (Path(settings.MEDIA_ROOT) / queued).exists()
    assert job.name == "values.csv"

    # Run again (a redelivered message): nothing more is written.
    assert tasks.run_import(job.pk) == "done"
    jobs.import_job_run(job.pk)
    assert imported.count() == 20
    assert kpi.measurements.count() == 20
    assert job.history.count() == 3  # queued, started, finished


def test_a_large_workbook_is_parsed_by_the_task_not_in_the_request(
    client_for, owner, monkeypatch, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(owner=owner, measured_from=date(2025, 1, 1))
    workbook = openpyxl.Workbook()
    workbook.active.append(["kpi", "period", "value"])
    for line in monthly_rows(kpi, 12):
        reference, period, value = line.split(",")
        workbook.active.append([reference, period, int(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called in the request")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    with django_capture_on_commit_callbacks() as queued:
        response = client_for(owner).post(
            IMPORT, {"file": SimpleUploadedFile("values.xlsx", buffer.getvalue(), XLSX_TYPE)}
        )
    monkeypatch.undo()

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.status, job.rows, job.file.name[-5:]) == ("queued", 12, ".xlsx")
    for callback in queued:
        callback()
    job.refresh_from_db()
    assert (job.status, job.imported) == ("done", 12), job.errors
    assert kpi.measurements.count() == 12


def test_the_job_page_shows_progress_to_its_requester_only_and_polls_while_pending(client_for, owner, outsider):
    kpi = KPIFactory(owner=owner)
    job = ImportJob.objects.create(kind="values", name="values.csv", rows=20, requested_by=owner, progress=40)
    job.file.save("values.csv", io.BytesIO(b"kpi,period,value\n"), save=True)
    client = client_for(owner)

    page = client.get(job.get_absolute_url())
    fragment = client.get(job.get_absolute_url(), headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert "40 %" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert client_for(outsider).get(job.get_absolute_url()).status_code == 404
    assert job.get_absolute_url() in client.get(IMPORT).content.decode()  # listed where it was uploaded
    assert kpi.pk  # the job's page needs no KPI of its own


def test_a_large_import_with_an_error_imports_nothing_and_lists_the_errors(
    client_for, owner, settings, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(owner=owner, measured_from=date(2025, 1, 1))
    lines = [*monthly_rows(kpi, 10), f"{kpi.reference},2025-11,not a number", "KPI-999,2025-03,4"]
    client = client_for(owner)

    upload(client, IMPORT, csv_upload("kpi,period,value", *lines), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert not kpi.measurements.exists()
    assert job.file.name == "" and not any((Path(settings.MEDIA_ROOT) / "imports").rglob("*.csv"))
    assert any("Row 12" in error for error in job.errors)
    assert any("Row 13" in error for error in job.errors)
    content = client.get(job.get_absolute_url()).content.decode()
    assert "Nothing was imported." in content
    assert "not a number" in content


def test_a_large_kpi_import_runs_in_the_task_as_its_requester(client_for, quality, django_capture_on_commit_callbacks):
    lines = [f",Measure {n},{quality.username},higher,90,,,monthly" for n in range(8)]

    upload(
        client_for(quality),
        KPI_IMPORT,
        csv_upload("reference,name,owner,direction,target,warning,unit,frequency", *lines, name="kpis.csv"),
        django_capture_on_commit_callbacks,
    )

    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.imported) == ("kpis", "done", 8), job.errors
    assert KPI.objects.filter(name__startswith="Measure ").count() == 8
    assert set(KPI.history.values_list("history_user", flat=True)) == {quality.pk}


def test_small_imports_stay_in_the_request_with_their_preview(client_for, owner):
    kpi = KPIFactory(owner=owner, measured_from=date(2025, 1, 1))

    response = client_for(owner).post(IMPORT, {"file": csv_upload("kpi,period,value", *monthly_rows(kpi, 5))})

    assert response.status_code == 200
    assert response.context["token"]
    assert not ImportJob.objects.exists()


def test_a_job_lost_by_its_worker_is_queued_again_and_imports_once(owner, django_capture_on_commit_callbacks):
    kpi = KPIFactory(owner=owner, measured_from=date(2025, 1, 1))
    content = "\n".join(["kpi,period,value", *monthly_rows(kpi, 6)]).encode()
    job = ImportJob(kind="values", name="values.csv", rows=6, requested_by=owner, status="running")
    job.started_at = timezone.now() - timedelta(hours=2)
    job.file.save("values.csv", io.BytesIO(content), save=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.import_jobs_resume_stalled(now=timezone.now() + timedelta(hours=1)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.import_jobs_resume_stalled(now=timezone.now() + timedelta(hours=1)) == 0

    job.refresh_from_db()
    assert job.status == "done"
    assert kpi.measurements.count() == 6


def test_a_rolled_back_run_keeps_its_file_for_the_next_one(owner, settings, django_capture_on_commit_callbacks):
    kpi = KPIFactory(owner=owner, measured_from=date(2025, 1, 1))
    job = ImportJob(kind="values", name="values.csv", rows=6, requested_by=owner)
    job.file.save("values.csv", io.BytesIO("\n".join(["kpi,period,value", *monthly_rows(kpi, 6)]).encode()), save=True)
    stored = Path(settings.MEDIA_ROOT) / job.file.name

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        jobs.import_job_run(job.pk)
        transaction.set_rollback(True)

    assert callbacks == [] and stored.is_file()


# Import files no job will read
# ------------------------------------------------------------------------------


def stored_import(settings, name: str, *, age: timedelta) -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports" / "2026" / "11" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"kpi,period,value\n")
    when = (timezone.now() - age).timestamp()
    os.utime(path, (when, when))
    return path


def test_stale_import_files_are_removed_once_and_pending_ones_kept(owner, settings):
    orphan = stored_import(settings, "orphan.csv", age=timedelta(hours=2))
    fresh = stored_import(settings, "fresh.csv", age=timedelta(minutes=5))  # its job may not be committed yet
    queued = stored_import(settings, "queued.csv", age=timedelta(days=3))
    ended = stored_import(settings, "ended.csv", age=timedelta(days=3))  # a job that ended before files went
    ImportJob.objects.create(kind="values", name="q.csv", requested_by=owner, file="imports/2026/11/queued.csv")
    done = ImportJob.objects.create(
        kind="values", name="e.csv", requested_by=owner, status="done", file="imports/2026/11/ended.csv"
    )

    assert tasks.remove_stale_import_files() == 2
    assert tasks.remove_stale_import_files() == 0

    assert not orphan.exists() and not ended.exists()
    assert fresh.exists() and queued.exists()
    done.refresh_from_db()
    assert done.file.name == ""
    assert done.history.latest().history_change_reason == "Its file removed"
    assert done.history.count() == 2  # created, file removed: not again on the second run
    assert (
        settings.CELERY_BEAT_SCHEDULE["remove-stale-import-files"]["task"]
        == "objectives.tasks.remove_stale_import_files"
    )


def test_removing_stale_import_files_with_no_imports_folder_removes_nothing(db):
    assert tasks.remove_stale_import_files() == 0


# Refusals on the page
# ------------------------------------------------------------------------------


def test_a_workbook_of_one_row_of_500000_cells_is_a_form_error_before_parsing(client_for, owner, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["kpi", "period", "value"])
    sheet.append([1] * 16_384)  # a row as wide as a sheet goes
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = client_for(owner)

    started = time.perf_counter()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("wide.xlsx", buffer.getvalue(), XLSX_TYPE)})

    assert time.perf_counter() - started < 1
    assert response.status_code == 422
    assert "Line 2 has more than 100 cells" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not Measurement.objects.exists()


def test_someone_elses_job_is_not_found(client_for, owner):
    job = ImportJob.objects.create(kind="values", name="x.csv", rows=6, requested_by=UserFactory())

    assert client_for(owner).get(job.get_absolute_url()).status_code == 404


def test_the_job_page_costs_a_fixed_number_of_queries(client_for, owner, django_assert_max_num_queries):
    errors = [f"Row {n}: “x” is not a number." for n in range(2, 200)]
    job = ImportJob.objects.create(
        kind="values", name="values.csv", rows=198, requested_by=owner, status="failed", errors=errors
    )
    client = client_for(owner)

    with django_assert_max_num_queries(8):
        response = client.get(job.get_absolute_url())

    assert response.status_code == 200
    assert "Row 199" in response.content.decode()
