"""The process map: active processes and their hand-offs, laid out by Graphviz as SVG.

Management processes sit on the top row, core processes in the middle in the order work flows,
support processes at the bottom. The same SVG goes into pages and PDFs. Laying out is the costly
part, so the SVG is cached under a hash of the graph's DOT source: an unchanged map is drawn once.
"""

import hashlib
import logging
import re
import subprocess
from dataclasses import dataclass, field

import graphviz
from django.core.cache import cache
from django.db.models import Q

from qms.hub import process_health
from qms.models import OrgUnit

from .choices import ProcessStatus, ProcessType
from .models import HandOff, Process

logger = logging.getLogger(__name__)

TYPE_STYLE = {
    ProcessType.MANAGEMENT: {"fillcolor": "#e8eef7", "color": "#1f4e79"},
    ProcessType.CORE: {"fillcolor": "#e6f4ec", "color": "#1d6b43"},
    ProcessType.SUPPORT: {"fillcolor": "#f3f0e8", "color": "#7a5c1e"},
}
# The border shows how the process performs by its measures (see qms.hub.process_health).
HEALTH_COLOURS = {"good": "#198754", "warning": "#d39e00", "bad": "#dc3545"}
SVG_CACHE_SECONDS = 24 * 60 * 60
ROW_LENGTH = 6
COLUMN_GAP = 250  # points between the centres of neighbouring boxes
ROW_GAP = 120
LANE_GAP = 40  # extra space where management, core and support rows meet


@dataclass
class ProcessMap:
    processes: list[Process]
    handoffs: list[HandOff]
    focus: Process | None = None
    health: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "nodes": [
                {
                    "id": p.pk,
                    "reference": p.reference,
                    "name": p.name,
                    "type": p.type,
                    "status": p.status,
                    "health": self.health.get(p.pk),
                    "url": p.get_absolute_url(),
                }
                for p in self.processes
            ],
            "edges": [{"source": h.source_id, "target": h.target_id, "item": h.item} for h in self.handoffs],
        }


def process_map(*, org_unit: OrgUnit | None = None, focus: Process | None = None) -> ProcessMap:
    """The processes to draw: all active ones, those of one unit (and the units below it), or one
    process with its direct neighbours. A fixed number of queries, whatever the size."""
    if focus is not None:
        neighbours = HandOff.objects.filter(Q(source=focus) | Q(target=focus)).values_list("source_id", "target_id")
        ids = {focus.pk} | {pk for pair in neighbours for pk in pair}
        processes = Process.objects.filter(pk__in=ids)
    else:
        processes = Process.objects.active()
        if org_unit is not None:
            processes = processes.filter(org_unit__in=_unit_and_below(org_unit))
    processes = list(processes.order_by("reference"))
    ids = [p.pk for p in processes]
    handoffs = list(
        HandOff.objects.select_related("source", "target")
        .filter(source_id__in=ids, target_id__in=ids)
        .order_by("source_id", "target_id", "item")
    )
    return ProcessMap(processes=processes, handoffs=handoffs, focus=focus, health=process_health(ids))


def _unit_and_below(unit: OrgUnit) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in OrgUnit.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [unit.pk]
    while todo:
        pk = todo.pop()
        if pk in found:  # a loop in the tree (only possible through the database itself)
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def map_dot(graph: ProcessMap) -> str:
    """The DOT source of the map. Processes are placed on a grid of rows (see _rows) and Graphviz
    routes the hand-offs between them as splines around the boxes."""
    dot = graphviz.Digraph(
        "processes",
        engine="neato",
        graph_attr={
            "splines": "true",
            "overlap": "true",
            "inputscale": "72",
            "bgcolor": "transparent",
            "fontname": "DejaVu Sans",
            "pad": "0.25",
            "outputorder": "edgesfirst",
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "DejaVu Sans",
            "fontsize": "11",
            "width": "1.9",
            "height": "0.75",
            "fixedsize": "true",
            "penwidth": "1.4",
        },
        edge_attr={
            "fontname": "DejaVu Sans",
            "fontsize": "9",
            "color": "#6b7b8c",
            "fontcolor": "#3d4b59",
            "arrowsize": "0.7",
        },
    )
    for process, (x, y) in _positions(graph).items():
        style = dict(TYPE_STYLE[process.type])
        if process.status != ProcessStatus.ACTIVE:
            style["style"] = "rounded,filled,dashed"
        if health := graph.health.get(process.pk):
            style.update(color=HEALTH_COLOURS[health], penwidth="2.6")
        if graph.focus is not None and process.pk == graph.focus.pk:
            style["penwidth"] = "3.4"
        dot.node(
            f"p{process.pk}",
            label=_text(f"{process.reference}\n{_wrap(process.name)}"),
            pos=f"{x},{y}!",
            URL=process.get_absolute_url(),
            target="_top",
            tooltip=_text(f"{process.reference} {process.name} ({process.get_type_display()})"),
            **style,
        )
    for handoff in graph.handoffs:
        dot.edge(
            f"p{handoff.source_id}",
            f"p{handoff.target_id}",
            xlabel=_text(_wrap(handoff.item, 22)),
            tooltip=_text(handoff.item),
        )
    return dot.source


def _positions(graph: ProcessMap) -> dict[Process, tuple[int, int]]:
    """Where each box goes, in points. The whole map is a grid of rows; a focused map puts the
    process in the middle, those it receives from on the left and those it hands over to on the right."""
    if graph.focus is None:
        positions, y, previous_type = {}, 0, None
        for row in _rows(graph):
            if previous_type is not None:
                y -= ROW_GAP + (LANE_GAP if row[0].type != previous_type else 0)
            previous_type = row[0].type
            positions.update({process: (column * COLUMN_GAP, y) for column, process in enumerate(row)})
        return positions
    suppliers = {h.source_id for h in graph.handoffs if h.target_id == graph.focus.pk}
    left = [p for p in graph.processes if p.pk in suppliers and p.pk != graph.focus.pk]
    right = [p for p in graph.processes if p.pk not in suppliers and p.pk != graph.focus.pk]
    positions = {graph.focus: (COLUMN_GAP, 0)}
    for column, side in ((0, left), (2, right)):
        top = (len(side) - 1) * ROW_GAP / 2
        positions.update({process: (column * COLUMN_GAP, round(top - i * ROW_GAP)) for i, process in enumerate(side)})
    return positions


def _rows(graph: ProcessMap) -> list[list[Process]]:
    """Management processes first, then core processes in the order work flows between them, then
    support processes; each group broken into rows of ROW_LENGTH so a large map stays readable."""
    rows: list[list[Process]] = []
    for process_type in (ProcessType.MANAGEMENT, ProcessType.CORE, ProcessType.SUPPORT):
        group = [p for p in graph.processes if p.type == process_type]
        ordered = _in_flow_order(group, graph.handoffs)
        rows.extend(ordered[i : i + ROW_LENGTH] for i in range(0, len(ordered), ROW_LENGTH))
    return rows


def _in_flow_order(processes: list[Process], handoffs: list[HandOff]) -> list[Process]:
    """Order processes so that each comes after those that hand over to it (a topological order;
    loops are broken by reference order)."""
    by_pk = {p.pk: p for p in processes}
    incoming = {pk: set() for pk in by_pk}
    for handoff in handoffs:
        if handoff.source_id in by_pk and handoff.target_id in by_pk and handoff.source_id != handoff.target_id:
            incoming[handoff.target_id].add(handoff.source_id)
    ordered: list[Process] = []
    placed: set[int] = set()
    while len(ordered) < len(by_pk):
        ready = [pk for pk in by_pk if pk not in placed and incoming[pk] <= placed]
        if not ready:  # a loop: start it at the lowest reference
            ready = [pk for pk in by_pk if pk not in placed]
        pk = min(ready, key=lambda k: by_pk[k].reference)
        ordered.append(by_pk[pk])
        placed.add(pk)
    return ordered


def _text(text: str) -> str:
    """People's words as plain DOT text: never markup (a value in <...> would be pasted into the DOT
    source as is, attributes and all), and a backslash is just a backslash."""
    return graphviz.escape(text)


def _wrap(text: str, width: int = 18) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def map_svg(graph: ProcessMap) -> str | None:
    """The map as inline SVG, or None when Graphviz is not installed on the server."""
    source = map_dot(graph)
    key = "process-map:" + hashlib.sha256(source.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        try:
            svg = graphviz.pipe("neato", "svg", source.encode(), quiet=True).decode()
        except graphviz.ExecutableNotFound:
            logger.error("Graphviz's dot program is not installed: the process map cannot be drawn.")
            return None
        except subprocess.CalledProcessError:
            logger.exception("Graphviz could not draw the process map.")
            return None
        # Inline SVG needs neither the XML prolog nor the DOCTYPE; the comments only name the tool.
        svg = re.sub(r"^.*?(?=<svg)", "", svg, flags=re.DOTALL)
        svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
        cache.set(key, svg, SVG_CACHE_SECONDS)
    return svg


__all__ = ["ProcessMap", "map_dot", "map_svg", "process_map"]
