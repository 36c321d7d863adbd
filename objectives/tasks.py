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
