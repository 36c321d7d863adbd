"""The enterprise dataset of issue 12, built once on a `*_bench` PostgreSQL database and reused.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_enterprise_bench .venv/bin/python bench/dataset.py

2,000 people in every role (most of them contributors), 300 processes with 600 hand-offs and their
turtles, 5,000 KPIs (4,500 entered with ten years of monthly values, 500 calculated from two others:
600,000 values once worked out), 20,000 risks and opportunities with reviews, 100,000 actions linked
to processes by 133,000 links, ten years of audit programmes with audits, checklists and findings,
3,000 nonconformities, context issues and interested parties. Owners and processes are drawn with a
Zipf-like skew, so a few people and processes carry far more than the rest; names come from seeded
word lists, so every build is the same. Every record gets the history row that a create through the
app would leave (with its links), written by one INSERT ... SELECT per table; rows are loaded with
COPY, never saved one by one. A marker table records the build; a later run with the same version
reuses it. Refuses any database whose name does not end in "_bench".

Logins (password `bench`): `quality` (quality manager), `viewer` (viewer), and the owner of the
busiest process, whose username `busiest_owner()` returns.
"""

import argparse
import itertools
import json
import os
import random
import sys
import time
from bisect import bisect
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")

from kpis import ensure_database  # noqa: E402  (bench/kpis.py, next to this script)

VERSION = 2  # bump when the shape of the data changes: the next run rebuilds
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
PASSWORD = "bench"  # noqa: S105  (a throwaway benchmark database)
SIZES = {
    "people": 2000,
    "processes": 300,
    "handoffs": 600,
    "kpis": 5000,
    "calculated_kpis": 500,
    "months": 120,
    "risks": 20000,
    "actions": 100000,
    "action_links": 133000,
    "audits_per_year": 60,
    "nonconformities": 3000,
    "context_issues": 400,
    "interested_parties": 120,
}
ROLES = [  # (role, share of people)
    ("leadership", 0.015),
    ("quality_manager", 0.005),
    ("process_owner", 0.12),
    ("auditor", 0.03),
    ("contributor", 0.68),
    ("viewer", 0.15),
]

# The names the dataset draws from (people, units, processes, hand-offs, actions, risks, KPIs).
NAMES = json.loads(Path(__file__).with_name("dataset_names.json").read_text(encoding="utf-8"))
FIRST, LAST, SITES, DEPARTMENTS = NAMES["first"], NAMES["last"], NAMES["sites"], NAMES["departments"]
ITEMS, VERBS, THINGS = NAMES["items"], NAMES["verbs"], NAMES["things"]  # of hand-offs and actions
RISKS, OPPORTUNITIES = NAMES["risks"], NAMES["opportunities"]
PROCESSES = [tuple(process) for process in NAMES["processes"]]  # (type, name)
KPIS = [tuple(kpi) for kpi in NAMES["kpis"]]  # (name, unit, direction, target, warning)


def zipf_picker(items: list, rng: random.Random, s: float = 1.0):
    """A function drawing from `items`, the first far more often than the last (weight 1 / rank^s)."""
    cum = list(itertools.accumulate(1 / (rank**s) for rank in range(1, len(items) + 1)))
    total = cum[-1]
    return lambda: items[bisect(cum, rng.random() * total)]


def copy_rows(model, rows: list[dict]) -> None:
    """COPY `rows` (dicts by attname, ids included) into the model's table; fields not given take
    their model default, "" or NULL."""
    from django.db import connection
    from psycopg.types.json import Jsonb

    fields = model._meta.concrete_fields
    defaults = []
    for field in fields:
        if field.has_default():
            defaults.append(field.get_default())
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults.append(NOW)
        elif field.null:
            defaults.append(None)
        else:
            defaults.append("")
    json = [field.get_internal_type() == "JSONField" for field in fields]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    names = [field.attname for field in fields]
    with connection.cursor() as cursor, cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = [row.get(name, default) for name, default in zip(names, defaults, strict=True)]
            values = [v.value if isinstance(v, Enum) else v for v in values]
            copy.write_row([Jsonb(v) if j and v is not None else v for v, j in zip(values, json, strict=True)])


def copy_links(model, field_name: str, pairs: list[tuple[int, int]], start: int = 1) -> None:
    """COPY many-to-many links (record id, other id) into the field's through table, ids from `start`."""
    field = model._meta.get_field(field_name)
    through = field.remote_field.through
    own, other = field.m2m_column_name(), field.m2m_reverse_name()
    copy_rows(through, [{"id": n, own: a, other: b} for n, (a, b) in enumerate(pairs, start)])


def write_history(model, date_column: str = "created_at", user_column: str | None = "created_by_id") -> int:
    """One '+' history row per record, as a create through the app leaves it, with its links."""
    from django.db import connection

    history = model.history.model
    table, hist_table = model._meta.db_table, history._meta.db_table
    columns = [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]
    listed = ", ".join(f'"{c}"' for c in columns)
    user = user_column or "NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{hist_table}" ({listed}, history_date, history_type, history_user_id) '
            f'SELECT {listed}, {date_column}, %s, {user} FROM "{table}"',
            ["+"],
        )
        rows = cursor.rowcount
        for m2m_field in getattr(history, "_history_m2m_fields", []):
            snapshots = getattr(history, m2m_field.name).model
            through = m2m_field.remote_field.through
            own, other = m2m_field.m2m_column_name(), m2m_field.m2m_reverse_name()
            cursor.execute(
                f'INSERT INTO "{snapshots._meta.db_table}" (id, history_id, "{own}", "{other}") '
                f'SELECT t.id, h.history_id, t."{own}", t."{other}" FROM "{through._meta.db_table}" t '
                f'JOIN "{hist_table}" h ON h.id = t."{own}"'
            )
    return rows


def built() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_enterprise (version integer, built_at timestamptz)")
        cursor.execute("SELECT 1 FROM bench_enterprise WHERE version = %s", [VERSION])
        return cursor.fetchone() is not None


def busiest_process():
    """The active process with the most action links (rank 1 of the skew)."""
    from django.db.models import Count

    from processes.models import Process

    return Process.objects.annotate(n=Count("qms_action_records")).order_by("-n", "pk").select_related("owner").first()


def busiest_owner():
    return busiest_process().owner


def build(force: bool = False) -> None:  # noqa: C901, PLR0912, PLR0915  (one linear script)
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from audits.models import Audit, AuditProgramme, ChecklistItem, Finding
    from nonconformities.models import Nonconformity
    from objectives import services as kpi_services
    from objectives.models import KPI, Measurement, Objective, StrategicTheme
    from processes.models import HandOff, Process, ProcessInput, ProcessOutput, ProcessResource
    from qms.models import Action, OrgUnit, ReferenceCounter, User
    from reviews.models import ContextIssue, InterestedParty
    from risks.models import Risk, RiskMatrix, RiskReview

    if built() and not force:
        print("Reusing the enterprise dataset already built.")
        return
    started = time.perf_counter()
    rng = random.Random(12)
    s = SIZES
    step = [started]

    def done(what: str) -> None:
        now = time.perf_counter()
        print(f"  {what}: {now - step[0]:.1f} s", flush=True)
        step[0] = now

    model_list = [
        User,
        OrgUnit,
        Process,
        ProcessInput,
        ProcessOutput,
        ProcessResource,
        HandOff,
        StrategicTheme,
        Objective,
        KPI,
        Measurement,
        Risk,
        RiskReview,
        Action,
        AuditProgramme,
        Audit,
        ChecklistItem,
        Finding,
        Nonconformity,
        ContextIssue,
        InterestedParty,
    ]
    with transaction.atomic():
        tables = []
        for model in model_list:
            tables.append(model._meta.db_table)
            if hasattr(model, "history"):
                tables.append(model.history.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)}, bench_enterprise, django_session RESTART IDENTITY CASCADE")
            cursor.execute("DELETE FROM qms_referencecounter")
        RiskMatrix.current()

        # People and the organisation
        units, n = [], 0
        for site in SITES:
            n += 1
            site_id = n
            units.append({"id": site_id, "name": site, "kind": "site", "parent_id": None})
            for department in DEPARTMENTS:
                n += 1
                units.append({"id": n, "name": department, "kind": "department", "parent_id": site_id})
        copy_rows(OrgUnit, units)
        department_ids = [u["id"] for u in units if u["kind"] == "department"]
        names = [(f, last) for last in LAST for f in FIRST]
        rng.shuffle(names)
        password = make_password(PASSWORD)
        roles = []
        for role, share in ROLES:
            roles += [role] * round(share * s["people"])
        roles = (roles + ["contributor"] * s["people"])[: s["people"]]
        rng.shuffle(roles)
        roles[0], roles[1] = "quality_manager", "viewer"
        people = []
        for i in range(s["people"]):
            first, last = names[i]
            username = {0: "quality", 1: "viewer"}.get(i, f"{first}.{last}".lower())
            people.append(
                {
                    "id": i + 1,
                    "password": password,
                    "username": username,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_active": True,
                    "date_joined": NOW - timedelta(days=rng.randint(30, 3650)),
                    "job_title": roles[i].replace("_", " ").capitalize(),
                    "org_unit_id": rng.choice(department_ids),
                    "role": roles[i],
                }
            )
        copy_rows(User, people)
        by_role = {role: [p["id"] for p in people if p["role"] == role] for role, _share in ROLES}
        owners_pool = by_role["process_owner"] + by_role["leadership"]
        # Record owners: process owners first (the busiest of them first), then everyone who may own.
        doers = by_role["process_owner"] + by_role["leadership"] + by_role["contributor"] + by_role["auditor"]
        pick_doer = zipf_picker(doers, rng)
        pick_other = lambda: rng.choice(doers)  # noqa: E731
        done("people")

        # Processes: every base process at every site (300), the first ones the busiest
        bases = list(PROCESSES)
        processes = []
        for i in range(s["processes"]):
            kind, name = bases[i % len(bases)]
            site = SITES[(i // len(bases)) % len(SITES)]
            processes.append(
                {
                    "id": i + 1,
                    "reference": f"PRC-{i + 1:03d}",
                    "owner_id": owners_pool[i % len(owners_pool)],
                    "created_at": NOW - timedelta(days=1500 - i),
                    "updated_at": NOW - timedelta(days=rng.randint(1, 400)),
                    "created_by_id": 1,
                    "name": f"{name} ({site})",
                    "purpose": f"{name} at the {site}, to the customer's requirements.",
                    "type": kind,
                    "status": "active" if (i + 1) % 37 else "draft",
                    "org_unit_id": units[(i // len(bases)) % len(SITES) * (len(DEPARTMENTS) + 1)]["id"],
                    "next_review_date": TODAY + timedelta(days=rng.randint(-120, 365)),
                }
            )
        copy_rows(Process, processes)
        process_ids = [p["id"] for p in processes]
        pick_process = zipf_picker(process_ids, rng)
        turtle = {ProcessInput: [], ProcessOutput: [], ProcessResource: []}
        for p in process_ids:
            for _ in range(3):
                turtle[ProcessInput].append(
                    {"process_id": p, "name": rng.choice(ITEMS), "supplier": rng.choice(PROCESSES)[1]}
                )
                turtle[ProcessOutput].append(
                    {"process_id": p, "name": rng.choice(ITEMS), "customer": rng.choice(PROCESSES)[1]}
                )
            for kind in ("people", "equipment", "information"):
                turtle[ProcessResource].append({"process_id": p, "kind": kind, "description": rng.choice(ITEMS)})
        for model, rows in turtle.items():
            copy_rows(model, [dict(row, id=n) for n, row in enumerate(rows, 1)])
        handoffs, seen = [], set()
        while len(handoffs) < s["handoffs"]:
            source = pick_process()
            target = source + rng.choice([1, 1, 2, 3, -1]) if rng.random() < 0.6 else rng.choice(process_ids)
            item = rng.choice(ITEMS)
            if target == source or target not in range(1, s["processes"] + 1) or (source, target, item) in seen:
                continue
            seen.add((source, target, item))
            handoffs.append({"id": len(handoffs) + 1, "source_id": source, "target_id": target, "item": item})
        copy_rows(HandOff, handoffs)
        done("processes")

        # Themes, objectives, KPIs and their values
        themes = [
            "Delight our customers",
            "Operational excellence",
            "Engaged people",
            "Resilient supply",
            "Sustainable growth",
            "Compliance",
        ]
        copy_rows(
            StrategicTheme,
            [
                {"id": n, "reference": f"THM-{n:03d}", "owner_id": by_role["leadership"][n], "title": t, "order": n}
                for n, t in enumerate(themes, 1)
            ],
        )
        objective_rows = []
        for n in range(1, 121):
            base = KPIS[n % len(KPIS)]
            objective_rows.append(
                {
                    "id": n,
                    "reference": f"OBJ-{n:03d}",
                    "owner_id": pick_doer(),
                    "created_at": NOW - timedelta(days=rng.randint(30, 900)),
                    "theme_id": (n % len(themes)) + 1,
                    "title": f"{base[0]} at {base[3]}{base[1]} ({SITES[n % len(SITES)]})",
                    "due_date": TODAY + timedelta(days=rng.randint(-60, 700)),
                    "status": "active" if n % 9 else "achieved",
                }
            )
        manual = s["kpis"] - s["calculated_kpis"]
        kpi_rows = []
        for n in range(1, s["kpis"] + 1):
            name, unit, direction, target, warning = KPIS[n % len(KPIS)]
            process = pick_process()
            row = {
                "id": n,
                "reference": f"KPI-{n:04d}",
                "owner_id": pick_doer(),
                "created_at": NOW - timedelta(days=3700 - n // 10),
                "name": f"{name}, {processes[process - 1]['name']}",
                "unit": unit,
                "nature": "outcome" if n % 3 else "activity",
                "direction": direction,
                "target": target,
                "warning": warning,
                "valid_min": 0,
                "measured_from": date(2016, 11, 1),
                "_process": process,
            }
            if n > manual:
                a, b = rng.randint(1, manual), rng.randint(1, manual)
                row.update(
                    name=f"Ratio {n}: KPI-{a:04d} / KPI-{b:04d}",
                    unit="%",
                    direction="higher",
                    target=95,
                    warning=90,
                    source="formula",
                    formula=f"KPI-{a:04d} / KPI-{b:04d} * 100",
                )
            kpi_rows.append(row)
        copy_rows(KPI, kpi_rows)
        for objective in objective_rows[::2]:
            objective.update(main_kpi_id=rng.randint(1, manual))
        copy_rows(Objective, objective_rows)
        copy_links(Objective, "processes", [(o["id"], pick_process()) for o in objective_rows])
        copy_links(KPI, "processes", [(k["id"], k["_process"]) for k in kpi_rows])
        copy_links(KPI, "objectives", [(k["id"], rng.randint(1, 120)) for k in kpi_rows[::10]])
        months = [date(2016 + (11 + m - 1) // 12, (11 + m - 1) % 12 + 1, 1) for m in range(s["months"])]
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY objectives_measurement (kpi_id, period_start, value, comment, is_calculated, entered_at, "
                "entered_by_id) FROM STDIN"
            ) as copy,
        ):
            for kpi in kpi_rows[:manual]:
                target, warning = float(kpi["target"]), float(kpi["warning"])
                level = target + (warning - target) * rng.uniform(-1.5, 2.5)
                spread = abs(target - warning) / 2 or 0.5
                for start in months:
                    level = max(0.0, level + rng.uniform(-spread, spread))
                    entered = datetime(start.year, start.month, 1, tzinfo=UTC) + timedelta(days=35)
                    copy.write_row((kpi["id"], start, round(level, 2), "", False, entered, kpi["owner_id"]))
        done("KPIs and values")

        # Risks and opportunities, with reviews
        risk_rows, risk_links, reviews = [], [], []
        matrix = RiskMatrix.current()
        thresholds = lambda score: str(matrix.band(score))  # noqa: E731
        for n in range(1, s["risks"] + 1):
            opportunity = n % 8 == 0
            li, ii = rng.randint(1, 5), rng.randint(1, 5)
            lr, ir = max(1, li - rng.randint(0, 2)), max(1, ii - rng.randint(0, 1))
            created = NOW - timedelta(days=rng.randint(10, 2500))
            risk_rows.append(
                {
                    "id": n,
                    "reference": f"{'OPP' if opportunity else 'RSK'}-{n:05d}",
                    "owner_id": pick_doer(),
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.randint(0, 9)),
                    "created_by_id": pick_other(),
                    "kind": "opportunity" if opportunity else "risk",
                    "title": f"{rng.choice(OPPORTUNITIES if opportunity else RISKS)} ({n})",
                    "description": "Found in the yearly risk workshop.",
                    "cause": "See the process FMEA.",
                    "consequence": "Delay, cost or a dissatisfied customer.",
                    "category": rng.choice(["customer", "product", "supply", "people", "infrastructure", "compliance"]),
                    "status": rng.choices(
                        ["identified", "assessed", "in_treatment", "monitored", "closed"], [10, 15, 35, 25, 15]
                    )[0],
                    "next_review_date": TODAY + timedelta(days=rng.randint(-200, 365)),
                    "inherent_likelihood": li,
                    "inherent_impact": ii,
                    "residual_likelihood": lr,
                    "residual_impact": ir,
                    "strategy": ("pursue" if opportunity else rng.choice(["reduce", "reduce", "avoid", "transfer"])),
                    "inherent_score": li * ii,
                    "residual_score": lr * ir,
                    "inherent_band": thresholds(li * ii),
                    "residual_band": thresholds(lr * ir),
                }
            )
            first = pick_process()
            risk_links.append((n, first))
            if rng.random() < 0.3:
                second = pick_process()
                if second != first:
                    risk_links.append((n, second))
            if n % 3 == 0:
                reviews.append(
                    {
                        "id": len(reviews) + 1,
                        "risk_id": n,
                        "reviewed_on": (created + timedelta(days=200)).date(),
                        "reviewer_id": risk_rows[-1]["owner_id"],
                        "likelihood": lr,
                        "impact": ir,
                        "score": lr * ir,
                        "band": thresholds(lr * ir),
                        "note": "Reviewed with the process team; controls work.",
                    }
                )
        copy_rows(Risk, risk_rows)
        copy_links(Risk, "processes", risk_links)
        copy_rows(RiskReview, reviews)
        done("risks")

        # Audits, checklists, findings, nonconformities
        content_type = {m: ContentType.objects.get_for_model(m).pk for m in (Risk, KPI, Nonconformity, Finding)}
        auditors = by_role["auditor"]
        programmes, audits, items, findings = [], [], [], []
        audit_links = {"processes": [], "team": [], "auditees": []}
        for year in range(2017, 2027):
            programmes.append(
                {
                    "id": year - 2016,
                    "reference": f"APG-{year - 2016:03d}",
                    "owner_id": 1,
                    "year": year,
                    "title": f"Audit programme {year}",
                    "created_at": datetime(year - 1, 12, 1, tzinfo=UTC),
                }
            )
            for k in range(s["audits_per_year"]):
                n = len(audits) + 1
                start = date(year, 1, 10) + timedelta(days=k * 5)
                future = start > TODAY
                process = pick_process()
                audits.append(
                    {
                        "id": n,
                        "reference": f"AUD-{n:03d}",
                        "owner_id": rng.choice(auditors),
                        "created_at": datetime(year - 1, 12, 15, tzinfo=UTC),
                        "programme_id": year - 2016,
                        "title": f"Process audit: {processes[process - 1]['name']}",
                        "clauses": ["8.5.1", "7.1.5"],
                        "planned_start": start,
                        "planned_end": start + timedelta(days=1),
                        "status": "planned" if future else "closed",
                        "summary": "" if future else "The process is effective with the findings listed.",
                        "issued_by_id": None if future else 1,
                        "issued_at": None if future else datetime(year, start.month, 28, tzinfo=UTC),
                    }
                )
                audit_links["processes"].append((n, process))
                audit_links["team"] += [(n, rng.choice(auditors)), (n, rng.choice(auditors))]
                audit_links["auditees"].append((n, processes[process - 1]["owner_id"]))
                for position in range(1, 13):
                    items.append(
                        {
                            "id": len(items) + 1,
                            "audit_id": n,
                            "position": position,
                            "clause": rng.choice(["7.1.5", "7.2", "8.4", "8.5.1", "8.7", "9.1.1", "10.2"]),
                            "process_id": process,
                            "question": f"Is {rng.choice(THINGS)} current and followed?",
                            "result": "" if future else rng.choices(["conforms", "minor_nc", "ofi"], [8, 1, 1])[0],
                        }
                    )
                if not future:
                    for number in range(1, 4):
                        findings.append(
                            {
                                "id": len(findings) + 1,
                                "audit_id": n,
                                "number": number,
                                "kind": rng.choice(["minor_nc", "observation", "ofi", "major_nc", "minor_nc"]),
                                "clause": rng.choice(["7.1.5", "7.2", "8.4", "8.5.1"]),
                                "process_id": process,
                                "title": f"{rng.choice(THINGS).capitalize()} not followed",
                                "description": "Seen on the shop floor during the audit.",
                                "evidence": "Two of five records checked lacked a signature.",
                                "created_at": datetime(year, start.month, 20, tzinfo=UTC),
                            }
                        )
        copy_rows(AuditProgramme, programmes)
        copy_rows(Audit, audits)
        for name, pairs in audit_links.items():
            copy_links(Audit, name, sorted(set(pairs)))
        copy_rows(ChecklistItem, items)
        nc_rows, nc_links = [], []
        nc_findings = [f for f in findings if f["kind"] in ("major_nc", "minor_nc")]
        for n in range(1, s["nonconformities"] + 1):
            finding = nc_findings[n - 1] if n <= len(nc_findings) else None
            detected = TODAY - timedelta(days=rng.randint(1, 2900))
            status = rng.choices(
                ["reported", "contained", "analysed", "corrective_action", "effectiveness_review", "closed"],
                [5, 5, 5, 10, 5, 70],
            )[0]
            nc_rows.append(
                {
                    "id": n,
                    "reference": f"NC-{n:04d}",
                    "owner_id": pick_doer(),
                    "created_at": datetime.combine(detected, datetime.min.time(), tzinfo=UTC),
                    "title": finding["title"] if finding else f"{rng.choice(THINGS).capitalize()} out of specification",
                    "description": "Parts found outside the drawing tolerance.",
                    "origin": "audit_finding"
                    if finding
                    else rng.choice(["customer_complaint", "process", "supplier", "kpi_breach"]),
                    "severity": "major" if n % 7 == 0 else "minor",
                    "status": status,
                    "detected_on": detected,
                    "closed_on": detected + timedelta(days=60) if status == "closed" else None,
                }
            )
            if finding:
                finding["nonconformity_id"] = n
            nc_links.append((n, finding["process_id"] if finding else pick_process()))
        copy_rows(Nonconformity, nc_rows)
        copy_links(Nonconformity, "processes", nc_links)
        copy_rows(Finding, findings)
        done("audits and nonconformities")

        # Actions: open work mostly overdue, closed work in the past; links to processes skewed
        actions, links, deputies = [], [], []
        status_weights = (
            ["open", "in_progress", "done", "effective", "not_effective", "cancelled"],
            [25, 15, 18, 32, 3, 7],
        )
        extra_links = s["action_links"] - s["actions"]
        for n in range(1, s["actions"] + 1):
            status = rng.choices(*status_weights)[0]
            if status in ("open", "in_progress"):
                due = TODAY + timedelta(days=rng.randint(-1000, 180))
            else:
                due = TODAY - timedelta(days=rng.randint(1, 2800))
            created = min(
                NOW - timedelta(days=1),
                datetime.combine(due, datetime.min.time(), tzinfo=UTC) - timedelta(days=rng.randint(14, 200)),
            )
            source = rng.random()
            if source < 0.2:
                source_type, source_id = content_type[Risk], rng.randint(1, s["risks"])
            elif source < 0.25:
                source_type, source_id = content_type[Nonconformity], rng.randint(1, s["nonconformities"])
            elif source < 0.28:
                source_type, source_id = content_type[KPI], rng.randint(1, manual)
            else:
                source_type = source_id = None
            row = {
                "id": n,
                "reference": f"ACT-{n:06d}",
                "owner_id": pick_doer(),
                "created_at": created,
                "updated_at": created + timedelta(days=rng.randint(0, 30)),
                "created_by_id": pick_other(),
                "title": f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
                "description": "Agreed in the weekly quality meeting.",
                "kind": rng.choice(["correction", "corrective", "corrective", "preventive", "improvement"]),
                "status": status,
                "due_date": due,
                "source_type_id": source_type,
                "source_id": source_id,
            }
            if status in ("done", "effective", "not_effective"):
                row["completed_on"] = due - timedelta(days=rng.randint(-10, 20))
            if status in ("effective", "not_effective"):
                row["verified_by_id"] = 1
                row["verified_at"] = datetime.combine(row["completed_on"], datetime.min.time(), tzinfo=UTC) + timedelta(
                    days=60
                )
            actions.append(row)
            first = pick_process()
            links.append((n, first))
            # A third of the actions touch a second process (spread over the whole range of ids)
            if rng.random() < extra_links / s["actions"] * 1.15 and len(links) < s["action_links"] - (s["actions"] - n):
                second = pick_process()
                if second != first:
                    links.append((n, second))
            if n % 10 == 0:
                deputies.append((n, pick_other()))
        links = links[: s["action_links"]]
        copy_rows(Action, actions)
        copy_links(Action, "processes", links)
        copy_links(Action, "deputies", sorted(set(deputies)))
        done("actions")

        # Context of the organisation
        copy_rows(
            ContextIssue,
            [
                {
                    "id": n,
                    "reference": f"CTX-{n:03d}",
                    "owner_id": pick_doer(),
                    "review_date": TODAY + timedelta(days=rng.randint(-90, 365)),
                    "title": f"{rng.choice(RISKS)} ({n})",
                    "side": "external" if n % 2 else "internal",
                    "category": rng.choice(["economic", "market", "legal"] if n % 2 else ["knowledge", "resources"]),
                    "effect": rng.choice(["positive", "negative", "both"]),
                }
                for n in range(1, s["context_issues"] + 1)
            ],
        )
        copy_links(ContextIssue, "processes", [(n, pick_process()) for n in range(1, s["context_issues"] + 1)])
        copy_rows(
            InterestedParty,
            [
                {
                    "id": n,
                    "reference": f"IP-{n:03d}",
                    "owner_id": pick_doer(),
                    "review_date": TODAY + timedelta(days=rng.randint(-90, 365)),
                    "name": f"{rng.choice(LAST)} {rng.choice(['GmbH', 'SA', 'Ltd', 'Inc', 'AG'])}",
                    "kind": rng.choice(["customer", "supplier", "regulator", "community"]),
                    "requirements": "On-time delivery, conforming parts, certificates with each lot.",
                }
                for n in range(1, s["interested_parties"] + 1)
            ],
        )
        done("context")

        counters = {
            "PRC": s["processes"],
            "THM": len(themes),
            "OBJ": 120,
            "KPI": s["kpis"],
            "RSK": s["risks"],
            "OPP": s["risks"],
            "APG": len(programmes),
            "AUD": len(audits),
            "NC": s["nonconformities"],
            "ACT": s["actions"],
            "CTX": s["context_issues"],
            "IP": s["interested_parties"],
        }
        ReferenceCounter.objects.bulk_create([ReferenceCounter(prefix=p, last_number=v) for p, v in counters.items()])
        history_rows = 0
        for model in model_list:
            if not hasattr(model, "history") or model is Measurement:
                continue
            if model is User:
                history_rows += write_history(model, "date_joined", None)
            elif model is Finding:
                history_rows += write_history(model, "created_at", "created_by_id")
            elif any(f.name == "created_at" for f in model._meta.concrete_fields):
                history_rows += write_history(model)
            else:
                history_rows += write_history(model, f"'{NOW.isoformat()}'::timestamptz", None)
        history_rows += write_history(Measurement, "entered_at", "entered_by_id")
        done(f"history ({history_rows:,} rows)")
        models_to_reset = []
        for model in model_list:
            models_to_reset.append(model)
            models_to_reset += [f.remote_field.through for f in model._meta.local_many_to_many]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_to_reset):
                cursor.execute(sql)
    # The calculated KPIs' values and every status, the way the nightly task works them out
    kpi_services.recalculate_all(today=TODAY)
    done("calculated KPIs and statuses")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("INSERT INTO bench_enterprise VALUES (%s, now())", [VERSION])
    done("vacuum")
    counts = {m.__name__: m.objects.count() for m in (User, Process, HandOff, KPI, Measurement, Risk, Action)}
    counts["action-process links"] = Action.processes.through.objects.count()
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))
    print(f"Built in {time.perf_counter() - started:.0f} s.")


def setup(url: str | None = None) -> None:
    """Check the database, set Django up and migrate."""
    url = url or os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the dataset is there")
    args = parser.parse_args()
    setup()
    build(force=args.force)
    print(f"Busiest process owner: {busiest_owner().username}")


if __name__ == "__main__":
    main()
