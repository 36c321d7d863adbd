"""Benchmark: the process map of a large organisation (not a test; prints timings and sizes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_map_bench .venv/bin/python bench/process_map.py

Builds (once; reused on later runs) 40 active processes — 5 management, 20 core in two value
streams of ten, 15 support — with 80 hand-offs between them (one pair of processes with five, to
show how several hand-offs share one edge) and one KPI each in a random status, so borders show
every health colour. Then times drawing the whole map and one process with its neighbours, with
Graphviz (cold) and from the cache, and the map page itself, with the number of queries; and prints
the natural size of each drawing, the size it is shown at. `--processes` and `--handoffs` change the
size; `--password` sets one for the user `bench-quality`, to look at the map in a browser
(`manage.py runserver` on the same database). Refuses any database whose name does not end in "_bench".
"""

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")

from kpis import ensure_database, timed  # noqa: E402  (bench/kpis.py, next to this script)

MANAGEMENT = [
    "Strategic planning",
    "Management review",
    "Risk and opportunity management",
    "Internal audit",
    "Document control",
]
CORE = [
    "Market analysis",
    "Sales and quoting",
    "Contract review",
    "Order entry",
    "Product design",
    "Process engineering",
    "Prototype build",
    "Purchasing",
    "Incoming inspection",
    "Production planning",
    "Machining",
    "Heat treatment",
    "Surface finishing",
    "Assembly",
    "Final inspection",
    "Packaging",
    "Warehousing",
    "Shipping",
    "Installation and commissioning",
    "Customer service",
]
SUPPORT = [
    "Human resources",
    "Training and competence",
    "Maintenance",
    "Calibration",
    "IT services",
    "Facilities",
    "Health and safety",
    "Environmental management",
    "Finance",
    "Supplier development",
    "Metrology laboratory",
    "Tooling",
    "Logistics planning",
    "Corrective action",
    "Customer feedback analysis",
]
STREAM_LENGTH = 10  # core processes in one value stream
ITEMS = [
    "Confirmed orders",
    "Released drawings",
    "Work instructions",
    "Approved material",
    "Inspection reports",
    "Nonconformity reports",
    "Trained operators",
    "Calibrated gauges",
    "Serviceable machines",
    "Approved budgets",
    "Audit results",
    "Risk register updates",
    "Customer complaints",
    "Shipping documents",
    "Packaging specifications",
    "Production schedule",
    "Released product",
    "Tool sets",
    "Supplier ratings",
    "Sales forecasts",
    "Quality objectives",
    "Test certificates",
    "Engineering change requests",
    "Capacity plans",
    "Root-cause analyses",
]


def build(process_count: int, handoff_count: int, *, rebuild: bool = False) -> None:
    from django.db import connection, transaction

    from objectives.models import KPI
    from processes.models import HandOff, Process
    from qms.models import ReferenceCounter, User

    if not rebuild and Process.objects.count() == process_count and HandOff.objects.count() == handoff_count:
        print(f"Reusing {process_count} processes and {handoff_count} hand-offs already built.")
        return
    rng = random.Random(7)
    kinds = [(name, "management") for name in MANAGEMENT] + [(name, "core") for name in CORE]
    kinds += [(name, "support") for name in SUPPORT]
    names = []
    for i in range(process_count):  # beyond 40, the same names again with a number
        name, kind = kinds[i % len(kinds)]
        names.append((name if i < len(kinds) else f"{name} {i // len(kinds) + 1}", kind))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE processes_handoff, processes_historicalhandoff, objectives_kpi_processes, objectives_kpi, "
                "processes_process, qms_user CASCADE"
            )
        quality = User.objects.create(
            username="bench-quality", role="quality_manager", first_name="Quality", last_name="Manager"
        )
        processes = Process.objects.bulk_create(
            Process(reference=f"PRC-{i:03d}", name=name, type=kind, status="active", owner=quality)
            for i, (name, kind) in enumerate(names, 1)
        )
        by_kind = {kind: [p for p in processes if p.type == kind] for kind in ("management", "core", "support")}
        core = by_kind["core"]
        pairs: dict[tuple[int, int], set[str]] = {}

        def add(source, target, item):
            if source.pk != target.pk:
                pairs.setdefault((source.pk, target.pk), set()).add(item)

        streams = [core[i : i + STREAM_LENGTH] for i in range(0, len(core), STREAM_LENGTH)]
        for stream in streams:  # the flow of each value stream, from enquiry to delivery
            for left, right in zip(stream, stream[1:], strict=False):
                add(left, right, rng.choice(ITEMS))
        for item in rng.sample(ITEMS, 5):  # one pair with many hand-offs
            add(core[4], core[5], item)
        while sum(len(items) for items in pairs.values()) < handoff_count:
            kind = rng.random()
            if kind < 0.35:  # support serves the core
                source, target = rng.choice(by_kind["support"]), rng.choice(core)
            elif kind < 0.55:  # the core reports to management
                source, target = rng.choice(core), rng.choice(by_kind["management"])
            elif kind < 0.7:  # management steers
                source, target = rng.choice(by_kind["management"]), rng.choice(core + by_kind["support"])
            elif kind < 0.85:  # further along a value stream
                stream = rng.choice(streams)
                i = rng.randrange(len(stream))
                source, target = stream[i], stream[min(len(stream) - 1, i + rng.randint(1, 3))]
            else:
                source, target = rng.choice(core), rng.choice(by_kind["support"])
            add(source, target, rng.choice(ITEMS))
        HandOff.objects.bulk_create(
            HandOff(source_id=source, target_id=target, item=item)
            for (source, target), items in pairs.items()
            for item in sorted(items)
        )
        kpis = KPI.objects.bulk_create(
            KPI(
                reference=f"KPI-{i:03d}",
                name=f"Measure of {process.name}",
                owner=quality,
                target=95,
                status=rng.choice(["on_target", "warning", "off_target", "no_data"]),
            )
            for i, process in enumerate(processes, 1)
        )
        KPI.processes.through.objects.bulk_create(
            KPI.processes.through(kpi_id=kpi.pk, process_id=process.pk)
            for kpi, process in zip(kpis, processes, strict=True)
        )
        ReferenceCounter.objects.update_or_create(prefix="PRC", defaults={"last_number": process_count})
        ReferenceCounter.objects.update_or_create(prefix="KPI", defaults={"last_number": process_count})
    print(f"Built {process_count} processes with {HandOff.objects.count()} hand-offs between {len(pairs)} pairs.")


def natural_size(svg: str | None) -> str:
    if svg is None:
        return "not drawn: Graphviz took too long (see LAYOUT_SECONDS in processes/process_map.py)"
    width, height = (float(n) * 4 / 3 for n in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    return f"shown at its natural size, {width:.0f} × {height:.0f} px"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=40)
    parser.add_argument("--handoffs", type=int, default=80)
    parser.add_argument("--password", help="Set this password for the user bench-quality.")
    parser.add_argument("--rebuild", action="store_true", help="Build the processes again, e.g. after changing how.")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    ensure_database(url)

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from processes.models import Process
    from processes.process_map import map_svg, process_map
    from processes.tasks import draw_process_map
    from qms.models import User

    call_command("migrate", verbosity=0)
    build(args.processes, args.handoffs, rebuild=args.rebuild)
    quality = User.objects.get(username="bench-quality")
    if args.password:
        quality.set_password(args.password)
        quality.save(update_fields=["password"])

    busiest = max(Process.objects.all(), key=lambda p: p.handoffs_in.count() + p.handoffs_out.count())
    rows: list[tuple[str, float, int]] = []
    sizes = []
    for label, focus in (("Whole map", None), (f"{busiest.reference} and its neighbours", busiest)):
        cache.clear()
        svg = timed(f"{label}: drawn by Graphviz", lambda focus=focus: map_svg(process_map(focus=focus)), rows)
        timed(f"{label}: from the cache", lambda focus=focus: map_svg(process_map(focus=focus)), rows)
        sizes.append((label, natural_size(svg)))
    cache.clear()
    timed("Whole map: drawn by the worker's task", draw_process_map, rows)
    client = Client(SERVER_NAME="localhost")
    client.force_login(quality)
    page = reverse("processes:process_map")
    client.get(page)
    times = []
    for _run in range(20):
        start = time.perf_counter()
        response = client.get(page)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200 and b"<svg" in response.content, response.status_code
    times.sort()
    rows.append(("Map page (drawn), p50 of 20", times[9], None))
    rows.append(("Map page (drawn), p95 of 20", times[18], None))

    print(f"\n{'What':<52} {'Seconds':>8} {'Queries':>8}")
    for label, seconds, queries in rows:
        print(f"{label:<52} {seconds:>8.3f} {queries if queries is not None else '':>8}")
    print()
    for label, size in sizes:
        print(f"{label}: {size}")


if __name__ == "__main__":
    main()
