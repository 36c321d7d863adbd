"""Benchmark: the management review pack at enterprise size (not a test; prints timings).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_review_bench .venv/bin/python bench/review.py

Builds (once; reused on later runs) the KPIs of bench/kpis.py (5,000 KPIs, ten years of monthly
values), then around them: 20,000 risks and opportunities with their history (a tenth moved band in
the last six months), 100,000 actions (treatments, corrective actions, improvements; a share
overdue), 5,000 nonconformities (a fifth of them complaints), 2,000 audits with 40,000 findings,
300 objectives, and two earlier reviews with 60 decisions each. Then times, for a review covering
the last six months:

- compiling the pack cold (chart cache cleared, so its trend charts are drawn), with its queries;
- the live pack: compile and render, `--runs` times, charts cached as they are after the first
  view (p50, p95, queries);
- the live page's way, `live_pack` (figures reused for a minute, notes read afresh) and render;
- the review page itself through Django's test client: its first view, which compiles the pack
  while it waits, then later views, which show the pack compiled last (a worker refreshes it);
- freezing: compile, canonical JSON and SHA-256, saved on the review.

Refuses any database whose name does not end in "_bench".
"""

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")

from kpis import build as build_kpis  # noqa: E402  (bench/kpis.py, next to this script)
from kpis import ensure_database  # noqa: E402

RISKS = 20_000
ACTIONS = 100_000
NCS = 5_000
AUDITS = 2_000
FINDINGS_PER_AUDIT = 20
OBJECTIVES = 300
TODAY = date(2026, 11, 24)


def build() -> None:
    """Everything but the KPIs, in bulk (with history where the pack reads it), unless it exists."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from audits.choices import AuditStatus, FindingKind
    from audits.models import Audit, AuditProgramme, Finding
    from nonconformities.choices import NCStatus, Origin, Severity
    from nonconformities.models import Nonconformity
    from objectives.models import KPI, Objective, StrategicTheme
    from processes.models import Process
    from qms.choices import ActionKind, ActionStatus, Role
    from qms.history import bulk_create_with_history
    from qms.models import Action, ReferenceCounter, User
    from reviews.choices import OutputKind, ReviewInput, ReviewStatus
    from reviews.models import ManagementReview, ReviewDecision
    from risks.choices import Band, Category, RiskKind, RiskStatus, Strategy
    from risks.models import Risk

    if ManagementReview.objects.filter(title="Bench review").exists():
        print("Reusing the dataset already built.")
        return
    users = list(User.objects.filter(username__startswith="bench").order_by("pk"))
    lead, _created = User.objects.get_or_create(
        username="bench-lead", defaults={"role": Role.LEADERSHIP, "first_name": "Lea", "last_name": "Der"}
    )
    processes = list(Process.objects.order_by("pk"))
    now = timezone.now()
    start = TODAY - timedelta(days=182)

    def instant(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))

    with transaction.atomic():
        # KPIs: a third measure activity; some are tagged for customers and external providers.
        ids = list(KPI.objects.order_by("pk").values_list("pk", flat=True))
        KPI.objects.filter(pk__in=ids[::3]).update(nature="activity")
        KPI.objects.filter(pk__in=ids[1::50]).update(review_topic="customer")
        KPI.objects.filter(pk__in=ids[2::50]).update(review_topic="supplier")
        theme = StrategicTheme.objects.create(title="Bench theme", owner=users[0], reference="THM-90001")
        objectives = Objective.objects.bulk_create(
            [
                Objective(
                    reference=f"OBJ-{n:05d}",
                    theme=theme,
                    title=f"Objective {n}",
                    owner=users[n % 200],
                    due_date=start + timedelta(days=n * 3),
                    main_kpi_id=ids[n * 10],
                )  # fmt: skip
                for n in range(OBJECTIVES)
            ]
        )
        KPI.objectives.through.objects.bulk_create(
            [
                KPI.objectives.through(kpi_id=ids[n * 10 + k], objective_id=o.pk)
                for n, o in enumerate(objectives)
                for k in range(3)
            ]
        )
        # Risks, with history: created two years ago; a tenth moved band in the period.
        bands = Band.values
        risks = []
        for n in range(RISKS):
            kind = RiskKind.OPPORTUNITY if n % 10 == 0 else RiskKind.RISK
            risks.append(
                Risk(
                    reference=f"{'OPP' if kind == RiskKind.OPPORTUNITY else 'RSK'}-{n:05d}",
                    kind=kind,
                    title=f"Risk {n}",
                    category=Category.PRODUCT,
                    owner=users[n % 200],
                    strategy=Strategy.REDUCE,
                    status=RiskStatus.CLOSED if n % 7 == 0 else RiskStatus.IN_TREATMENT,
                    inherent_likelihood=3,
                    inherent_impact=3,
                    inherent_score=9,
                    inherent_band=bands[1],
                    residual_likelihood=2,
                    residual_impact=2,
                    residual_score=4,
                    residual_band=bands[n % 3],
                )  # fmt: skip
            )
        risks = bulk_create_with_history(risks, Risk, when=instant(TODAY - timedelta(days=730)))
        moved = risks[::10]
        for n, risk in enumerate(moved):
            risk.residual_band = bands[(bands.index(risk.residual_band) + 1 + n % 2) % 4]
        bulk_create_history = Risk.history.bulk_history_create
        bulk_create_history(moved, update=True, default_date=instant(start + timedelta(days=30)))
        Risk.objects.bulk_update(moved, ["residual_band"], batch_size=2000)
        # Nonconformities: found over two years, a fifth of them complaints.
        ncs = []
        for n in range(NCS):
            found = TODAY - timedelta(days=n % 730)
            origin = Origin.CUSTOMER_COMPLAINT if n % 5 == 0 else (Origin.SUPPLIER if n % 5 == 1 else Origin.PROCESS)
            closed = n % 3 == 0
            ncs.append(
                Nonconformity(
                    reference=f"NC-{n:05d}",
                    title=f"Nonconformity {n}",
                    description="Found",
                    origin=origin,
                    severity=Severity.MINOR,
                    owner=users[n % 200],
                    detected_on=found,
                    status=NCStatus.CLOSED if closed else NCStatus.CORRECTIVE_ACTION,
                    closed_on=found + timedelta(days=40) if closed else None,
                    effective=True if closed else None,
                    reviewed_at=instant(found + timedelta(days=40)) if closed else None,
                    party="Customer Ltd" if origin == Origin.CUSTOMER_COMPLAINT else "",
                    received_on=found if origin == Origin.CUSTOMER_COMPLAINT else None,
                    responded_on=found + timedelta(days=5) if origin == Origin.CUSTOMER_COMPLAINT else None,
                )  # fmt: skip
            )
        ncs = Nonconformity.objects.bulk_create(ncs, batch_size=2000)
        # Actions: treatments of risks, corrective actions of nonconformities, improvements.
        risk_type, nc_type = ContentType.objects.get_for_model(Risk), ContentType.objects.get_for_model(Nonconformity)
        statuses = [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.VERIFIED_EFFECTIVE]
        actions = []
        for n in range(ACTIONS):
            status = statuses[n % 4]
            due = TODAY + timedelta(days=(n % 400) - 200)
            if n % 5 < 2:
                kind, source_type, source_id = ActionKind.PREVENTIVE, risk_type, risks[n % RISKS].pk
            elif n % 5 == 2:
                kind, source_type, source_id = ActionKind.CORRECTIVE, nc_type, ncs[n % NCS].pk
            else:
                kind, source_type, source_id = ActionKind.IMPROVEMENT, None, None
            actions.append(
                Action(
                    reference=f"ACT-{n:06d}",
                    title=f"Action {n}",
                    kind=kind,
                    status=status,
                    due_date=due,
                    owner=users[n % 200],
                    source_type=source_type,
                    source_id=source_id,
                    completed_on=due if status in (ActionStatus.DONE, ActionStatus.VERIFIED_EFFECTIVE) else None,
                    verified_at=instant(due) if status == ActionStatus.VERIFIED_EFFECTIVE else None,
                )  # fmt: skip
            )
        actions = Action.objects.bulk_create(actions, batch_size=5000)
        # Audits over ten years (200 a year), twenty findings each.
        audits = []
        for year in range(2017, 2027):
            programme, _created = AuditProgramme.objects.get_or_create(
                year=year, defaults={"title": f"Programme {year}", "owner": users[0]}
            )
            for n in range(AUDITS // 10):
                begin = date(year, 1, 1) + timedelta(days=n * 365 // 200)
                audits.append(
                    Audit(
                        reference=f"AUD-{year}-{n:03d}",
                        programme=programme,
                        title=f"Audit {year}/{n}",
                        owner=users[n % 200],
                        planned_start=begin,
                        planned_end=begin + timedelta(days=1),
                        status=AuditStatus.CLOSED if begin < TODAY else AuditStatus.PLANNED,
                        clauses=["9.1"],
                    )  # fmt: skip
                )
        audits = Audit.objects.bulk_create(audits, batch_size=2000)
        kinds = FindingKind.values
        Finding.objects.bulk_create(
            [
                Finding(
                    audit=audit,
                    number=f + 1,
                    kind=kinds[f % 4],
                    clause="9.1",
                    process=processes[f % len(processes)],
                    title=f"Finding {f + 1}",
                    description="Seen",
                )  # fmt: skip
                for audit in audits
                for f in range(FINDINGS_PER_AUDIT)
            ],
            batch_size=5000,
        )
        # Two earlier reviews with their decisions, each an action.
        for n, months in enumerate((12, 6)):
            held = instant(TODAY - timedelta(days=30 * months))
            review = ManagementReview.objects.create(
                title=f"Earlier review {n + 1}", owner=lead, planned_at=held, status=ReviewStatus.ISSUED,
                period_start=held.date() - timedelta(days=182), period_end=held.date(),
            )  # fmt: skip
            for d in range(60):
                ReviewDecision.objects.create(
                    review=review, input=ReviewInput.values[d % 12], kind=OutputKind.values[d % 3],
                    title=f"Decision {n + 1}.{d + 1}", owner=users[d % 200], due_date=held.date() + timedelta(days=90),
                    action=actions[ACTIONS - 1 - n * 60 - d],
                )  # fmt: skip
        ManagementReview.objects.create(
            title="Bench review", owner=lead, planned_at=instant(TODAY), period_start=start + timedelta(days=1),
            period_end=TODAY,
        )  # fmt: skip
        for prefix, last in (("ACT", ACTIONS), ("NC", NCS), ("RSK", RISKS), ("OPP", RISKS), ("OBJ", OBJECTIVES)):
            ReferenceCounter.objects.update_or_create(prefix=prefix, defaults={"last_number": last})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Built the rest of the dataset in {(timezone.now() - now).total_seconds():.0f} s.")


class Timing:
    """Wall time, this process's CPU time, time spent waiting on queries, and their number: on a
    loaded machine the wall time grows with the load, the CPU time much less."""

    def __init__(self):
        self.wall = self.cpu = self.db = 0.0
        self.queries = 0


def counted(call) -> tuple[object, Timing]:
    from django.db import connection

    timing = Timing()

    def count(execute, sql, params, many, context):
        timing.queries += 1
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timing.db += time.perf_counter() - start

    with connection.execute_wrapper(count):
        start, cpu = time.perf_counter(), time.process_time()
        result = call()
        timing.wall, timing.cpu = time.perf_counter() - start, time.process_time() - cpu
    return result, timing


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
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
    from django.urls import NoReverseMatch, reverse

    from objectives import services
    from objectives.models import KPI
    from reviews.models import ManagementReview
    from reviews.models.review import canonical_json
    from reviews.pack import _live_key, compile_pack, live_pack, render_pack

    call_command("migrate", verbosity=0)
    build_kpis(5000, 10)
    if not KPI.objects.exclude(status="no_data").exists():
        services.kpi_refresh_statuses(KPI.objects.all(), today=TODAY)
    build()
    review = ManagementReview.objects.get(title="Bench review")

    rows = []
    cache.clear()
    pack, timing = counted(lambda: compile_pack(review, today=TODAY))
    rows.append(("Compile the pack, charts drawn (cold)", timing))
    charts = sum(len(s["charts"]) for s in pack["sections"])
    size = len(canonical_json(pack))

    runs, html = [], ""
    for _run in range(args.runs):
        (pack, html), timing = counted(lambda: (p := compile_pack(review, today=TODAY), render_pack(p)))  # noqa: B023
        runs.append(timing)
    for share, name in ((0.5, "p50"), (0.95, "p95")):
        summary = Timing()
        summary.wall = percentile([t.wall for t in runs], share)
        summary.cpu = percentile([t.cpu for t in runs], share)
        summary.db = percentile([t.db for t in runs], share)
        summary.queries = runs[-1].queries
        rows.append((f"Live pack: compile + render, {name} of {args.runs}", summary))

    # The live page's way: live_pack reuses figures compiled in the last minute (notes read afresh).
    live_pack(review)
    cached = [counted(lambda: render_pack(live_pack(review)))[1] for _run in range(args.runs)]
    for share, name in ((0.5, "p50"), (0.95, "p95")):
        summary = Timing()
        summary.wall = percentile([t.wall for t in cached], share)
        summary.cpu = percentile([t.cpu for t in cached], share)
        summary.db = percentile([t.db for t in cached], share)
        summary.queries = cached[-1].queries
        rows.append((f"live_pack (reused) + render, {name} of {args.runs}", summary))

    try:
        page = reverse("reviews:managementreview_detail", args=[review.pk])
    except NoReverseMatch:
        page = None
    if page:
        client = Client(SERVER_NAME="localhost")
        client.force_login(review.owner)
        cache.delete(_live_key(review))
        rows.append(("Review page, first view (pack compiled in it)", counted(lambda: client.get(page))[1]))
        page_runs = []
        for _run in range(args.runs):
            response, timing = counted(lambda: client.get(page))  # noqa: B023
            assert response.status_code == 200, response.status_code
            page_runs.append(timing)
        page_runs.sort(key=lambda t: t.wall)
        for share, name in ((0.5, "p50"), (0.95, "p95")):
            rows.append((f"Review page, {name} of {args.runs}", page_runs[round(share * args.runs) - 1]))

    def freeze():
        review.freeze_pack(compile_pack(review, today=TODAY))
        review.save(update_fields=["frozen_pack", "frozen_pack_sha256", "frozen_at"])

    rows.append(("Freeze: compile, canonical JSON, SHA-256, save", counted(freeze)[1]))
    cache.clear()
    rows.append(("Freeze with no chart cached", counted(freeze)[1]))
    ManagementReview.objects.filter(pk=review.pk).update(frozen_pack="", frozen_pack_sha256="", frozen_at=None)

    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\nPack: {len(pack['sections'])} sections, {charts} charts, {size / 1024:.0f} KiB of JSON, "
          f"{len(html) / 1024:.0f} KiB of HTML. Load average: {load}\n")  # fmt: skip
    print(f"{'What':<50} {'Wall s':>7} {'CPU s':>7} {'DB s':>7} {'Queries':>8}")
    for label, t in rows:
        print(f"{label:<50} {t.wall:>7.3f} {t.cpu:>7.3f} {t.db:>7.3f} {t.queries:>8}")


if __name__ == "__main__":
    main()
