from celery import shared_task

from . import services


@shared_task
def render_pack(pack_id: int) -> str:
    """Render a queued evidence pack; a pack already made (or being made) is left as it is."""
    return services.pack_render(pack_id).status


@shared_task
def resume_stalled_packs() -> int:
    return services.packs_resume_stalled()
