from datetime import date

from celery import shared_task

from . import services


@shared_task
def recalculate_dependents(changes: list[tuple[int, str]]) -> list[str]:
    """After values were entered or corrected: the KPIs calculated from them, for those periods."""
    return services.recalculate_dependents([(kpi_id, date.fromisoformat(start)) for kpi_id, start in changes])


@shared_task
def recalculate_kpis() -> dict[str, int]:
    return services.recalculate_all()


@shared_task
def send_kpi_reminders() -> dict[str, int]:
    return services.kpi_send_reminders()


@shared_task
def run_import(job_id: int) -> str:
    """Check and write a large import; a job already running or finished is left as it is."""
    from .imports.jobs import import_job_run

    return import_job_run(job_id).status


@shared_task
def resume_stalled_imports() -> int:
    """Imports a worker lost, queued again."""
    from .imports.jobs import import_jobs_resume_stalled

    return import_jobs_resume_stalled()


@shared_task
def remove_stale_import_files() -> int:
    """Import files no job will read again, removed."""
    from .imports.jobs import import_files_remove_stale

    return import_files_remove_stale()
