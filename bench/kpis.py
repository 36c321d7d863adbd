"""Benchmark: KPI recalculation and the KPI pages at scale (not a test; prints timings).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_bench .venv/bin/python bench/kpis.py

Builds (once; reused on later runs) 5,000 KPIs owned by 200 people across 150 processes, a tenth of
them calculated from two others, with ten years of monthly values for the entered ones (540,000
rows, loaded with COPY) — 600,000 values once the calculated ones are worked out. Then times the
full nightly recalculation (cold, then again, when it must change nothing), the status refresh
alone, and "My measures" and the KPI list as a process owner and as a quality manager, with the
number of queries each took. Refuses any database whose name does not end in "_bench".
"""

import argparse
import os
import random
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")


def ensure_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if not name.endswith("_bench"):
        sys.exit(f"Refusing to run on {name!r}: the benchmark database's name must end in _bench.")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def build(kpi_count: int, years: int) -> None:
    from django.db import connection, transaction

    from objectives.models import KPI
    from processes.models import Process
    from qms.models import ReferenceCounter, User

    if KPI.objects.count() == kpi_count:
        print(f"Reusing {kpi_count} KPIs already built.")
        return
    rng = random.Random(42)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE objectives_measurement, objectives_historicalmeasurement, objectives_kpi_processes, "
                "objectives_kpi, processes_process, qms_user CASCADE"
            )
        users = User.objects.bulk_create(
            [
                User(username=f"bench{i:03d}", role="process_owner", first_name="Owner", last_name=str(i))
                for i in range(200)
            ]
            + [User(username="bench-quality", role="quality_manager", first_name="Quality", last_name="Manager")]
        )
        owners = users[:200]
        processes = Process.objects.bulk_create(
            [
                Process(reference=f"PRC-{i:05d}", name=f"Process {i}", status="active", owner=owners[i % 200])
                for i in range(1, 151)
            ]
        )
        manual = kpi_count - kpi_count // 10
        kpis = [
            KPI(
                reference=f"KPI-{i:05d}",
                name=f"Measure {i}",
                unit="%",
                owner=owners[i % 200],
                target=95,
                warning=90,
                valid_min=0,
                measured_from=date(2000, 1, 1),
                source="manual",
            )
            for i in range(1, manual + 1)
        ]
        kpis += [
            KPI(
                reference=f"KPI-{i:05d}",
                name=f"Ratio {i}",
                unit="%",
                owner=owners[i % 200],
                target=95,
                warning=90,
                measured_from=date(2000, 1, 1),
                source="formula",
                formula=f"KPI-{rng.randint(1, manual):05d} / KPI-{rng.randint(1, manual):05d} * 100",
            )
            for i in range(manual + 1, kpi_count + 1)
        ]
        kpis = KPI.objects.bulk_create(kpis, batch_size=1000)
        KPI.processes.through.objects.bulk_create(
            [KPI.processes.through(kpi_id=k.pk, process_id=processes[n % 150].pk) for n, k in enumerate(kpis)],
            batch_size=5000,
        )
        ReferenceCounter.objects.update_or_create(prefix="KPI", defaults={"last_number": kpi_count})
        ReferenceCounter.objects.update_or_create(prefix="PRC", defaults={"last_number": 150})
        starts = [date(2016 + (m // 12), m % 12 + 1, 1) for m in range(years * 12)]
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY objectives_measurement (kpi_id, period_start, value, comment, is_calculated, entered_at) "
                "FROM STDIN"
            ) as copy,
        ):
            for kpi in kpis[:manual]:
                level = rng.uniform(85, 100)
                for start in starts:
                    level = min(100, max(0, level + rng.uniform(-1.5, 1.5)))
                    copy.write_row((kpi.pk, start, round(level, 2), "", False, "2026-01-01 00:00:00+00"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Built {kpi_count} KPIs with {manual * len(starts)} entered values.")


def timed(label: str, call, rows: list) -> object:
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
    rows.append((label, seconds, queries))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpis", type=int, default=5000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument(
        "--statuses-only",
        action="store_true",
        help="only the status refresh against its floor, on the data as it is, in a transaction rolled back "
        "(so it runs on the enterprise dataset of bench/dataset.py too)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from objectives import services
    from objectives.models import KPI, Measurement
    from qms.models import User

    if args.statuses_only:
        statuses_only()
        return
    call_command("migrate", verbosity=0)
    build(args.kpis, args.years)

    # Start cold, the same on every run: no calculated values, no history of them and no statuses,
    # as after a bulk load; then vacuum, so earlier runs leave no dead rows behind.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM objectives_measurement WHERE is_calculated")
        cursor.execute("TRUNCATE objectives_historicalmeasurement")
    KPI.objects.update(status="no_data", latest_period=None, latest_value=None)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    today = date(2026, 11, 24)
    rows: list[tuple[str, float, int]] = []
    first = timed("Full recalculation (cold)", lambda: services.recalculate_all(today=today), rows)
    second = timed("Full recalculation (again: changes nothing)", lambda: services.recalculate_all(today=today), rows)
    timed("Status refresh of every KPI", lambda: services.kpi_refresh_statuses(KPI.objects.all(), today=today), rows)
    status_floor(today, rows)

    owner, quality = User.objects.get(username="bench007"), User.objects.get(username="bench-quality")
    for who, user in (("process owner", owner), ("quality manager", quality)):
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        for label, url in (
            ("My measures", reverse("objectives:my_measures")),
            ("KPI list, first page", reverse("objectives:kpi_list")),
            ("KPI list, off target", reverse("objectives:kpi_list") + "?status=off_target"),
        ):
            client.get(url)  # warm the process (templates, content types)
            response = timed(f"{label} ({who})", lambda url=url, client=client: client.get(url), rows)
            assert response.status_code == 200, (url, response.status_code)

    print(f"\n{Measurement.objects.count():,} values; first run {first}; second run {second}\n")
    report(rows)


# The floor of the status refresh: one statement that reads every KPI's latest value and writes it
# with the status (the statuses as the app decides them: the rules are Python), and, when nothing
# changes, the read alone.
LATEST = """
    SELECT v.column1 AS id, v.column2 AS status, l.period_start, l.value
    FROM (VALUES {rows}) AS v
    LEFT JOIN LATERAL (
        SELECT m.period_start, m.value FROM objectives_measurement m
        WHERE m.kpi_id = v.column1 ORDER BY m.period_start DESC LIMIT 1
    ) l ON true
"""
FLOOR = """
    UPDATE objectives_kpi k SET status = n.status, latest_period = n.period_start, latest_value = n.value
    FROM ({latest}) n WHERE k.id = n.id
"""


def statuses_only() -> None:
    from django.db import transaction

    from objectives.models import KPI, Measurement

    today = Measurement.objects.latest("period_start").period_start.replace(day=24)
    rows: list[tuple[str, float, int]] = []
    with transaction.atomic():
        status_floor(today, rows)
        transaction.set_rollback(True)
    print(f"\n{KPI.objects.count():,} KPIs, {Measurement.objects.count():,} values, as of {today}\n")
    report(rows)


def report(rows: list) -> None:
    print(f"{'What':<60} {'Seconds':>8} {'Queries':>8}")
    for label, seconds, queries in rows:
        print(f"{label:<60} {seconds:>8.2f} {queries:>8}")
    times = {label: seconds for label, seconds, _queries in rows}
    for case in ("cold", "again"):
        ratio = times[f"Status refresh, {case}"] / times[f"Status floor, {case}"]
        print(f"Status refresh {case}: {ratio:.2f}x the single statement (target <= 1.5x)")


def status_floor(today, rows: list) -> None:
    """Times the app's status refresh cold (every status cleared) and again (nothing to change),
    each next to its single-statement floor, from the same state."""
    from django.db import connection

    from objectives import services
    from objectives.models import KPI

    statuses = list(KPI.objects.order_by("pk").values_list("pk", "status", "latest_period", "latest_value"))
    rows_sql = ", ".join(["(%s, CAST(%s AS varchar(20)))"] * len(statuses))
    params = [value for pk, status, _period, _value in statuses for value in (pk, status)]

    def clear():
        KPI.objects.update(status="no_data", latest_period=None, latest_value=None)

    def statement(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql.format(latest=LATEST.format(rows=rows_sql), rows=rows_sql), params)

    clear()

    def refresh():
        return services.kpi_refresh_statuses(KPI.objects.all(), today=today)

    timed("Status refresh, cold", refresh, rows)
    timed("Status refresh, again", refresh, rows)
    clear()
    written_by = services._update_rows
    services._update_rows = lambda model, objs, fields: model.objects.bulk_update(
        [model(**vars(obj)) for obj in objs], fields, batch_size=1000
    )
    try:
        timed("Status refresh, cold, with bulk_update (before)", refresh, rows)
    finally:
        services._update_rows = written_by
    clear()
    timed("Status floor, cold", lambda: statement(FLOOR), rows)
    timed("Status floor, again", lambda: statement(LATEST), rows)
    after = list(KPI.objects.order_by("pk").values_list("pk", "status", "latest_period", "latest_value"))
    assert after == statuses, "the floor wrote other statuses than the app"


if __name__ == "__main__":
    main()
