"""Queued work of processes: drawing the process map, which can take Graphviz seconds."""

from celery import shared_task
from django.core.cache import cache

from qms.models import OrgUnit

from .models import Process
from .process_map import LAYOUT_SECONDS, ProcessMap, map_drawing, process_map


@shared_task(soft_time_limit=LAYOUT_SECONDS + 30, time_limit=LAYOUT_SECONDS + 60)
def draw_process_map(org_unit_id: int | None = None, focus_id: int | None = None) -> str:
    """Draw the map of a unit, of one process with its neighbours, or of every active process, as
    the records stand now, unless that drawing exists; returns the map's state."""
    focus = Process.objects.filter(pk=focus_id).first() if focus_id else None
    org_unit = OrgUnit.objects.filter(pk=org_unit_id).first() if org_unit_id else None
    return map_drawing(process_map(org_unit=org_unit, focus=focus), wait=True)[1]


def queue_drawing(graph: ProcessMap) -> None:
    """Ask a worker to draw the map, at most once a minute per map, however many people view it."""
    if cache.add(f"process-map-queued:{graph.scope}", True, 60):
        draw_process_map.delay(
            org_unit_id=graph.org_unit.pk if graph.org_unit is not None else None,
            focus_id=graph.focus.pk if graph.focus is not None else None,
        )
