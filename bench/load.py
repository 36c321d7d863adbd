"""Load test at enterprise scale (issue 12): 20 signed-in people for 60 s against gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_enterprise_bench .venv/bin/python bench/load.py

Builds the enterprise dataset if it is not there (bench/dataset.py), starts gunicorn with 2 sync
workers on a free port (the benchmark's settings: DEBUG off, the floor view at /bench/floor/), signs
in 20 people (the quality manager, the busiest process owner, a viewer and the 17 next busiest
owners; sessions made in this process, as a login would leave them), and runs one thread per
person for `--seconds`, each sending its next request as soon as the last one answered (a closed
loop: the server's most, with every person always waiting on it), or, with `--rate`, at random
moments that together offer that many requests a second (Poisson arrivals), each request's time
counted from the moment it was due, so a server that falls behind pays for the wait:
70% lists (actions, risks, KPIs, processes, nonconformities, the dashboard, My work), 20% detail
pages (a random action, risk, KPI or process; a process page then loads its sections, as a browser
does, one after the other), 10% value saves (the htmx POST of My measures, a
value for the current month of a KPI the person owns). Then the same threads request only the
floor view for as long. Prints requests/s (those answered, over the time until the last answer),
p50, p95 and errors for both, and per kind of request.
Only the standard library speaks HTTP here (http.client).
"""

import argparse
import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings_bench"

import dataset  # noqa: E402  (bench/dataset.py)


def positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings_bench", PYTHONPATH=f"{BENCH}{os.pathsep}{BENCH.parent}")
    server = subprocess.Popen(  # noqa: S603  (our own venv's gunicorn, fixed arguments)
        [
            str(gunicorn),
            "qms.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=sync",
            "--timeout=120",
            "--log-level=warning",
        ],
        cwd=BENCH.parent,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


class Person:
    """One signed-in person: a session cookie, a CSRF token, the KPIs they may enter values for."""

    def __init__(self, user, kpi_ids: list[int]):
        from django.test import Client

        client = Client()
        client.force_login(user)
        self.username = user.username
        self.csrf = secrets.token_hex(16)  # an unmasked secret: Django accepts it as cookie and header
        self.cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={self.csrf}"
        self.kpi_ids = kpi_ids


def targets() -> dict[str, list[str]]:
    from django.urls import reverse

    from objectives.models import KPI
    from processes.models import Process
    from qms.hub import section_names
    from qms.models import Action
    from risks.models import Risk

    rng = random.Random(7)

    def sample(model, n=200, **filters):
        ids = list(model.objects.filter(**filters).values_list("pk", flat=True))
        return rng.sample(ids, min(n, len(ids)))

    processes = sample(Process, 50)
    return {
        "list": [
            reverse("qms:action_list"),
            reverse("risks:risk_list"),
            reverse("objectives:kpi_list"),
            reverse("processes:process_list"),
            reverse("nonconformities:nonconformity_list"),
            reverse("qms:dashboard"),
            reverse("qms:my_work"),
        ],
        "detail": [reverse("qms:action_detail", args=[pk]) for pk in sample(Action)]
        + [reverse("risks:risk_detail", args=[pk]) for pk in sample(Risk)]
        + [reverse("objectives:kpi_detail", args=[pk]) for pk in sample(KPI, source="manual")]
        + [reverse("processes:process_detail", args=[pk]) for pk in processes],
        # What a process page asks for once it shows, as a browser would, one after the other.
        "sections": {
            reverse("processes:process_detail", args=[pk]): [
                reverse("processes:process_section", args=[pk, name]) for name in section_names("process")
            ]
            for pk in processes
        },
    }


def worker(port, person, urls, mix, stop_at, results, seed, rate):
    from django.urls import reverse

    rng = random.Random(seed)
    due = time.monotonic()
    while True:
        if rate:
            due += rng.expovariate(rate)
            time.sleep(max(0.0, due - time.monotonic()))
        else:
            due = time.monotonic()
        if due >= stop_at:
            return
        draw = rng.random()
        headers = {"Cookie": person.cookie, "Host": f"localhost:{port}"}
        body = None
        if mix == "floor":
            kind, method, url = "floor", "GET", "/bench/floor/"
        elif draw < 0.7 or (draw >= 0.9 and not person.kpi_ids):
            kind, method, url = "list", "GET", rng.choice(urls["list"])
        elif draw < 0.9:
            kind, method, url = "detail", "GET", rng.choice(urls["detail"])
        else:
            kind, method = "save", "POST"
            url = reverse("objectives:measurement_enter", args=[rng.choice(person.kpi_ids)])
            body = urlencode({"period": "2026-11", "value": f"{rng.uniform(80, 100):.2f}", "comment": ""})
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": person.csrf,
                    "HX-Request": "true",
                    "Referer": f"http://localhost:{port}/",
                    "Origin": f"http://localhost:{port}",
                }
            )
        results.append(fetch(port, kind, method, url, headers, body, since=due))
        for section in urls["sections"].get(url, []):
            results.append(fetch(port, "section", "GET", section, {**headers, "HX-Request": "true"}))


def fetch(port, kind, method, url, headers, body=None, since=None) -> tuple:
    """(kind, seconds from `since` (default: now) to the whole answer, status, url)."""
    start = time.monotonic() if since is None else since
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request(method, url, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        connection.close()
    except OSError as error:
        status = f"{type(error).__name__}"
    return kind, time.monotonic() - start, status, url


def run(port, people, urls, mix, seconds, rate=0.0) -> tuple[list, float]:
    """Every person's requests for `seconds`, and the seconds until the last one was answered;
    `rate`, if given, is the requests a second offered by all of them together (their process pages'
    sections come on top, as a browser asks for them). Each person has one request out at a time: one
    that falls behind sends its late requests at once, and their wait counts."""
    results: list = []
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(target=worker, args=(port, person, urls, mix, stop_at, results, n, rate / len(people)))
        for n, person in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def report(title: str, run_result: tuple[list, float]) -> None:
    """Requests a second over the time until the last answer: what the server got through."""
    results, seconds = run_result
    print(f"\n{title}")
    print(f"{'kind':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    groups = defaultdict(list)
    for row in results:
        groups[row[0]].append(row)
    groups = {"all": results, **groups}
    for kind, rows in groups.items():
        times = sorted(r[1] for r in rows)
        errors = [r for r in rows if not (isinstance(r[2], int) and r[2] < 400)]
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{kind:<8} {len(rows):>8} {len(rows) / seconds:>7.1f} {statistics.median(times) * 1000:>8.0f} "
            f"{p95 * 1000:>8.0f} {len(errors):>6}"
        )
    errors = [r for r in results if not (isinstance(r[2], int) and r[2] < 400)]
    for kind, _t, status, url in errors[:5]:
        print(f"  error: {kind} {url} -> {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--rate",
        type=positive,
        action="append",
        default=[],
        help="also run the mix at this many requests a second offered (repeatable)",
    )
    args = parser.parse_args()
    dataset.setup()
    dataset.build()

    from django.db.models import Count

    from objectives.models import KPI
    from qms.models import User

    busiest = dataset.busiest_owner()
    owners = list(
        User.objects.filter(role__in=["process_owner", "contributor", "leadership"])
        .exclude(pk=busiest.pk)
        .annotate(n=Count("objectives_kpi_owned"))
        .order_by("-n", "pk")[: args.users - 3]
    )
    users = [User.objects.get(username="quality"), busiest, User.objects.get(username="viewer"), *owners]
    people = []
    for user in users[: args.users]:
        kpis = list(KPI.objects.filter(owner=user, source="manual").values_list("pk", flat=True)[:50])
        if user.username == "quality":
            kpis = list(KPI.objects.filter(source="manual").values_list("pk", flat=True)[:50])
        people.append(Person(user, kpis))
    urls = targets()
    port = args.port or free_port()
    server = start_server(port, args.workers)
    try:
        print(f"gunicorn ({args.workers} workers) on port {port}; {len(people)} people; {args.seconds:.0f} s each run")
        run(port, people, urls, "mix", 5)  # warm both workers
        mixed = run(port, people, urls, "mix", args.seconds)
        report("Mix: 70% lists, 20% detail pages, 10% value saves, a closed loop", mixed)
        for rate in args.rate:
            offered = run(port, people, urls, "mix", args.seconds, rate)
            report(f"The same mix offered at {rate:g} requests/s (sections on top)", offered)
        floor = run(port, people, urls, "floor", args.seconds)
        report("Floor view only", floor)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
