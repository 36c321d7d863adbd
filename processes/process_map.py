"""The process map: active processes and their hand-offs, laid out by Graphviz as SVG.

Work flows from top to bottom; the fill shows the type of process and the border how it performs by
its KPIs. The same SVG goes into pages and PDFs. Laying out is the costly part, so the drawing is
made once per structure (the processes and hand-offs, never their KPI status) and kept in the
shared cache under a hash of its DOT source; pages colour the borders with CSS classes added to a
drawing as it is shown, so a KPI changing status redraws nothing. Pages never wait for Graphviz: a
Celery task draws a map not drawn yet (processes.tasks.draw_process_map), and meanwhile the page
shows the last drawing of the same map, or says it is being drawn.
"""

import hashlib
import logging
import re
import subprocess
from dataclasses import dataclass, field

import graphviz
from django.core.cache import cache
from django.db.models import Q
from django.urls import get_script_prefix
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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
# The border shows how the process performs by its measures (see qms.hub.process_health): a class
# health-<status> on the node, coloured by static/css/app.css.
HEALTH = ("good", "warning", "bad")
SVG_CACHE_SECONDS = 7 * 24 * 60 * 60
LAYOUT_SECONDS = 60  # Graphviz gets this long at most (in a worker, or a pack's task)
TOO_LARGE_CACHE_SECONDS = 60 * 60
# From this many processes the layout trades curved edges and fewer crossings for speed: 300
# processes with 600 hand-offs take minutes with dot's defaults, seconds with these.
LARGE_MAP = 60
LARGE_MAP_LAYOUT = {
    "splines": "line",
    "mclimit": "0.01",
    "nslimit": "0.1",
    "nslimit1": "0.1",
    "remincross": "false",
    "searchsize": "1",
}
# Points; the SVG is shown at its natural size, where a point is 4/3 px: 14 px and 12.7 px on screen.
NODE_FONT_SIZE = "10.5"
EDGE_FONT_SIZE = "9.5"
DRAWING_VERSION = 2  # change it with map_dot: drawings made by the old one are then not shown
ITEMS_ON_EDGE = 3  # more hand-offs between two processes show as "+ N more" on their edge
MAP_FIELDS = ("reference", "name", "type", "status", "org_unit_id")  # what a map shows of a process


@dataclass
class ProcessMap:
    processes: list[Process]
    handoffs: list[HandOff]
    focus: Process | None = None
    health: dict[int, str] = field(default_factory=dict)
    org_unit: OrgUnit | None = None
    # Which of the pages' maps this is (see process_map), whatever its processes are today; a map
    # drawn for anything else (an evidence pack's processes as they stood) has none.
    scope: str = ""

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
    processes = list(processes.only(*MAP_FIELDS).order_by("reference"))
    by_pk = {p.pk: p for p in processes}
    handoffs = list(
        HandOff.objects.filter(source_id__in=by_pk, target_id__in=by_pk).order_by("source_id", "target_id", "item")
    )
    for handoff in handoffs:  # the processes read above, not read again per hand-off
        handoff.source, handoff.target = by_pk[handoff.source_id], by_pk[handoff.target_id]
    ids = list(by_pk)
    scope = f"focus-{focus.pk}" if focus is not None else f"unit-{org_unit.pk}" if org_unit is not None else "all"
    return ProcessMap(
        processes=processes,
        handoffs=handoffs,
        focus=focus,
        health=process_health(ids),
        org_unit=org_unit,
        scope=scope,
    )


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
    """The DOT source of the map, laid out by Graphviz's dot: work flows from top to bottom, each
    process below those that hand over to it. All hand-offs from one process to another share one
    edge, so its label lists them together instead of piling labels on top of each other; dot places
    each label beside its edge as part of the layout. Sizes are in points and the SVG is shown at its
    natural size (1 pt = 4/3 px), so text is NODE_FONT_SIZE and EDGE_FONT_SIZE points on screen."""
    dot = graphviz.Digraph(
        "processes",
        engine="dot",
        graph_attr={
            "rankdir": "TB",
            "nodesep": "0.35",
            "ranksep": "0.25",
            "splines": "true",
            "bgcolor": "transparent",
            "fontname": "DejaVu Sans",
            "pad": "0.2",
            "outputorder": "edgesfirst",
            **(LARGE_MAP_LAYOUT if len(graph.processes) >= LARGE_MAP else {}),
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "DejaVu Sans",
            "fontsize": NODE_FONT_SIZE,
            "width": "1.7",
            "height": "0.5",
            "margin": "0.12,0.06",
            "penwidth": "1.4",
        },
        edge_attr={
            "fontname": "DejaVu Sans",
            "fontsize": EDGE_FONT_SIZE,
            "color": "#6b7b8c",
            "fontcolor": "#3d4b59",
            "arrowsize": "0.7",
        },
    )
    by_pk = {process.pk: process for process in graph.processes}
    for process in graph.processes:
        style = dict(TYPE_STYLE[process.type])
        if process.status != ProcessStatus.ACTIVE:
            style["style"] = "rounded,filled,dashed"
        if graph.focus is not None and process.pk == graph.focus.pk:
            style["penwidth"] = "3.4"
        dot.node(
            f"p{process.pk}",
            label=_text(process.reference, *_wrap(process.name, 20)),
            id=f"process-{process.pk}",
            URL=process.get_absolute_url(),
            target="_top",
            tooltip=_text(f"{process.reference} {process.name} ({process.get_type_display()})"),
            **style,
        )
    for (source_id, target_id), items in handoff_edges(graph).items():
        tooltip = _text(f"{by_pk[source_id].reference} → {by_pk[target_id].reference}", *items)
        dot.edge(f"p{source_id}", f"p{target_id}", label=_edge_label(items), tooltip=tooltip, labeltooltip=tooltip)
    return dot.source


def handoff_edges(graph: ProcessMap) -> dict[tuple[int, int], list[str]]:
    """What each process hands over to each other one: one entry (one edge on the map) per pair."""
    edges: dict[tuple[int, int], list[str]] = {}
    for handoff in graph.handoffs:
        edges.setdefault((handoff.source_id, handoff.target_id), []).append(handoff.item)
    return edges


def _edge_label(items: list[str]) -> str:
    """One item as a centred text; several as a left-aligned list, cut after ITEMS_ON_EDGE (the
    edge's tooltip and the list below the map have them all)."""
    if len(items) == 1:
        return _text(*_wrap(items[0], 24))
    shown = items if len(items) <= ITEMS_ON_EDGE else items[: ITEMS_ON_EDGE - 1]
    lines = [f"• {line}" if i == 0 else line for item in shown for i, line in enumerate(_wrap(item, 24))]
    if len(shown) < len(items):
        lines.append(_("+ %(count)d more") % {"count": len(items) - len(shown)})
    return _text(*lines, separator="\\l", end="\\l")


def _text(*lines: str, separator: str = "\\n", end: str = "") -> str:
    """People's words as plain DOT text, one line each: never markup (a value in <...> would be pasted
    into the DOT source as is, attributes and all), and a backslash is just a backslash. Lines are
    joined by a DOT escape (\\n centred, \\l left-aligned), the only escapes in the result."""
    return graphviz.nohtml(separator.join(graphviz.escape(line) for line in lines) + end)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines


def map_svg(graph: ProcessMap, *, wait: bool = True) -> str | None:
    """The map as inline SVG (see map_drawing), drawn now if need be unless `wait` is False."""
    return map_drawing(graph, wait=wait)[0]


def map_drawing(graph: ProcessMap, *, wait: bool = False) -> tuple[str | None, str]:
    """The map as inline SVG with each process's health as a class (None when there is none to
    show), and its state: "drawn", "drawing" (a worker is on it) or "failed" (too large, or
    Graphviz missing). An unchanged structure is drawn once. Not drawn yet: with `wait` (a
    worker, a pack's task) Graphviz draws it now; without (a page), a worker is asked to, and the
    last drawing of the same map is shown meanwhile, if there is one."""
    key = _drawing_key(graph)
    svg = cache.get(key)
    if svg is None and wait:
        svg = draw(graph)
    elif svg is None:
        from .tasks import queue_drawing

        queue_drawing(graph)
        svg = cache.get(key)  # drawn already when tasks run eagerly
        if svg is None:
            return _shown(cache.get(_last_key(graph)), graph), "drawing"
    return _shown(svg, graph), "drawn" if svg else "failed"


def _shown(svg: str | None, graph: ProcessMap) -> str | None:
    return with_health(svg, graph.health) if svg else None


def draw(graph: ProcessMap) -> str:
    """Lay the map out with Graphviz and keep the drawing for every process and worker; "" when it
    cannot be drawn (kept an hour, so it is not tried again at once)."""
    source = map_dot(graph)
    key = _drawing_key(graph)
    try:
        svg = subprocess.run(
            ["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=LAYOUT_SECONDS
        ).stdout.decode()
    except FileNotFoundError:
        logger.error("Graphviz's dot program is not installed: the process map cannot be drawn.")
        return ""
    except subprocess.CalledProcessError as error:
        logger.error("Graphviz could not draw the process map: %s", error.stderr.decode(errors="replace"))
        return ""
    except subprocess.TimeoutExpired:
        logger.warning("Graphviz took over %s s to draw %s processes.", LAYOUT_SECONDS, len(graph.processes))
        cache.set(key, "", TOO_LARGE_CACHE_SECONDS)
        return ""
    # Inline SVG needs neither the XML prolog nor the DOCTYPE; the comments only name the tool.
    svg = re.sub(r"^.*?(?=<svg)", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    cache.set(key, svg, SVG_CACHE_SECONDS)
    if graph.scope:
        cache.set(_last_key(graph), svg, SVG_CACHE_SECONDS)
    return svg


_NODE = re.compile(r'<g id="process&#45;(\d+)" class="node">')


def with_health(svg: str, health: dict[int, str]) -> str:
    """The drawing with each process's health as a class of its node (borders coloured by CSS)."""

    def classes(match: re.Match) -> str:
        status = health.get(int(match[1]))
        return match[0] if status not in HEALTH else match[0][:-2] + f' health-{status}">'

    return _NODE.sub(classes, svg)


def _drawing_key(graph: ProcessMap) -> str:
    """The drawing's key: what map_dot draws from (its processes, hand-offs and focus, in the
    language and at the URLs of this request), without building the DOT source, which costs more
    than a page of 300 processes may spend. DRAWING_VERSION changes with map_dot itself."""
    structure = (
        DRAWING_VERSION,
        get_language(),
        get_script_prefix(),
        graph.focus.pk if graph.focus is not None else None,
        [(p.pk, p.reference, p.name, p.type, p.status) for p in graph.processes],
        [(h.source_id, h.target_id, h.item) for h in graph.handoffs],
    )
    return "process-map:" + hashlib.sha256(repr(structure).encode()).hexdigest()


def _last_key(graph: ProcessMap) -> str:
    """The last drawing of the same map (the same unit, focus or whole), shown while a changed one
    is drawn."""
    return f"process-map-last:{graph.scope}"


__all__ = ["ProcessMap", "draw", "handoff_edges", "map_dot", "map_drawing", "map_svg", "process_map", "with_health"]
