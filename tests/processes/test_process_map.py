import re
import subprocess
from html import unescape

import pytest
from django.urls import reverse

from objectives.choices import KPIStatus
from processes.choices import ProcessStatus, ProcessType
from processes.process_map import LARGE_MAP, LAYOUT_SECONDS, ProcessMap, map_dot, map_svg, process_map
from tests.factories import HandOffFactory, KPIFactory, OrgUnitFactory, ProcessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Maps drawn by earlier runs stay in a shared cache (Redis in CI) under the same keys: draw afresh."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "maps"}}
    yield
    from django.core.cache import cache

    cache.clear()


def test_map_svg_has_every_active_process_and_hand_off():
    strategy = ProcessFactory(name="Strategic planning", type=ProcessType.MANAGEMENT)
    sales = ProcessFactory(name="Sales", type=ProcessType.CORE)
    production = ProcessFactory(name="Production", type=ProcessType.CORE)
    training = ProcessFactory(name="Training", type=ProcessType.SUPPORT)
    retired = ProcessFactory(name="Old packing", status=ProcessStatus.RETIRED)
    HandOffFactory(source=sales, target=production, item="Confirmed orders")
    HandOffFactory(source=training, target=production, item="Trained operators")
    HandOffFactory(source=production, target=retired, item="Crates")

    svg = unescape(map_svg(process_map()))

    assert svg.startswith("<svg")
    for process in (strategy, sales, production, training):
        assert process.reference in svg
        assert process.get_absolute_url() in svg
    assert "Confirmed orders" in svg and "Trained operators" in svg
    assert retired.reference not in svg and "Crates" not in svg


def node_positions(svg: str) -> dict[int, tuple[float, float]]:
    """Where Graphviz drew each process: the centre of its first line of text, by process pk."""
    found = re.findall(r'<g id="process-(\d+)" class="node">.*?<text[^>]* x="([-\d.]+)" y="([-\d.]+)"', svg, re.DOTALL)
    return {int(pk): (float(x), float(y)) for pk, x, y in found}


def edges(svg: str) -> list[str]:
    """The SVG of each edge, in the order drawn."""
    return re.findall(r'<g id="edge\d+" class="edge">.*?</g>\n</g>', svg, re.DOTALL)


def test_work_flows_from_top_to_bottom():
    delivery = ProcessFactory(name="Delivery")
    sales = ProcessFactory(name="Sales")
    production = ProcessFactory(name="Production")
    HandOffFactory(source=sales, target=production)
    HandOffFactory(source=production, target=delivery)

    positions = node_positions(unescape(map_svg(process_map())))

    assert positions[sales.pk][1] < positions[production.pk][1] < positions[delivery.pk][1]  # y grows downwards


def test_hand_offs_between_two_processes_share_one_edge_that_lists_them_all():
    design, production = ProcessFactory(name="Design"), ProcessFactory(name="Production")
    items = ["Bills of material", "Drawings", "Routings", "Test plans", "Work instructions"]
    for item in items:
        HandOffFactory(source=design, target=production, item=item)
    HandOffFactory(source=production, target=design, item="Change requests")

    svg = unescape(map_svg(process_map()))

    forward, backward = edges(svg)
    tooltips = re.findall(r'xlink:title="([^"]*)"', forward)  # on the line and on its label
    assert tooltips == ["\n".join([f"{design.reference} → {production.reference}", *items])] * 2
    assert re.findall(r"<text[^>]*>([^<]*)</text>", forward) == ["• Bills of material", "• Drawings", "+ 3 more"]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", backward) == ["Change requests"]


def test_a_single_process_is_drawn_at_the_size_of_one_box(client_for, viewer):
    alone = ProcessFactory(name="Additive manufacturing pilot")

    svg = map_svg(process_map(focus=alone))

    width, height = (float(n) for n in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    assert width < 200 and height < 100  # points: one box and its margin, shown at that size
    body = client_for(viewer).get(alone.get_absolute_url()).content.decode()
    assert "No hand-offs with other processes yet." in body


@pytest.mark.parametrize("url", ["map", "process"])
def test_maps_come_with_zoom_controls_and_no_inline_script(client_for, viewer, url):
    process = ProcessFactory()
    HandOffFactory(source=process)
    path = reverse("processes:process_map") if url == "map" else process.get_absolute_url()

    body = client_for(viewer).get(path).content.decode()

    assert body.count("data-process-map") == 1 and "<svg" in body
    for zoom in ("in", "out", "fit", "actual"):
        assert re.search(rf'<button type="button"[^>]* data-map-zoom="{zoom}"', body)
    assert 'src="/static/js/process-map.js"' in body
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", body))


def test_the_drawing_changes_with_the_structure_and_a_kpi_status_only_changes_a_class(monkeypatch):
    sales, production = ProcessFactory(), ProcessFactory()
    HandOffFactory(source=sales, target=production, item="Orders")
    before = map_svg(process_map())

    HandOffFactory(source=sales, target=production, item="Specifications")
    after = map_svg(process_map())
    assert "Specifications" not in before and "Specifications" in after

    kpi = KPIFactory(processes=[production], status=KPIStatus.OFF_TARGET)
    runs = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: runs.append(args))
    coloured = map_svg(process_map())
    assert runs == []  # not redrawn
    assert re.search(rf'<g id="process&#45;{production.pk}" class="node health-bad">', coloured)
    assert f'<g id="process&#45;{sales.pk}" class="node">' in coloured
    kpi.status = KPIStatus.ON_TARGET
    kpi.save()
    assert 'class="node health-good"' in map_svg(process_map()) and runs == []


def test_the_map_page_never_draws_a_worker_does_and_shows_the_last_drawing_meanwhile(
    client_for, viewer, monkeypatch, django_capture_on_commit_callbacks
):
    sales, production = ProcessFactory(), ProcessFactory()
    HandOffFactory(source=sales, target=production, item="Orders")
    queued = []
    monkeypatch.setattr("processes.tasks.draw_process_map.delay", lambda **kwargs: queued.append(kwargs))
    client = client_for(viewer)

    first = client.get(reverse("processes:process_map")).content.decode()
    assert "<svg" not in first and "Drawing the map" in first and 'hx-trigger="every 3s"' in first
    assert queued == [{"org_unit_id": None, "focus_id": None}]
    client.get(reverse("processes:process_map"))
    assert len(queued) == 1  # asked once, however many views meanwhile

    from processes.tasks import draw_process_map

    assert draw_process_map() == "drawn"  # what the worker runs
    drawn = client.get(reverse("processes:process_map")).content.decode()
    assert "<svg" in drawn and "every 3s" not in drawn and "Orders" in drawn

    HandOffFactory(source=production, target=sales, item="Complaints")
    redrawing = client.get(reverse("processes:process_map")).content.decode()
    assert "<svg" in redrawing and "as last drawn" in redrawing and "every 3s" in redrawing
    assert "Complaints" not in redrawing.split("The map as a list")[0]


def test_a_map_drawn_for_an_evidence_pack_is_never_shown_as_the_last_drawing_of_a_page(client_for, viewer, monkeypatch):
    sales, production = ProcessFactory(), ProcessFactory()
    ProcessFactory(name="Not in the pack")
    HandOffFactory(source=sales, target=production, item="Orders")
    map_svg(ProcessMap(processes=[sales, production], handoffs=[]))  # as packs.selectors draws its map
    monkeypatch.setattr("processes.tasks.draw_process_map.delay", lambda **kwargs: None)

    page = client_for(viewer).get(reverse("processes:process_map")).content.decode()

    assert "<svg" not in page and "Drawing the map" in page


def test_a_large_map_is_laid_out_for_speed():
    processes = ProcessFactory.create_batch(LARGE_MAP)
    HandOffFactory(source=processes[0], target=processes[1])
    assert "splines=line" in map_dot(process_map()).replace('"', "")
    assert "splines=line" not in map_dot(process_map(focus=processes[0])).replace('"', "")


def test_focus_shows_one_process_and_its_neighbours():
    a, b, c, far = ProcessFactory.create_batch(4)
    HandOffFactory(source=a, target=b)
    HandOffFactory(source=b, target=c)
    HandOffFactory(source=c, target=far)

    graph = process_map(focus=b)

    assert set(graph.processes) == {a, b, c}
    assert len(graph.handoffs) == 2


def test_org_unit_filter_includes_the_units_below():
    plant = OrgUnitFactory(name="Plant")
    machining = OrgUnitFactory(name="Machining", parent=plant)
    inside = ProcessFactory(org_unit=machining)
    ProcessFactory(org_unit=OrgUnitFactory(name="Head office"))

    assert process_map(org_unit=plant).processes == [inside]


def test_map_page_and_filters(client_for, viewer):
    unit = OrgUnitFactory()
    process = ProcessFactory(org_unit=unit, name="Welding")
    client = client_for(viewer)

    assert "Welding" in client.get(reverse("processes:process_map")).content.decode()
    assert "Welding" in client.get(reverse("processes:process_map") + f"?org_unit={unit.pk}").content.decode()
    focused = client.get(reverse("processes:process_map") + f"?focus={process.pk}")
    assert focused.status_code == 200


def test_map_with_no_processes_has_an_empty_state(client_for, viewer):
    body = client_for(viewer).get(reverse("processes:process_map")).content.decode()

    assert "No active processes to show." in body


def test_map_page_query_count_does_not_grow(client_for, viewer, django_assert_max_num_queries):
    def build(n):
        processes = ProcessFactory.create_batch(n)
        for left, right in zip(processes, processes[1:], strict=False):
            HandOffFactory(source=left, target=right)

    client = client_for(viewer)
    build(5)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("processes:process_map"))
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("processes:process_map"))


def test_a_150_process_map_is_drawn():
    processes = ProcessFactory.create_batch(150)
    for left, right in zip(processes, processes[1:], strict=False):
        HandOffFactory(source=left, target=right)

    svg = unescape(map_svg(process_map()))

    assert all(p.reference in svg for p in processes)


@pytest.mark.parametrize(
    "item",
    [
        '<x>, URL="javascript:alert(document.cookie)", target=<y>',
        '<x>]; evil [label="INJECTED" URL="javascript:alert(1)"]; p1 -> p2 [tooltip=<y>',
        "<see spec <A> & <B>>",
        "Drawings \\",
    ],
)
def test_what_people_type_stays_text_on_the_map(client_for, viewer, item):
    giver, taker = ProcessFactory(name="Design \\"), ProcessFactory(name="<b>Production</b>")
    HandOffFactory(source=giver, target=taker, item=item)

    svg = map_svg(process_map())
    page = client_for(viewer).get(giver.get_absolute_url())

    assert 'href="javascript' not in svg and "<title>evil</title>" not in svg
    assert unescape(item) in unescape(svg)
    assert "<b>Production</b>" not in svg and "&lt;b&gt;Production&lt;/b&gt;" in svg
    assert page.status_code == 200 and "<svg" in page.content.decode()  # the mini-map is drawn


def test_what_people_type_stays_text_in_a_list_of_hand_offs():
    items = [
        '<x>]; evil [label="INJECTED" URL="javascript:alert(1)"]; p1 -> p2 [tooltip=<y>',
        "Drawings \\",
        "Specs \\l and \\n",
        "<see spec <A> & <B>>",
    ]
    giver, taker = ProcessFactory(), ProcessFactory()
    for item in items:
        HandOffFactory(source=giver, target=taker, item=item)

    svg = map_svg(process_map())

    assert 'href="javascript' not in svg and "<title>evil</title>" not in svg
    (edge,) = edges(svg)  # one edge: nothing typed opened another
    tooltip = unescape(re.search(r'xlink:title="([^"]*)"', edge).group(1))
    assert sorted(tooltip.splitlines()[1:]) == sorted(items)
    label = " ".join(unescape(line) for line in re.findall(r"<text[^>]*>([^<]*)</text>", edge))
    assert len([item for item in items if f"• {item}" in label]) == 2 and label.endswith("+ 2 more")


@pytest.mark.parametrize(
    "failure",
    [FileNotFoundError("dot"), subprocess.CalledProcessError(1, "dot", stderr=b"Error: syntax error in line 1")],
)
def test_a_map_graphviz_cannot_draw_is_left_out_not_a_crash(monkeypatch, failure):
    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(subprocess, "run", fail)
    ProcessFactory()

    assert map_svg(process_map()) is None


def test_a_map_too_large_to_draw_in_time_is_left_out_and_not_tried_again_at_once(client_for, viewer, monkeypatch):
    calls = []

    def too_slow(command, **kwargs):
        calls.append(kwargs["timeout"])
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", too_slow)
    HandOffFactory(item="Orders")
    client = client_for(viewer)

    first = client.get(reverse("processes:process_map")).content.decode()
    again = client.get(reverse("processes:process_map")).content.decode()

    assert calls == [LAYOUT_SECONDS]
    for body in (first, again):
        assert "<svg" not in body and "choose a unit or focus on one process" in body and "Orders" in body


def test_the_map_of_a_unit_survives_a_loop_in_the_tree(client_for, viewer):
    top = OrgUnitFactory()
    below = OrgUnitFactory(parent=top)
    ProcessFactory(org_unit=below)
    type(top).objects.filter(pk=top.pk).update(parent=below)  # only the database itself allows this

    assert client_for(viewer).get(reverse("processes:process_map"), {"org_unit": top.pk}).status_code == 200
