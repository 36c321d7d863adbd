"""Large imports, run by a Celery task while their page shows the progress.

A file of more rows than IMPORT_BACKGROUND_ROWS is read (within the bounds of qms.imports) in the
request, so a file that cannot be read is refused there as for any import; then it is stored under
a generated name with an ImportJob, and `tasks.run_import` checks every row and writes them, all or
none, through the same Importer as the page's own flow, acting for the person who uploaded it.
Nothing is previewed row by row: a row with an error stops the whole import, and the job's page
lists the errors.
"""

import logging
import os
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qms.history import history_bulk_record
from qms.models import User
from qms.views.generic import htmx_partial

from ..models import ImportJob
from .files import ImportFileError, read_rows
from .flow import Importer, ImportFailed

logger = logging.getLogger(__name__)

# The errors a job keeps for its page: enough to correct a file, never the whole of a bad one.
MAX_ERRORS = 200
# Far longer than any import takes: a job still queued or running after this was lost by its worker.
STALLED_AFTER = timedelta(hours=1)


def importer_for(kind: str) -> Importer:
    from .kpis import KPIImport
    from .values import ValueImport

    return {ImportJob.Kind.VALUES: ValueImport, ImportJob.Kind.KPIS: KPIImport}[kind]()


def import_job_create(*, importer: Importer, content: bytes, name: str, rows: int, user: User) -> ImportJob:
    """Store the file under a generated name with a queued job, and queue its task once the job is
    committed (a task that started earlier would not find it)."""
    from ..tasks import run_import

    job = ImportJob(kind=importer.kind, name=name[:200], rows=rows, requested_by=user)
    job._history_user = user
    job.file.save(name, ContentFile(content), save=False)
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def import_job_progress(job_id: int, percent: int) -> None:
    """How far the task has come: written straight to the row, outside the history, for the page."""
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(progress=percent)


def _claim(job_id: int) -> bool:
    """Take a queued job (queued → running) with a conditional UPDATE; False when another run has it
    or it is finished, so a second run of the task changes nothing."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, progress=5, started_at=timezone.now()
        )
        if claimed:
            history_bulk_record(
                list(ImportJob.objects.filter(pk=job_id)), ImportJob, update=True, reason=_("Import started")
            )
    return bool(claimed)


def import_job_run(job_id: int) -> ImportJob:
    """Run a queued import once.

    1. Claim it (queued → running); a job running, done or failed is left as it is.
    2. Read the stored file and check every row as the person who uploaded it, now.
    3. With any error, mark it failed with the errors, importing nothing. Otherwise write every row
       and mark it done in one transaction, so a worker lost while writing leaves neither rows nor a
       finished job behind, and the job can be run again from the start.
    """
    if not _claim(job_id):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    importer, user, today = importer_for(job.kind), job.requested_by, timezone.localdate()
    try:
        with job.file.open("rb") as stored:
            rows = read_rows(stored, importer.columns, importer.max_rows)
        job.rows = len(rows)  # a workbook's were counted in lines, blank ones too
        ImportJob.objects.filter(pk=job.pk).update(rows=job.rows, progress=20)
        if not importer.may_import(user) or not user.is_active:
            return _fail(job, [str(importer.refused)])
        preview = importer.check(rows, user, today)
        import_job_progress(job.pk, 60)
        if preview.errors:
            return _fail(job, [str(error) for error in preview.errors])
        with transaction.atomic():
            if not ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportJob.Status.RUNNING).exists():
                return ImportJob.objects.get(pk=job.pk)  # taken back as lost meanwhile
            imported = importer.write(preview, user, today)
            _finish(job, ImportJob.Status.DONE, imported=imported)
    except ImportFileError as error:
        return _fail(job, [str(error)])
    except ImportFailed as failure:
        return _fail(job, [_("Nothing was imported: %(reason)s") % {"reason": failure}])
    except Exception:  # a job that cannot run says so on its page rather than staying "importing"
        logger.exception("Import %s failed", job.pk)
        return _fail(job, [_("The import stopped on an unexpected error. Nothing was imported.")])
    return job


def _fail(job: ImportJob, errors: list[str]) -> ImportJob:
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], _("… and %(count)d more errors.") % {"count": more}]
    _finish(job, ImportJob.Status.FAILED, errors=errors)
    return job


def _finish(job: ImportJob, status: str, *, imported: int = 0, errors: list[str] | None = None) -> None:
    """End the job, and remove its file once that is committed: nothing reads it again, and a run
    rolled back (the job still running) still finds it."""
    stored = job.file.name
    job.status, job.progress, job.imported, job.errors = status, 100, imported, errors or []
    job.finished_at = timezone.now()
    job.file = ""
    job._change_reason = _("Import finished") if status == ImportJob.Status.DONE else _("Import failed")
    job.save(update_fields=["status", "progress", "imported", "errors", "finished_at", "file"])
    transaction.on_commit(partial(job.file.storage.delete, stored))


def import_files_remove_stale(*, now=None) -> int:
    """Remove the import files nothing will read: any under imports/ that no queued or running job
    names, such as those of jobs that ended before files were removed at the end (whose names are
    cleared too) or of an upload whose job was never saved. A file younger than STALLED_AFTER is left
    alone (its job may not be committed yet). Returns how many files were removed; a second run
    removes none."""
    storage = ImportJob._meta.get_field("file").storage
    with transaction.atomic():
        ended = list(
            ImportJob.objects.select_for_update()
            .exclude(file="")
            .exclude(status__in=ImportJob.PENDING)
            .values_list("pk", flat=True)
        )
        ImportJob.objects.filter(pk__in=ended).update(file="")
        history_bulk_record(
            list(ImportJob.objects.filter(pk__in=ended)), ImportJob, update=True, reason=_("Its file removed")
        )
        pending = set(ImportJob.objects.filter(status__in=ImportJob.PENDING).values_list("file", flat=True))
    cutoff = ((now or timezone.now()) - STALLED_AFTER).timestamp()
    removed = 0
    for directory, _subdirectories, names in os.walk(Path(storage.location) / "imports"):
        for name in names:
            path = Path(directory, name)
            if path.relative_to(storage.location).as_posix() not in pending and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


def import_jobs_resume_stalled(*, now=None) -> int:
    """Queue again the jobs a worker lost: still running or queued after STALLED_AFTER. A lost run
    wrote nothing (its write and its end are one transaction), so the job starts over. Returns how
    many were queued again."""
    from ..tasks import run_import

    cutoff = (now or timezone.now()) - STALLED_AFTER
    with transaction.atomic():
        lost = list(
            ImportJob.objects.select_for_update()
            .filter(status=ImportJob.Status.RUNNING, started_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        ImportJob.objects.filter(pk__in=lost).update(status=ImportJob.Status.QUEUED, progress=0, started_at=None)
        history_bulk_record(
            list(ImportJob.objects.filter(pk__in=lost)),
            ImportJob,
            update=True,
            reason=_("Queued again: its worker was lost while importing"),
        )
    stalled = list(
        ImportJob.objects.filter(status=ImportJob.Status.QUEUED, requested_at__lt=cutoff).values_list("pk", flat=True)
    )
    for job_id in stalled:
        transaction.on_commit(lambda job_id=job_id: run_import.delay(job_id))
    return len(stalled)


# Views
# ------------------------------------------------------------------------------


@require_GET
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A large import's page, for the person who uploaded it (404 for anyone else). While the task
    runs, htmx asks for its status fragment every two seconds."""
    job = get_object_or_404(ImportJob.objects.filter(requested_by=request.user), pk=pk)
    importer = importer_for(job.kind)
    context = {
        "job": job,
        "object": job,
        "again_url": reverse(importer.url_name),
        "done_url": reverse(importer.done_url),
    }
    template = "objectives/importjob_detail.html"
    return TemplateResponse(request, f"{template}#status" if htmx_partial(request) else template, context)
