from celery import shared_task

from . import services


@shared_task
def render_pack(pack_id: int) -> str:
    """Render a queued evidence pack; a pack already made (or being made) is left as it is."""
    return services.pack_render(pack_id).status


@shared_task
def store_audit_report(report_id: int) -> str:
    """Render and store an issued version of an audit's report; one stored already is left as it is."""
    return services.audit_report_store(report_id).sha256


@shared_task
def resume_stalled_packs() -> int:
    """Packs a worker lost, and issued reports whose PDF was never stored."""
    return services.packs_resume_stalled() + services.audit_reports_resume()
