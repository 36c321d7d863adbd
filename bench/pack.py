"""Benchmark: a 100-page evidence pack, against WeasyPrint alone on the same HTML (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_pack_bench .venv/bin/python bench/pack.py

Builds (once; reused on later runs) a QMS whose pack of every clause runs to about 100 pages: 12
processes with their turtles and hand-offs, 36 KPIs with two years of monthly values and their
objectives, 48 risks with treatments, 24 nonconformities with corrective actions, 24 improvement
actions, and 3 audits with checklists and findings. Then, in one process, alternately:

- the full pack, as the task makes it: gather the records as they stood (queries counted), draw the
  charts (cache cleared first, so drawn cold), render the HTML, lay it out and write the PDF/A with
  WeasyPrint, store it;
- WeasyPrint alone: the same HTML, the same fetcher, the same options, written to memory by
  WeasyPrint as it comes (`HTML.render()`, `Document.write_pdf()`; its CPU time split into layout
  and writing the PDF). The pack lays its pages out with `packs.render.lay_out()`, which lays each
  page out once where WeasyPrint lays the contents and the index out three times, and writes with
  `packs.render.write()`: so the full pack may take less than WeasyPrint alone.

Prints the best of `--runs` of each, wall and CPU seconds, their ratios, the page count and the
process's peak memory (resident set size). Refuses any database whose name does not end in "_bench".
"""

import argparse
import os
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")

from kpis import ensure_database  # noqa: E402  (bench/kpis.py, next to this script)

PROCESSES = 12
KPIS_PER_PROCESS = 3
RISKS_PER_PROCESS = 4
NCS_PER_PROCESS = 2
IMPROVEMENTS_PER_PROCESS = 2
AUDITS = 3
TEXT = (
    "Operators follow the set-up sheet, record the first-off check and release the batch once the "
    "inspector has signed. Deviations are raised at once and contained before the next shift."
)


def build() -> None:
    """The dataset, made through the models (so every record has its history), unless it exists."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from audits.choices import AuditStatus, FindingKind, Result
    from audits.models import Audit, AuditProgramme, ChecklistItem, Finding
    from nonconformities.choices import Origin
    from nonconformities.models import Nonconformity
    from objectives.models import KPI, Measurement, Objective, StrategicTheme
    from processes.choices import ProcessStatus, ResourceKind
    from processes.models import HandOff, Process, ProcessDocument, ProcessInput, ProcessOutput, ProcessResource
    from qms.choices import ActionKind, Role
    from qms.models import Action, User
    from risks.choices import Category, RiskStatus, Strategy
    from risks.models import Risk

    if Process.objects.filter(name__startswith="Bench process").exists():
        print("Reusing the dataset already built.")
        return
    today = timezone.localdate()
    with transaction.atomic():
        owner = User.objects.create(
            username="bench-owner", first_name="Olivia", last_name="Owner", role=Role.PROCESS_OWNER
        )
        User.objects.create(username="bench-auditor", first_name="Arne", last_name="Auditor", role=Role.AUDITOR)
        theme = StrategicTheme.objects.create(title="Deliver right first time", owner=owner)
        processes = []
        for n in range(PROCESSES):
            process = Process.objects.create(
                name=f"Bench process {n + 1:02d}", purpose=TEXT, status=ProcessStatus.ACTIVE, owner=owner
            )
            processes.append(process)
            for m in range(3):
                ProcessInput.objects.create(process=process, name=f"Input {m + 1}", supplier="Upstream supplier")
                ProcessOutput.objects.create(process=process, name=f"Output {m + 1}", customer="Downstream customer")
            ProcessResource.objects.create(process=process, kind=ResourceKind.EQUIPMENT, description="CNC cell")
            ProcessResource.objects.create(process=process, kind=ResourceKind.PEOPLE, description="Two operators")
            ProcessDocument.objects.create(process=process, title="Work instruction", url="https://intranet.example/wi")
            for k in range(KPIS_PER_PROCESS):
                objective = Objective.objects.create(
                    theme=theme, title=f"Objective {n + 1}.{k + 1}", description=TEXT, owner=owner,
                    due_date=today + timedelta(days=180),
                )  # fmt: skip
                objective.processes.add(process)
                kpi = KPI.objects.create(
                    name=f"Yield {n + 1}.{k + 1}", owner=owner, unit="%", target=Decimal(95), warning=Decimal(90),
                    measured_from=date(today.year - 2, 1, 1),
                )  # fmt: skip
                kpi.processes.add(process)
                kpi.objectives.add(objective)
                for month in range(24):
                    year, index = divmod(today.month - 1 - month, 12)
                    start = date(today.year + year, index + 1, 1)
                    Measurement.objects.create(kpi=kpi, period_start=start, value=Decimal(86 + (month * 7 + k) % 13))
            for r in range(RISKS_PER_PROCESS):
                risk = Risk.objects.create(
                    title=f"Risk {n + 1}.{r + 1}", description=TEXT, cause=TEXT, consequence=TEXT, controls=TEXT,
                    category=Category.PRODUCT, status=RiskStatus.ASSESSED, owner=owner, strategy=Strategy.REDUCE,
                    inherent_likelihood=1 + (r + n) % 5, inherent_impact=1 + (r * 2 + n) % 5,
                    residual_likelihood=1 + (r + n) % 3, residual_impact=1 + (r + 2 * n) % 3,
                )  # fmt: skip
                risk.processes.add(process)
                Action.objects.create(
                    title=f"Treatment of risk {n + 1}.{r + 1}", description=TEXT, owner=owner,
                    kind=ActionKind.PREVENTIVE,
                    due_date=today + timedelta(days=30), source_type=ContentType.objects.get_for_model(risk),
                    source_id=risk.pk,
                ).processes.add(process)  # fmt: skip
            for c in range(NCS_PER_PROCESS):
                nc = Nonconformity.objects.create(
                    title=f"Nonconformity {n + 1}.{c + 1}", description=TEXT, origin=Origin.PROCESS, owner=owner,
                    containment=TEXT, root_cause=TEXT, detected_on=today - timedelta(days=40 + c),
                )  # fmt: skip
                nc.processes.add(process)
                Action.objects.create(
                    title=f"Corrective action for NC {n + 1}.{c + 1}", description=TEXT, owner=owner,
                    due_date=today + timedelta(days=20), source_type=ContentType.objects.get_for_model(nc),
                    source_id=nc.pk,
                ).processes.add(process)  # fmt: skip
            for i in range(IMPROVEMENTS_PER_PROCESS):
                Action.objects.create(
                    title=f"Improvement {n + 1}.{i + 1}", description=TEXT, owner=owner, kind=ActionKind.IMPROVEMENT,
                    due_date=today + timedelta(days=60),
                ).processes.add(process)  # fmt: skip
        for a, (source, target) in enumerate(zip(processes, processes[1:], strict=False)):
            HandOff.objects.create(source=source, target=target, item=f"Hand-over {a + 1}")
        programme, _created = AuditProgramme.objects.get_or_create(
            year=today.year, defaults={"title": f"Programme {today.year}", "owner": owner}
        )
        for a in range(AUDITS):
            start = max(date(today.year, 1, 1), today - timedelta(days=30 * (a + 1)))
            audit = Audit.objects.create(
                programme=programme, title=f"Bench audit {a + 1}", owner=owner, clauses=["4.4", "8.5", "9.1"],
                planned_start=start, planned_end=start + timedelta(days=1), status=AuditStatus.REPORTED,
                summary=TEXT, strengths=TEXT, conclusion=TEXT, criteria=TEXT,
            )  # fmt: skip
            audit.processes.add(*processes[a * 4 : a * 4 + 4])
            for q in range(12):
                ChecklistItem.objects.create(
                    audit=audit, position=q, clause="8.5", process=processes[a * 4], question=f"Question {q + 1}?",
                    result=Result.CONFORMS, notes=TEXT,
                )  # fmt: skip
            for f in range(4):
                Finding.objects.create(
                    audit=audit, number=f + 1, kind=FindingKind.OBSERVATION, clause="8.5",
                    process=processes[a * 4], title=f"Finding {f + 1}", description=TEXT, evidence=TEXT,
                )  # fmt: skip
    print("Built the dataset.")


def timed(call) -> tuple[float, float]:
    """Wall and CPU seconds of one call (CPU: this process, which is where all of the work runs)."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--save", help="also write the pack's HTML and charts (pickled) to this file")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    ensure_database(url)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.template.loader import render_to_string

    call_command("migrate", verbosity=0)
    build()

    import weasyprint

    from packs import services
    from packs.models import EvidencePack
    from packs.render import BASE_URL, PDF_OPTIONS, pack_fetcher
    from packs.selectors import pack_content
    from qms.models import User

    auditor = User.objects.get(username="bench-auditor")
    today = date.today()

    def request():
        return services.pack_request(
            user=auditor, period_from=today - timedelta(days=730), period_to=today, render=False
        )

    queries = []

    def full():
        """The task's whole work on a new pack, charts drawn cold."""
        cache.clear()
        pack = request()
        with connection.execute_wrapper(lambda execute, *a: queries.append(1) or execute(*a)):
            services.pack_render(pack.pk, notify=False)
        full.pack = EvidencePack.objects.get(pk=pack.pk)

    full()  # warms imports, fonts and WeasyPrint's caches once, as a long-running worker has them
    pack = full.pack
    content = pack_content(pack)
    files = services.check_files(content.files)
    html = render_to_string("packs/pdf/pack.html", services._pack_context(pack, content, files))
    if args.save:
        import pickle

        Path(args.save).write_bytes(pickle.dumps((html, content.charts)))

    phases = []  # CPU seconds of WeasyPrint alone: (layout, writing the PDF), per run

    def alone():
        fetcher = pack_fetcher(list(files.values()), content.charts)
        start = time.process_time()
        document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(**PDF_OPTIONS)
        laid_out = time.process_time()
        document.write_pdf(**PDF_OPTIONS)
        phases.append((laid_out - start, time.process_time() - laid_out))

    alone()
    full_runs, alone_runs = [], []  # (wall, CPU) seconds
    for _run in range(args.runs):
        queries.clear()
        full_runs.append(timed(full))
        alone_runs.append(timed(alone))
    pack = full.pack
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"Pack: {pack.page_count} pages, {pack.size / 1024:.0f} KiB, {len(content.records)} records, "
        f"{len(content.charts)} charts, {len(queries)} queries to gather them"
    )

    def line(runs):
        wall, cpu = min(w for w, _c in runs), min(c for _w, c in runs)
        listed = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in runs)
        return f"{wall:.2f} s wall, {cpu:.2f} s CPU (runs, wall/CPU: {listed})"

    print(f"Full pack (gather, draw, render, store): {line(full_runs)}")
    print(f"WeasyPrint alone on the same HTML:       {line(alone_runs)}")
    layout, write = min(phases, key=sum)
    print(f"WeasyPrint alone, CPU: layout {layout:.2f} s, writing the PDF {write:.2f} s (best run)")
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    wall_ratio = min(w for w, _c in full_runs) / min(w for w, _c in alone_runs)
    cpu_ratio = min(c for _w, c in full_runs) / min(c for _w, c in alone_runs)
    print(
        f"Ratio full / alone: {wall_ratio:.3f} wall, {cpu_ratio:.3f} CPU   Peak memory (RSS): {peak_mb:.0f} MB   "
        f"Load average: {load}"
    )


if __name__ == "__main__":
    main()
