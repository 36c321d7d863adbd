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
import re
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
        "--recalculation-only",
        action="store_true",
        help="only the recalculation of every calculated KPI's values against its floor, on the data as it is, "
        "in a transaction rolled back (so it runs on the enterprise dataset of bench/dataset.py too)",
    )
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
    if args.recalculation_only:
        recalculation_only()
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


# The floor of the recalculation: one statement that works out every calculated KPI's values (each
# the ratio of two entered monthly ones, as both datasets build them, ×100, rounded as the app
# rounds) for every closed month, writes those that changed and their history.
RECALCULATION_FLOOR = """
    WITH pairs (kpi_id, dividend_id, divisor_id, reason) AS (VALUES {rows}),
    results AS (
        SELECT p.kpi_id, a.period_start, ROUND(a.value / NULLIF(b.value, 0) * 100, 4) AS value
        FROM pairs p
        JOIN objectives_measurement a ON a.kpi_id = p.dividend_id
        JOIN objectives_measurement b ON b.kpi_id = p.divisor_id AND b.period_start = a.period_start
        WHERE a.period_start < %s AND b.value <> 0
    ),
    written AS (
        INSERT INTO objectives_measurement AS m
            (kpi_id, period_start, value, comment, is_calculated, entered_by_id, entered_at)
        SELECT kpi_id, period_start, value, '', true, NULL, %s FROM results WHERE abs(value) < 1e16
        ON CONFLICT (kpi_id, period_start) DO UPDATE
            SET value = EXCLUDED.value, comment = '', is_calculated = true, entered_by_id = NULL,
                entered_at = EXCLUDED.entered_at
            WHERE m.value IS DISTINCT FROM EXCLUDED.value
        RETURNING m.id, m.kpi_id, m.period_start, m.value, m.comment, m.is_calculated, m.entered_by_id,
            m.entered_at, m.xmax = 0 AS created
    )
    INSERT INTO objectives_historicalmeasurement
        (id, kpi_id, period_start, value, comment, is_calculated, entered_by_id, entered_at,
         history_date, history_change_reason, history_type, history_user_id)
    SELECT w.id, w.kpi_id, w.period_start, w.value, w.comment, w.is_calculated, w.entered_by_id, w.entered_at,
        %s, p.reason, CASE WHEN w.created THEN '+' ELSE '~' END, NULL
    FROM written w JOIN pairs p ON p.kpi_id = w.kpi_id
"""
RATIO = re.compile(r"^KPI-(\d+) / KPI-(\d+) \* 100$")


def recalculation_only() -> None:
    """Times the app's recalculation of every calculated KPI's values, cold (none stored, no history
    of them) and again (nothing to change), each next to its floor from the same state, checks both
    stored the same values and history, and rolls everything back."""
    from django.db import connection, transaction
    from django.utils import timezone

    from objectives import services
    from objectives.models import KPI, Measurement
    from objectives.periods import Period

    calculated = list(KPI.objects.filter(source="formula").order_by("pk"))
    references = dict(KPI.objects.values_list("reference", "pk"))
    pairs = []
    for kpi in calculated:
        match = RATIO.match(kpi.formula)
        if match is None or kpi.frequency != "monthly":
            sys.exit(f"{kpi.reference}: the floor knows only monthly ratios of two KPIs, not {kpi.formula!r}")
        dividend, divisor = (references[f"KPI-{number}"] for number in match.groups())
        pairs.append((kpi.pk, dividend, divisor, f"Calculated from {kpi.formula}"))
    today = Measurement.objects.latest("period_start").period_start.replace(day=24)
    open_from = Period.containing("monthly", today).start
    sql = RECALCULATION_FLOOR.format(rows=", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s::text)"] * len(pairs)))
    params = [value for pair in pairs for value in pair]

    def clear():
        with connection.cursor() as cursor:
            for table in ("objectives_historicalmeasurement", "objectives_measurement"):
                cursor.execute(
                    f"DELETE FROM {table} WHERE kpi_id IN (SELECT id FROM objectives_kpi WHERE source = 'formula')"
                )  # noqa: S608

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, open_from, timezone.now(), timezone.now()])

    def stored():
        mine = Measurement.objects.filter(kpi__source="formula")
        history = Measurement.history.filter(kpi__source="formula")
        return (
            sorted(mine.values_list("kpi_id", "period_start", "value", "comment", "entered_by_id")),
            sorted(history.values_list("kpi_id", "period_start", "value", "history_type", "history_change_reason")),
        )

    rows: list[tuple[str, float, int]] = []
    with transaction.atomic():
        # The floor first: the rows it writes and the app's run then removes stay in the tables as
        # dead rows until a vacuum, which can only slow the app's run, never flatter it.
        clear()
        timed("Recalculation floor, cold", floor, rows)
        timed("Recalculation floor, again", floor, rows)
        by_floor = stored()
        clear()
        timed("Recalculation, cold", lambda: services.recalculate_values(today), rows)
        timed("Recalculation, again", lambda: services.recalculate_values(today), rows)
        by_app = stored()
        transaction.set_rollback(True)
    assert by_app == by_floor, "the floor stored other values or history than the app"
    print(f"\n{len(calculated):,} calculated KPIs, {len(by_app[0]):,} values, as of {today}\n")
    report(rows, "Recalculation", "Recalculation floor")


def report(rows: list, timed_as: str = "Status refresh", floor: str = "Status floor") -> None:
    """The timings, then `timed_as` cold and again over its `floor`."""
    print(f"{'What':<60} {'Seconds':>8} {'Queries':>8}")
    for label, seconds, queries in rows:
        print(f"{label:<60} {seconds:>8.2f} {queries:>8}")
    times = {label: seconds for label, seconds, _queries in rows}
    for case in ("cold", "again"):
        ratio = times[f"{timed_as}, {case}"] / times[f"{floor}, {case}"]
        print(f"{timed_as} {case}: {ratio:.2f}x the single statement (target <= 1.5x)")


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
