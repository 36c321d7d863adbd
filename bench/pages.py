"""Page benchmark at enterprise scale (issue 12): every page as three people, against a floor view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_enterprise_bench .venv/bin/python bench/pages.py

Builds the enterprise dataset if it is not there (bench/dataset.py), then, in-process (Django's
test client, the app's real middleware and sessions, DEBUG off), requests every list (the two
longest also searched, sorted and narrowed to a process), the dashboard, My work, the process page
of the busiest process, detail pages and the API lists (first and last page) as a quality manager,
the busiest process owner and a viewer. Each request of a page is preceded by one of the floor view
(bench/floor.py: one query, a tiny template, the same middleware), so both see the same machine
load. Prints, per page and person: the queries, p50 and p95 of the page, the milliseconds spent in
SQL (p50), the size, and p50 over the floor's p50.

    --pages action,risk   only pages whose label contains one of these words
    --users quality       only these people (quality, owner, viewer)
    --runs 21             timed requests per page and person (after one untimed); 21 so that p95 is
                          not simply the slowest one
    --profile "Action list"   cProfile one page (the first person) and print where time goes
    --slow                print the three slowest queries of each page and person
"""

import argparse
import base64
import os
import statistics
import sys
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings_bench"

import dataset  # noqa: E402  (bench/dataset.py)

LAST_PAGE = base64.b64encode(b"r=1").decode()
API_APPS = ("processes", "objectives", "risks", "nonconformities", "audits", "reviews", "qms")


def pages() -> list[tuple[str, str]]:
    """(label, URL) of every page measured, from the apps' URL names."""
    from django.db.models import Count
    from django.urls import reverse

    from audits.models import Audit
    from nonconformities.models import Nonconformity
    from objectives.models import KPI, Objective
    from processes.models import Process
    from qms.history import history_page
    from qms.hub import section_names
    from qms.models import Action
    from qms.views.generic import HISTORY_PAGE
    from risks.models import Risk

    busiest = dataset.busiest_process()
    median = Process.objects.annotate(n=Count("qms_action_records")).order_by("n", "pk")[150]
    action = Action.objects.filter(processes=busiest, status="open").order_by("pk").first()
    risk = Risk.objects.filter(processes=busiest).order_by("-residual_score", "pk").first()
    kpi = KPI.objects.filter(processes=busiest, source="manual").order_by("pk").first()
    audit = Audit.objects.filter(status="closed").order_by("-planned_start").first()
    objective = Objective.objects.exclude(main_kpi=None).order_by("pk").first()
    nonconformity = Nonconformity.objects.order_by("-pk").first()
    older = history_page(kpi, newest=HISTORY_PAGE).older
    older_kpi_changes = urlencode({"before": older.isoformat()}) if older else ""
    r = reverse
    rows = [
        ("Dashboard", r("qms:dashboard")),
        ("My work", r("qms:my_work")),
        ("Action list", r("qms:action_list")),
        ("Action list, overdue", r("qms:action_list") + "?overdue=1"),
        # What people do to the longest lists: search them, sort them, narrow them to a process.
        ("Action list, searched", r("qms:action_list") + "?q=supplier"),
        ("Action list, by title", r("qms:action_list") + "?o=title"),
        ("Action list, by owner", r("qms:action_list") + "?o=-owner"),
        ("Action list, busiest process", r("qms:action_list") + f"?process={busiest.pk}"),
        ("Process list", r("processes:process_list")),
        ("Process map", r("processes:process_map")),
        ("Objectives overview", r("objectives:index")),
        ("Objective list", r("objectives:objective_list")),
        ("KPI list", r("objectives:kpi_list")),
        ("My measures", r("objectives:my_measures")),
        ("Risk list", r("risks:risk_list")),
        ("Risk list, searched", r("risks:risk_list") + "?q=supplier"),
        ("Risk list, by review date", r("risks:risk_list") + "?o=review"),
        ("Heat map", r("risks:heat_map")),
        ("Audit programmes", r("audits:auditprogramme_list")),
        ("Audit list", r("audits:audit_list")),
        ("Finding list", r("audits:finding_list")),
        ("Nonconformity list", r("nonconformities:nonconformity_list")),
        ("Context issue list", r("reviews:contextissue_list")),
        ("Interested party list", r("reviews:interestedparty_list")),
        ("People list", r("qms:user_list")),
        ("Org unit list", r("qms:orgunit_list")),
        ("Evidence pack list", r("packs:evidencepack_list")),
        ("Process page, busiest", r("processes:process_detail", args=[busiest.pk])),
        ("Process page, median", r("processes:process_detail", args=[median.pk])),
        # The sections the process page loads once it shows (htmx requests; see SECTION_HEADERS).
        *[
            (f"Process page section {name}, busiest", r("processes:process_section", args=[busiest.pk, name]))
            for name in section_names("process")
        ],
        ("Process history, busiest", r("processes:process_history", args=[busiest.pk])),
        ("Action page", r("qms:action_detail", args=[action.pk])),
        ("Action history", r("qms:action_history", args=[action.pk])),
        ("Risk page", r("risks:risk_detail", args=[risk.pk])),
        ("KPI page (120 values)", r("objectives:kpi_detail", args=[kpi.pk])),
        ("KPI history", r("objectives:kpi_history", args=[kpi.pk])),
        ("KPI history, older changes", r("objectives:kpi_history", args=[kpi.pk]) + "?" + older_kpi_changes),
        ("Objective page", r("objectives:objective_detail", args=[objective.pk])),
        ("Audit page", r("audits:audit_detail", args=[audit.pk])),
        ("Nonconformity page", r("nonconformities:nonconformity_detail", args=[nonconformity.pk])),
        ("Person page, busiest owner", r("qms:user_detail", args=[busiest.owner_id])),
    ]
    for app in API_APPS:
        for prefix, _viewset, basename in import_module(f"{app}.api.urls").router.registry:
            if prefix in ("attachments", "checklist-items"):
                continue
            rows.append((f"API {prefix}, first page", r(f"{basename}-list")))
            # The cursor of the last page: DRF's encoding of "reversed, from the end" (r=1).
            rows.append((f"API {prefix}, last page", r(f"{basename}-list") + "?cursor=" + LAST_PAGE))
    return rows


class Counter:
    """Counts the queries of a request and the time they take."""

    def __init__(self):
        self.queries, self.seconds, self.slowest = 0, 0.0, []

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - start
            self.seconds += seconds
            self.slowest = sorted([*self.slowest, (seconds, sql)], reverse=True)[:3]


def headers_for(url: str) -> dict[str, str]:
    """A page's sections are asked for by htmx, as the page does; other URLs as a browser opens them."""
    return {"HX-Request": "true"} if "/sections/" in url else {}


def timed_get(client, url: str) -> tuple[float, Counter, int]:
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        response = client.get(url, headers=headers_for(url))
        seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    size = len(response.content) if not response.streaming else 0
    return seconds, counter, size


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def profile(client, url: str, runs: int) -> None:
    import cProfile
    import pstats

    client.get(url, headers=headers_for(url))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url, headers=headers_for(url))
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
    stats.print_stats(int(os.environ.get("BENCH_LINES", 35)))
    if os.environ.get("BENCH_CALLERS"):
        stats.print_callers(os.environ["BENCH_CALLERS"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="", help="comma-separated words; a page runs if its label has one")
    parser.add_argument("--users", default="quality,owner,viewer")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--profile", default="", help="label of one page to profile instead of measuring")
    parser.add_argument("--slow", action="store_true", help="print the three slowest queries of each page")
    args = parser.parse_args()
    dataset.setup()
    from qms.wsgi import settle_worker

    settle_worker()  # as each web worker does once the app is loaded
    dataset.build()

    from django.test import Client
    from django.urls import reverse

    from qms.models import User

    people = {
        "quality": User.objects.get(username="quality"),
        "owner": dataset.busiest_owner(),
        "viewer": User.objects.get(username="viewer"),
    }
    wanted = [w.strip().lower() for w in args.pages.split(",") if w.strip()]
    rows = [(label, url) for label, url in pages() if not wanted or any(w in label.lower() for w in wanted)]
    floor_url = reverse("bench_floor")
    clients = {}
    for who in args.users.split(","):
        client = Client(SERVER_NAME="localhost")
        client.force_login(people[who])
        clients[who] = client
    if args.profile:
        label, url = next((lab, u) for lab, u in rows if lab.lower() == args.profile.lower())
        profile(next(iter(clients.values())), url, args.runs)
        return

    print(f"\n{len(rows)} pages x {len(clients)} people x {args.runs} runs; owner = {people['owner'].username}\n")
    header = (
        f"{'page':<34} {'who':<7} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'SQL ms':>7} {'KB':>6} {'x floor':>8}"
    )
    print(header)
    print("-" * len(header))
    all_floors = []
    for label, url in rows:
        for who, client in clients.items():
            client.get(url)  # warm: templates, caches, content types
            page_times, floor_times, sql_times = [], [], []
            counter, size = None, 0
            for _ in range(args.runs):
                floor_seconds, _c, _s = timed_get(client, floor_url)
                seconds, counter, size = timed_get(client, url)
                floor_times.append(floor_seconds)
                page_times.append(seconds)
                sql_times.append(counter.seconds)
            all_floors += floor_times
            p50, p95 = statistics.median(page_times) * 1000, percentile(page_times, 0.95) * 1000
            floor = statistics.median(floor_times) * 1000
            print(
                f"{label:<34} {who:<7} {counter.queries:>7} {p50:>8.1f} {p95:>8.1f} "
                f"{statistics.median(sql_times) * 1000:>7.1f} {size / 1024:>6.0f} {p50 / floor:>7.1f}x",
                flush=True,
            )
            for seconds, sql in counter.slowest if args.slow else ():
                print(f"    {seconds * 1000:7.1f} ms  {sql[:300]}")
    floor_counter = timed_get(next(iter(clients.values())), floor_url)[1]
    print(
        f"\nFloor view: {floor_counter.queries} queries, p50 {statistics.median(all_floors) * 1000:.1f} ms, "
        f"p95 {percentile(all_floors, 0.95) * 1000:.1f} ms over {len(all_floors)} requests."
    )


if __name__ == "__main__":
    main()
