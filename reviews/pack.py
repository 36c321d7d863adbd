"""The management review pack: one section per input of ISO 9001 9.3.2, compiled from live records.

`compile_pack(review)` returns plain data (dicts, lists, strings, numbers; dates as ISO strings), so
the same dict renders the live pack and, stored as canonical JSON when the meeting starts, the frozen
one: templates/reviews/pack/ render only this dict, never model instances.

Every section has the same shape, so one template draws them all:

    {"input": "c3", "title": "c3) …", "decision_needed": bool, "note": "preparer's note",
     "figures": [{"label", "value", "colour"}], "charts": [{"ref", "title", "url", "svg"}],
     "tables": [{"key", "title", "columns", "rows": [{"ref", "url", "cells": [{"text", "url", "colour"}]}],
                 "total", "more_url", "empty"}]}

A cell's colour is a Bootstrap colour ("danger": a `text-bg-danger` badge) or a risk band's classes
("band band-orange"). c3's rows also carry "kpis" (outcome first) and the owner's "commentary".

Pages take `pack_context(review)`: the frozen pack once the meeting has started, else `live_pack`
(the figures compiled at most a minute ago, the preparer's notes as they are now). Templates include
`reviews/pack/_pack.html` with `pack` and `frozen_at` ("As at <date>" when set, else "Live").

The pack costs a fixed number of queries whatever the amount of data (about 20): each kind of record
is read once for all sections, long tables are cut at ROW_LIMIT rows (with the total and a link to
the live list), and charts are drawn for a few KPIs per section only (CHARTS).
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Case, Choices, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When, Window
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from audits.choices import AuditStatus, FindingKind
from audits.models import Audit, Finding
from nonconformities.choices import NC_STATUS_COLOURS, NCStatus, Origin, Severity
from nonconformities.models import Nonconformity
from nonconformities.selectors import complaint_figures
from objectives.charts import trend_svg
from objectives.choices import (
    KPI_STATUS_COLOURS,
    OBJECTIVE_STATUS_COLOURS,
    Frequency,
    KPIStatus,
    Nature,
    ObjectiveStatus,
    ReviewTopic,
)
from objectives.models import KPI, Measurement, Objective
from objectives.periods import Period
from objectives.templatetags.kpis import number
from processes.choices import ProcessStatus
from processes.models import Process
from qms.choices import ACTION_STATUS_COLOURS, ActionKind, ActionStatus
from qms.models import Action, detail_url
from risks.choices import Band, RiskKind, RiskStatus, band_colour, band_label
from risks.models import Risk

from .choices import OutputKind, ReviewInput
from .models import ManagementReview, ProcessCommentary, ReviewInputNote, period_bounds
from .selectors import context_changes, earlier_decisions, overdue_actions_by_owner, residual_band_moves

PACK_VERSION = 1
# The live pack page never compiles while someone waits, once a pack was compiled: compiling reads
# every module (about half a second of CPU at enterprise size). It shows the last pack compiled
# and, when that is older than LIVE_PACK_SECONDS, has a worker compile a fresh one; a compiled
# pack is kept LIVE_PACK_KEEP_SECONDS in the shared cache.
LIVE_PACK_SECONDS = 60
LIVE_PACK_KEEP_SECONDS = 7 * 24 * 3600
ROW_LIMIT = 25  # rows of a table; the rest are counted and linked to the live list
# Trend charts per section, most telling KPIs first: each costs about 0.13 s of CPU to draw cold
# (then it is cached by its data), and the pack is frozen within 2 s even with none cached.
CHARTS = {"c1": 3, "c2": 3, "c5": 2, "c7": 2}
KPIS_PER_PROCESS = 12  # KPIs named under a process in c3; the rest are counted
CHART_PERIODS = 36  # as many values as the KPI page's chart shows, up to the end of the period
STATUS_RANK = {status: n for n, status in enumerate(KPIStatus.values)}  # worst first, as KPI.summary_order
KPI_FIELDS = (
    "id",
    "reference",
    "name",
    "unit",
    "nature",
    "review_topic",
    "status",
    "latest_period",
    "latest_value",
    "target",
    "target_upper",
    "warning",
    "direction",
    "frequency",
    "owner_id",
)


# Period
# --------------------------------------------------------------------------


def default_period(planned_at: datetime, before: ManagementReview | None = None) -> tuple[date, date]:
    """The period a review covers by default: from the day after the period of the last review with
    issued minutes before it (a year back when there is none) to the day of the review."""
    end = timezone.localtime(planned_at).date()
    last = ManagementReview.objects.latest_issued(before=planned_at) if before is None else before
    start = last.period_end + timedelta(days=1) if last is not None else end - timedelta(days=365)
    return min(start, end), end


# Plain values
# --------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return value.isoformat()


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat() if value else ""


def _number(value: Decimal | float | int | None) -> str:
    """A figure as the KPI pages write it (objectives' `number`), or nothing."""
    return "" if value is None else number(value)


def _name(first: str, last: str, username: str = "") -> str:
    """A person's name as User.__str__ gives it, from the columns of a join."""
    return f"{first} {last}".strip() or username


def _owner_names() -> dict:
    return {
        "owner_first_name": F("owner__first_name"),
        "owner_last_name": F("owner__last_name"),
        "owner_username": F("owner__username"),
    }


def cell(text="", url: str = "", colour: str = "") -> dict:
    return {"text": str(text), "url": url, "colour": colour}


def day_cell(value: date | datetime | None, colour: str = "") -> dict:
    """A date, kept on one line."""
    return {**cell(_day(value), colour=colour), "nowrap": True}


def row(ref: str, url: str, *cells: dict) -> dict:
    return {"ref": ref, "url": url, "cells": list(cells)}


def table(
    key: str, title: str, columns: list, rows: list, *, total: int | None = None, more_url: str = "", empty=""
) -> dict:
    total = len(rows) if total is None else total
    return {
        "key": key,
        "title": str(title),
        "columns": [str(c) for c in columns],
        "rows": rows[:ROW_LIMIT],
        "total": total,
        "more_url": more_url if total > min(len(rows), ROW_LIMIT) else "",
        "empty": str(empty or _("Nothing in this period.")),
    }


def limited(queryset, **conditions: Q) -> tuple[list, dict[str, int]]:
    """The first ROW_LIMIT records of `queryset`, and how many there are in all and how many meet
    each condition, in the same query (window aggregates over the whole set, before the limit)."""
    counts = {"total": Window(Count("pk"))} | {
        name: Window(Sum(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())))
        for name, condition in conditions.items()
    }
    records = list(queryset.annotate(**{f"window_{name}": value for name, value in counts.items()})[:ROW_LIMIT])
    if not records:
        return [], dict.fromkeys(counts, 0)
    return records, {name: getattr(records[0], f"window_{name}") or 0 for name in counts}


def figure(label: str, value, colour: str = "") -> dict:
    return {"label": str(label), "value": _number(value) if not isinstance(value, str) else value, "colour": colour}


NC_URL = "nonconformities:nonconformity_detail"
NC_LIST = "nonconformities:nonconformity_list"
NC_FIELDS = (
    "id",
    "reference",
    "title",
    "origin",
    "severity",
    "status",
    "party",
    "detected_on",
    "received_on",
    "responded_on",
    "closed_on",
    "effective",
    "reviewed_at",
)


@lru_cache(maxsize=64)
def _labels(choices: type[Choices], language: str | None) -> dict[str, str]:
    return {value: str(text) for value, text in choices.choices}


def label(choices: type[Choices], value: str) -> str:
    """A choice's label in the current language: translated once per pack, not once per row."""
    return _labels(choices, get_language()).get(value, value)


_list_urls: dict[tuple[str, str], str] = {}


def link(record) -> str:
    """The live record's page."""
    return record.get_absolute_url()


def _list_url(name: str, **params) -> str:
    key = (get_script_prefix(), name)
    if key not in _list_urls:
        _list_urls[key] = reverse(name)
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return _list_urls[key] + (f"?{query}" if query else "")


# The pack
# --------------------------------------------------------------------------


def compile_pack(review: ManagementReview, today: date | None = None) -> dict:
    """The review's pack from live records, one section per 9.3.2 input in order (see the module's
    docstring for its shape). `today` decides what is overdue (the local date by default)."""
    today = today or timezone.localdate()
    start, end = review.period_start, review.period_end
    since, until = period_bounds(start, end)
    data = _Reader(review, today, start, end, since, until)
    builders = {
        ReviewInput.A: data.section_a,
        ReviewInput.B: data.section_b,
        ReviewInput.C1: data.section_c1,
        ReviewInput.C2: data.section_c2,
        ReviewInput.C3: data.section_c3,
        ReviewInput.C4: data.section_c4,
        ReviewInput.C5: data.section_c5,
        ReviewInput.C6: data.section_c6,
        ReviewInput.C7: data.section_c7,
        ReviewInput.D: data.section_d,
        ReviewInput.E: data.section_e,
        ReviewInput.F: data.section_f,
    }
    sections = []
    for code, label in ReviewInput.choices:
        section = {"input": code, "title": str(label), "figures": [], "charts": [], "tables": []}
        section.update(builders[code]())
        sections.append(section)
    data.draw_charts(sections)
    return with_notes(
        review,
        {
            "version": PACK_VERSION,
            "review": {
                "id": review.pk,
                "reference": review.reference,
                "title": review.title,
                "planned_at": _iso(review.planned_at),
                "url": detail_url("reviews:managementreview_detail", review.pk),
            },
            "period": {"start": _day(start), "end": _day(end)},
            "compiled_at": _iso(timezone.now()),
            "sections": sections,
        },
    )


def with_notes(review: ManagementReview, pack: dict) -> dict:
    """The preparer's note and "decision needed" flag of each input, as they are now (one query)."""
    notes = {n.input: n for n in ReviewInputNote.objects.filter(review=review)}
    for section in pack["sections"]:
        note = notes.get(section["input"])
        section["decision_needed"] = bool(note and note.decision_needed)
        section["note"] = note.preparation_note if note else ""
    return pack


def live_pack(review: ManagementReview) -> dict:
    """The pack for the live page: the last pack compiled for the review (the same for everyone
    who opens it), with the preparer's notes and flags as they are now. When it is older than
    LIVE_PACK_SECONDS a worker compiles a fresh one for the next view; only the first view of a
    review compiles while it waits. The frozen pack is always compiled afresh (see compile_pack)."""
    compiled = cache.get(_live_key(review))
    if compiled is None:
        return store_live_pack(review)
    if timezone.now() - datetime.fromisoformat(compiled["compiled_at"]) > timedelta(seconds=LIVE_PACK_SECONDS):
        from .tasks import queue_live_pack

        queue_live_pack(review.pk)
    return with_notes(review, compiled)


def store_live_pack(review: ManagementReview) -> dict:
    """Compile the review's live pack now and keep it for the live page."""
    pack = compile_pack(review)
    cache.set(_live_key(review), pack, LIVE_PACK_KEEP_SECONDS)
    return pack


def _live_key(review: ManagementReview) -> str:
    return f"review-pack:{PACK_VERSION}:{review.pk}:{review.period_start}:{review.period_end}:{get_language()}"


def pack_context(review: ManagementReview) -> dict:
    """What `reviews/pack/_pack.html` needs: the frozen pack once the meeting has started (never
    recompiled) and the instant it was frozen, else the live pack."""
    if review.is_pack_frozen:
        return {"pack": review.frozen_data(), "frozen_at": review.frozen_at}
    return {"pack": live_pack(review), "frozen_at": None}


def render_pack(pack: dict, frozen_at: datetime | str | None = None, request=None) -> str:
    """The pack's HTML: the same template for the live pack and the frozen one ("As at" the
    instant it was frozen, else "Live" with the time it was compiled)."""
    context = {"pack": pack, "frozen_at": _instant(frozen_at), "compiled_at": compiled_at(pack)}
    return render_to_string("reviews/pack/_pack.html", context, request=request)


def compiled_at(pack: dict) -> datetime | None:
    """When the pack's figures were read from the records, in local time."""
    return _instant(pack.get("compiled_at"))


def _instant(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if value else None
    return timezone.localtime(value) if value else None


class _Reader:
    """Reads each kind of record once, for every section that needs it."""

    def __init__(self, review, today, start, end, since, until):
        self.review, self.today = review, today
        self.start, self.end, self.since, self.until = start, end, since, until
        self.chart_requests: dict[str, list[int]] = {}
        self._kpis = None
        self._audits = None
        self._types = None

    # Shared reads

    @property
    def types(self) -> dict:
        if self._types is None:
            found = ContentType.objects.get_for_models(Risk, Nonconformity, Finding, KPI, Process)
            self._types = {model: ct.pk for model, ct in found.items()}
        return self._types

    @property
    def kpis(self) -> list[dict]:
        """Every KPI still measured, as plain values, outcome first and worst first (one query)."""
        if self._kpis is None:
            rows = list(
                KPI.objects.measured()
                .values(*KPI_FIELDS, "owner__first_name", "owner__last_name", "owner__username")
                .order_by()
            )
            rows.sort(key=lambda k: (k["nature"] != Nature.OUTCOME, STATUS_RANK[k["status"]], k["reference"]))
            self._kpis = rows
        return self._kpis

    @cached_property
    def kpis_by_id(self) -> dict[int, dict]:
        return {k["id"]: k for k in self.kpis}

    def kpi_row(self, k: dict, *extra: dict) -> dict:
        value = _number(k["latest_value"])
        if value and k["unit"]:
            value = f"{value} {k['unit']}"
        return row(
            k["reference"],
            detail_url("objectives:kpi_detail", k["id"]),
            cell(f"{k['reference']} {k['name']}", detail_url("objectives:kpi_detail", k["id"])),
            cell(_("Outcome") if k["nature"] == Nature.OUTCOME else _("Activity")),
            cell(value),
            cell(_target_text(k)),
            cell(label(KPIStatus, k["status"]), colour=KPI_STATUS_COLOURS[k["status"]]),
            cell(_name(k["owner__first_name"], k["owner__last_name"], k["owner__username"])),
            *extra,
        )

    KPI_COLUMNS = (_("KPI"), _("Measures"), _("Latest value"), _("Target"), _("Status"), _("Owner"))

    def want_charts(self, code: str, kpis: list[dict]) -> None:
        self.chart_requests[code] = [k["id"] for k in kpis[: CHARTS.get(code, 0)]]

    def draw_charts(self, sections: list[dict]) -> None:
        """The KPI page's trend chart for each KPI a section asked for: values up to the end of the
        period, in one query for all of them."""
        wanted = {pk for ids in self.chart_requests.values() for pk in ids}
        if not wanted:
            return
        by_id = self.kpis_by_id
        points: dict[int, list] = defaultdict(list)
        oldest = self.end - timedelta(days=31 * CHART_PERIODS)
        values = Measurement.objects.filter(kpi_id__in=wanted, period_start__lte=self.end, period_start__gte=oldest)
        for kpi_id, start, value in values.order_by("kpi_id", "period_start").values_list(
            "kpi_id", "period_start", "value"
        ):
            points[kpi_id].append((start, value))
        for section in sections:
            for pk in self.chart_requests.get(section["input"], ()):
                k = by_id.get(pk)
                series = points[pk][-CHART_PERIODS:]
                if k is None or len(series) < 2:
                    continue
                kpi = _kpi(k)
                section["charts"].append(
                    {
                        "ref": k["reference"],
                        "title": f"{k['reference']} {k['name']}",
                        "url": detail_url("objectives:kpi_detail", pk),
                        "svg": trend_svg(kpi, series),
                    }
                )

    def kpi_status_figures(self, kpis: list[dict], prefix: str = "") -> list[dict]:
        counts = defaultdict(int)
        for k in kpis:
            counts[k["status"]] += 1
        return [
            figure(f"{prefix}: {s.label.lower()}" if prefix else s.label, counts[s], KPI_STATUS_COLOURS[s])
            for s in KPIStatus
            if counts[s]
        ]

    @property
    def audits(self) -> list:
        """The audits held in the period (those whose dates overlap it), not cancelled, with their
        findings counted by kind (one query)."""
        if self._audits is None:
            counts = {
                kind: Count("findings", filter=Q(findings__kind=kind), distinct=True) for kind in FindingKind.values
            }
            self._audits = list(
                Audit.objects.filter(planned_start__lte=self.end, planned_end__gte=self.start)
                .exclude(status=AuditStatus.CANCELLED)
                .select_related("owner")
                .annotate(**counts)
                .order_by("planned_start", "reference")
            )
        return self._audits

    # a) Actions from earlier reviews

    @cached_property
    def commentaries(self) -> list:
        """The process owners' commentaries for this review (c3, and as proposals in f)."""
        return list(
            ProcessCommentary.objects.filter(review=self.review)
            .select_related("process", "author")
            .order_by("process__reference")
        )

    @cached_property
    def decisions(self) -> list:
        return list(earlier_decisions(self.review, self.since))

    def section_a(self) -> dict:
        decisions = self.decisions
        rows, counts = [], defaultdict(int)
        for d in decisions:
            action = d.action
            if action is None:
                status, colour, overdue = _("No action"), "secondary", False
            else:
                status, colour = action.get_status_display(), ACTION_STATUS_COLOURS[action.status]
                overdue = action.status in ActionStatus.active() and action.due_date < self.today
            counts["overdue" if overdue else (action.status if action else "none")] += 1
            rows.append(
                row(
                    action.reference if action else f"{d.review.reference}-D{d.pk}",
                    link(action) if action else "",
                    cell(d.review.reference, detail_url("reviews:managementreview_detail", d.review_id)),
                    cell(d.title, link(action) if action else ""),
                    cell(d.get_kind_display()),
                    cell(str(d.owner)),
                    day_cell(d.due_date, colour="danger" if overdue else ""),
                    cell(status, colour="danger" if overdue else colour),
                )
            )
        active = sum(1 for d in decisions if d.action and d.action.status in ActionStatus.active())
        overdue = counts["overdue"]
        done = sum(1 for d in decisions if d.action and d.action.status in ActionStatus.closed() + [ActionStatus.DONE])
        return {
            "figures": [
                figure(_("Outputs followed up"), len(decisions)),
                figure(_("Still open"), active, "warning" if active else ""),
                figure(_("Overdue"), overdue, "danger" if overdue else ""),
                figure(_("Done or closed"), done, "success" if done else ""),
            ],
            "tables": [
                table(
                    "decisions",
                    _("Outputs of earlier reviews and their status now"),
                    [_("Review"), _("Decision"), _("Type"), _("Owner"), _("Due"), _("Status")],
                    rows,
                    empty=_("No outputs of earlier reviews to follow up."),
                )
            ],
        }

    # b) Changes in the context

    def section_b(self) -> dict:
        changes = context_changes(self.start, self.end)
        issues, parties, statements = list(changes.issues), list(changes.parties), list(changes.statements)

        def change(record) -> dict:
            if record.status == "retired":
                return cell(_("Retired"), colour="secondary")
            return cell(_("Added") if record.added_in_period else _("Changed"), colour="info")

        return {
            "figures": [
                figure(_("Context issues changed"), len(issues)),
                figure(_("Interested parties changed"), len(parties)),
                figure(_("Policy and scope versions approved"), len(statements)),
            ],
            "tables": [
                table(
                    "issues",
                    _("Context issues added, changed or retired"),
                    [_("Issue"), _("Side"), _("Category"), _("Effect"), _("Change"), _("Last change"), _("Owner")],
                    [
                        row(
                            i.reference,
                            link(i),
                            cell(str(i), link(i)),
                            cell(i.get_side_display()),
                            cell(i.get_category_display()),
                            cell(i.get_effect_display(), colour=i.effect_colour),
                            change(i),
                            day_cell(i.last_change_at),
                            cell(str(i.owner)),
                        )
                        for i in issues
                    ],
                ),
                table(
                    "parties",
                    _("Interested parties added, changed or retired"),
                    [_("Party"), _("Kind"), _("Change"), _("Last change"), _("Owner")],
                    [
                        row(
                            p.reference,
                            link(p),
                            cell(str(p), link(p)),
                            cell(p.get_kind_display()),
                            change(p),
                            day_cell(p.last_change_at),
                            cell(str(p.owner)),
                        )
                        for p in parties
                    ],
                ),
                table(
                    "statements",
                    _("Quality policy and scope: versions approved"),
                    [_("Statement"), _("Approved on"), _("By")],
                    [
                        row(
                            s.reference,
                            link(s),
                            cell(str(s), link(s)),
                            day_cell(s.approved_at),
                            cell(str(s.approved_by or "")),
                        )
                        for s in statements
                    ],
                ),
            ],
        }

    # c1) Customer satisfaction and feedback

    def section_c1(self) -> dict:
        kpis = [k for k in self.kpis if k["review_topic"] == ReviewTopic.CUSTOMER]
        self.want_charts("c1", kpis)
        first = Period.containing(Frequency.MONTHLY, self.start)
        last = Period.containing(Frequency.MONTHLY, self.end)
        months = complaint_figures(Frequency.MONTHLY, first, last)
        complaints = [n for n in self.ncs if n.origin == Origin.CUSTOMER_COMPLAINT and self._received_in_period(n)]
        received = len(complaints)
        answered = [n for n in complaints if n.responded_on]
        title = _("Complaints per month")
        bars = month_bars(
            title,
            [m.period.label for m in months],
            [(_("Received"), [m.received for m in months]), (_("Answered"), [m.answered for m in months])],
        )
        complaints_url = _list_url("nonconformities:nonconformity_list", origin=Origin.CUSTOMER_COMPLAINT)
        return {
            "charts": [{"ref": "complaints", "title": title, "url": complaints_url, "svg": bars}],
            "figures": [
                *self.kpi_status_figures(kpis),
                figure(_("Complaints received"), received, "warning" if received else ""),
                figure(_("Complaints answered"), len(answered)),
            ],
            "tables": [
                table(
                    "kpis",
                    _("Customer satisfaction KPIs"),
                    list(self.KPI_COLUMNS),
                    [self.kpi_row(k) for k in kpis],
                    empty=_("No KPI is tagged for customer satisfaction."),
                ),
                table(
                    "complaint_months",
                    _("Complaints by month"),
                    [_("Month"), _("Received"), _("Answered"), _("Average response (days)")],
                    [
                        row(
                            m.period.start.isoformat(),
                            "",
                            cell(m.period.label),
                            cell(m.received),
                            cell(m.answered),
                            cell(_number(m.average_response_days)),
                        )
                        for m in months
                        if m.received or m.answered
                    ],
                ),
                table(
                    "complaints",
                    _("Complaints received in the period"),
                    [_("Complaint"), _("Customer"), _("Received"), _("Answered"), _("Status")],
                    [
                        row(
                            n.reference,
                            detail_url(NC_URL, n.id),
                            cell(f"{n.reference} {n.title}", detail_url(NC_URL, n.id)),
                            cell(n.party),
                            day_cell(n.received_on or n.detected_on),
                            day_cell(n.responded_on),
                            cell(label(NCStatus, n.status), colour=NC_STATUS_COLOURS[n.status]),
                        )
                        for n in complaints[:ROW_LIMIT]
                    ],
                    total=len(complaints),
                    more_url=_list_url("nonconformities:nonconformity_list", origin=Origin.CUSTOMER_COMPLAINT),
                ),
            ],
        }

    def _received_in_period(self, nc) -> bool:
        return self.start <= (nc.received_on or nc.detected_on) <= self.end

    # c2) Quality objectives

    def section_c2(self) -> dict:
        objectives = list(
            Objective.objects.with_progress()
            .filter(Q(status=ObjectiveStatus.ACTIVE) | Q(due_date__range=(self.start, self.end)))
            .annotate(theme_title=F("theme__title"), **_owner_names())
            .order_by("due_date", "reference")
        )
        # Their KPIs from the KPIs read already (as if prefetched): the links cost one query, and
        # no KPI is loaded twice.
        by_id, kpi_of = self.kpis_by_id, {}
        linked = defaultdict(list)
        links = KPI.objectives.through.objects.filter(objective__in=[o.pk for o in objectives])
        for objective_id, kpi_id in links.values_list("objective_id", "kpi_id"):
            if kpi_id in by_id:
                if kpi_id not in kpi_of:
                    kpi_of[kpi_id] = _kpi(by_id[kpi_id])
                linked[objective_id].append(kpi_of[kpi_id])
        for o in objectives:
            kpis = KPI.objects.none()
            kpis._result_cache, kpis._prefetch_done = linked[o.pk], True
            o._prefetched_objects_cache = {"kpis": kpis}
        rows, met, not_met = [], 0, 0
        for o in objectives:
            progress = o.progress
            if o.status == ObjectiveStatus.ACHIEVED or (o.status == ObjectiveStatus.ACTIVE and progress.percent == 100):
                met += 1
                verdict = cell(_("Met"), colour="success")
            elif o.status == ObjectiveStatus.NOT_ACHIEVED or (
                o.status == ObjectiveStatus.ACTIVE and o.due_date < self.today
            ):
                not_met += 1
                verdict = cell(_("Not met"), colour="danger")
            elif o.status == ObjectiveStatus.WITHDRAWN:
                verdict = cell(o.get_status_display(), colour="secondary")
            else:
                verdict = cell(_("Under way"), colour=progress.colour)
            if len(rows) >= ROW_LIMIT:
                continue
            rows.append(
                row(
                    o.reference,
                    link(o),
                    cell(str(o), link(o)),
                    cell(o.theme_title),
                    day_cell(o.due_date),
                    cell(label(ObjectiveStatus, o.status), colour=OBJECTIVE_STATUS_COLOURS[o.status]),
                    cell(f"{progress.percent} %" if progress.percent is not None else "—", colour=progress.colour),
                    cell(f"{progress.on_target}/{progress.judged}"),
                    verdict,
                    cell(_name(o.owner_first_name, o.owner_last_name, o.owner_username)),
                )
            )
        main_ids = {o.main_kpi_id for o in objectives if o.main_kpi_id}
        self.want_charts("c2", [k for k in self.kpis if k["id"] in main_ids])
        return {
            "figures": [
                figure(_("Objectives"), len(objectives)),
                figure(_("Met"), met, "success" if met else ""),
                figure(_("Not met"), not_met, "danger" if not_met else ""),
                figure(_("Under way"), len(objectives) - met - not_met),
            ],
            "tables": [
                table(
                    "objectives",
                    _("Quality objectives"),
                    [
                        _("Objective"),
                        _("Theme"),
                        _("Due"),
                        _("Status"),
                        _("Progress"),
                        _("KPIs on target"),
                        _("Met?"),
                        _("Owner"),
                    ],
                    rows,
                    total=len(objectives),
                    more_url=_list_url("objectives:objective_list"),
                )
            ],
        }

    # c3) Process performance and conformity

    def section_c3(self) -> dict:
        """Each active process with the status of its KPIs, outcome measures first, and its owner's
        commentary; the processes whose outcome measures fare worst come first."""
        processes = list(
            Process.objects.filter(status=ProcessStatus.ACTIVE)
            .values("id", "reference", "name", "owner__first_name", "owner__last_name", "owner__username")
            .order_by("reference")
        )
        links = KPI.processes.through.objects.filter(kpi__is_active=True).values_list("kpi_id", "process_id")
        by_id = self.kpis_by_id
        order = {k["id"]: n for n, k in enumerate(self.kpis)}  # outcome first, worst first
        kpis_of: dict[int, list[int]] = defaultdict(list)
        for kpi_id, process_id in links:
            if kpi_id in by_id:
                kpis_of[process_id].append(kpi_id)
        for ids in kpis_of.values():
            ids.sort(key=order.__getitem__)
        worst = len(self.kpis)

        def urgency(p: dict) -> tuple:
            outcome = [i for i in kpis_of.get(p["id"], ()) if by_id[i]["nature"] == Nature.OUTCOME]
            return (order[outcome[0]] if outcome else worst, p["reference"])

        processes.sort(key=urgency)
        commentaries = {c.process_id: c for c in self.commentaries}
        rows = [self._process_row(p, [by_id[i] for i in kpis_of.get(p["id"], ())], commentaries.get(p["id"]))
                for p in processes[:ROW_LIMIT]]  # fmt: skip
        return {
            "figures": [
                figure(_("Processes"), len(processes)),
                figure(_("Commentaries from process owners"), len(commentaries)),
                *self.kpi_status_figures(
                    [k for k in self.kpis if k["nature"] == Nature.OUTCOME], prefix=_("Outcome KPIs")
                ),
            ],
            "tables": [
                table(
                    "processes",
                    _("KPI status per process (outcome measures first)"),
                    [_("Process"), _("Owner"), _("Outcome KPIs"), _("Activity KPIs"), _("Owner's commentary")],
                    rows,
                    total=len(processes),
                    more_url=_list_url("processes:process_list"),
                )
            ],
        }

    def _process_row(self, p: dict, kpis: list[dict], commentary) -> dict:
        outcome = [k for k in kpis if k["nature"] == Nature.OUTCOME]
        activity = [k for k in kpis if k["nature"] != Nature.OUTCOME]
        url = detail_url("processes:process_detail", p["id"])
        return {
            **row(
                p["reference"],
                url,
                cell(f"{p['reference']} {p['name']}", url),
                cell(_name(p["owner__first_name"], p["owner__last_name"], p["owner__username"])),
                cell(_status_summary(outcome)),
                cell(_status_summary(activity)),
                cell(commentary.text if commentary else "—"),
            ),
            "kpis": [
                {
                    "ref": k["reference"],
                    "name": f"{k['reference']} {k['name']}",
                    "url": detail_url("objectives:kpi_detail", k["id"]),
                    "nature": k["nature"],
                    "status": label(KPIStatus, k["status"]),
                    "colour": KPI_STATUS_COLOURS[k["status"]],
                }
                for k in (outcome + activity)[:KPIS_PER_PROCESS]
            ],
            "kpi_count": len(kpis),
            "commentary": {
                "text": commentary.text,
                "by": str(commentary.author or ""),
                "at": _iso(commentary.updated_at),
            }
            if commentary
            else None,
        }

    # c4) Nonconformities and corrective actions

    @property
    def ncs(self) -> list:
        """Nonconformities found, closed or judged in the period, and complaints received in it (one query)."""
        if not hasattr(self, "_ncs"):
            self._ncs = [
                SimpleNamespace(**nc)
                for nc in Nonconformity.objects.filter(
                    Q(detected_on__range=(self.start, self.end))
                    | Q(closed_on__range=(self.start, self.end))
                    | Q(reviewed_at__gte=self.since, reviewed_at__lt=self.until)
                    | Q(origin=Origin.CUSTOMER_COMPLAINT, received_on__range=(self.start, self.end))
                )
                .values(*NC_FIELDS)
                .order_by("detected_on", "reference")
            ]
        return self._ncs

    def section_c4(self) -> dict:
        in_period = lambda day: day is not None and self.start <= day <= self.end  # noqa: E731
        ncs = [n for n in self.ncs if in_period(n.detected_on) or in_period(n.closed_on) or self._reviewed(n)]
        opened = [n for n in ncs if in_period(n.detected_on)]
        closed = [n for n in ncs if in_period(n.closed_on)]
        reviewed = [n for n in ncs if self._reviewed(n)]
        effective = sum(1 for n in reviewed if n.effective)
        actions = defaultdict(list)
        nc_type = self.types[Nonconformity]
        shown = ncs[:ROW_LIMIT]
        for a in Action.objects.filter(source_type_id=nc_type, source_id__in=[n.id for n in shown]).only(
            "id", "reference", "status", "due_date", "source_id", "kind"
        ):
            actions[a.source_id].append(a)
        rows = []
        for n in shown:
            its = actions.get(n.id, [])
            done = sum(1 for a in its if a.status not in ActionStatus.active())
            rows.append(
                row(
                    n.reference,
                    detail_url(NC_URL, n.id),
                    cell(f"{n.reference} {n.title}", detail_url(NC_URL, n.id)),
                    cell(label(Origin, n.origin)),
                    cell(label(Severity, n.severity)),
                    day_cell(n.detected_on),
                    day_cell(n.closed_on),
                    cell(label(NCStatus, n.status), colour=NC_STATUS_COLOURS[n.status]),
                    cell(f"{done}/{len(its)}" if its else "—"),
                    cell(
                        "" if n.effective is None else (_("Effective") if n.effective else _("Not effective")),
                        colour="" if n.effective is None else ("success" if n.effective else "danger"),
                    ),
                )
            )
        months = _months(self.start, self.end)
        index = {m.start: n for n, m in enumerate(months)}
        found, done = [0] * len(months), [0] * len(months)
        for n in opened:
            found[index[n.detected_on.replace(day=1)]] += 1
        for n in closed:
            done[index[n.closed_on.replace(day=1)]] += 1
        title = _("Nonconformities opened and closed per month")
        bars = month_bars(title, [m.label for m in months], [(_("Opened"), found), (_("Closed"), done)])
        chart = {"ref": "nonconformities", "title": title, "url": _list_url(NC_LIST), "svg": bars}
        return {
            "charts": [chart],
            "figures": [
                figure(_("Opened"), len(opened), "warning" if opened else ""),
                figure(_("Closed"), len(closed), "success" if closed else ""),
                figure(_("Judged effective"), effective, "success" if effective else ""),
                figure(
                    _("Judged not effective"), len(reviewed) - effective, "danger" if len(reviewed) > effective else ""
                ),
            ],
            "tables": [
                table(
                    "nonconformities",
                    _("Nonconformities opened, closed or judged in the period"),
                    [
                        _("Nonconformity"),
                        _("Source"),
                        _("Severity"),
                        _("Found"),
                        _("Closed"),
                        _("Status"),
                        _("Actions done"),
                        _("Effectiveness"),
                    ],
                    rows,
                    total=len(ncs),
                    more_url=_list_url("nonconformities:nonconformity_list"),
                )
            ],
        }

    def _reviewed(self, nc) -> bool:
        return nc.reviewed_at is not None and self.since <= nc.reviewed_at < self.until

    # c5) Monitoring and measurement results

    def section_c5(self) -> dict:
        flagged = [k for k in self.kpis if k["status"] in (KPIStatus.OFF_TARGET, KPIStatus.OVERDUE)]
        self.want_charts("c5", [k for k in flagged if k["status"] == KPIStatus.OFF_TARGET])
        return {
            "figures": self.kpi_status_figures(self.kpis),
            "tables": [
                table(
                    "kpis",
                    _("KPIs off target or overdue (outcome measures first)"),
                    list(self.KPI_COLUMNS),
                    [self.kpi_row(k) for k in flagged[:ROW_LIMIT]],
                    total=len(flagged),
                    more_url=_list_url("objectives:kpi_list", status=KPIStatus.OFF_TARGET),
                    empty=_("Every KPI is on target or within its warning band."),
                )
            ],
        }

    # c6) Audit results

    def section_c6(self) -> dict:
        audits = self.audits
        totals = {kind: sum(getattr(a, kind) for a in audits) for kind in FindingKind.values}
        colours = {
            FindingKind.MAJOR_NC: "danger",
            FindingKind.MINOR_NC: "warning",
            FindingKind.OBSERVATION: "info",
            FindingKind.OFI: "success",
        }
        return {
            "figures": [
                figure(_("Audits"), len(audits)),
                *(
                    figure(FindingKind(kind).label, totals[kind], colours[kind] if totals[kind] else "")
                    for kind in FindingKind.values
                ),
            ],
            "tables": [
                table(
                    "audits",
                    _("Audits of the period"),
                    [
                        _("Audit"),
                        _("Dates"),
                        _("Status"),
                        _("Lead auditor"),
                        *(FindingKind(kind).label for kind in FindingKind.values),
                    ],
                    [
                        row(
                            a.reference,
                            link(a),
                            cell(str(a), link(a)),
                            cell(f"{_day(a.planned_start)} – {_day(a.planned_end)}"),
                            cell(a.get_status_display(), colour=a.status_colour),
                            cell(str(a.owner)),
                            *(
                                cell(getattr(a, kind), colour=colours[kind] if getattr(a, kind) else "")
                                for kind in FindingKind.values
                            ),
                        )
                        for a in audits
                    ],
                    more_url=_list_url("audits:audit_list"),
                )
            ],
        }

    # c7) External providers

    def section_c7(self) -> dict:
        kpis = [k for k in self.kpis if k["review_topic"] == ReviewTopic.SUPPLIER]
        self.want_charts("c7", kpis)
        supplier_ncs = [n for n in self.ncs if n.origin == Origin.SUPPLIER and self.start <= n.detected_on <= self.end]
        return {
            "figures": [*self.kpi_status_figures(kpis), figure(_("Supplier nonconformities"), len(supplier_ncs))],
            "tables": [
                table(
                    "kpis",
                    _("External provider KPIs"),
                    list(self.KPI_COLUMNS),
                    [self.kpi_row(k) for k in kpis],
                    empty=_("No KPI is tagged for external provider performance."),
                ),
                table(
                    "nonconformities",
                    _("Nonconformities from suppliers found in the period"),
                    [_("Nonconformity"), _("Supplier"), _("Found"), _("Status")],
                    [
                        row(
                            n.reference,
                            detail_url(NC_URL, n.id),
                            cell(f"{n.reference} {n.title}", detail_url(NC_URL, n.id)),
                            cell(n.party),
                            day_cell(n.detected_on),
                            cell(label(NCStatus, n.status), colour=NC_STATUS_COLOURS[n.status]),
                        )
                        for n in supplier_ncs[:ROW_LIMIT]
                    ],
                    total=len(supplier_ncs),
                    more_url=_list_url("nonconformities:nonconformity_list", origin=Origin.SUPPLIER),
                ),
            ],
        }

    # d) Adequacy of resources

    def section_d(self) -> dict:
        needs = [d for d in self.decisions if d.kind == OutputKind.RESOURCE_NEED]
        owners = overdue_actions_by_owner(self.today)
        total = sum(o["overdue"] for o in owners)
        return {
            "figures": [
                figure(_("Resource needs raised by earlier reviews"), len(needs)),
                figure(_("Overdue actions"), total, "danger" if total else ""),
                figure(_("People with overdue actions"), len(owners)),
            ],
            "tables": [
                table(
                    "resource_needs",
                    _("Resource needs decided by earlier reviews"),
                    [_("Decision"), _("Owner"), _("Due"), _("Status")],
                    [
                        row(
                            d.action.reference if d.action else str(d.pk),
                            link(d.action) if d.action else "",
                            cell(d.title, link(d.action) if d.action else ""),
                            cell(str(d.owner)),
                            day_cell(d.due_date),
                            cell(
                                d.action.get_status_display() if d.action else "",
                                colour=ACTION_STATUS_COLOURS[d.action.status] if d.action else "",
                            ),
                        )
                        for d in needs
                    ],
                    empty=_("No resource needs were decided by earlier reviews."),
                ),
                table(
                    "overdue_by_owner",
                    _("Overdue actions by owner"),
                    [_("Owner"), _("Overdue actions")],
                    [
                        row(
                            str(o["owner_id"]),
                            _list_url("qms:action_list", owner=o["owner_id"], overdue="on"),
                            cell(
                                _name(o["owner__first_name"], o["owner__last_name"], o["owner__username"]),
                                detail_url("qms:user_detail", o["owner_id"]),
                            ),
                            cell(
                                o["overdue"], _list_url("qms:action_list", owner=o["owner_id"], overdue="on"), "danger"
                            ),
                        )
                        for o in owners
                    ],
                    more_url=_list_url("qms:action_list", overdue="on"),
                    empty=_("No action is overdue."),
                ),
            ],
        }

    # e) Actions on risks and opportunities

    def section_e(self) -> dict:
        risk_type = self.types[Risk]
        in_period = {
            "done": Q(completed_on__range=(self.start, self.end)),
            "effective": Q(
                verified_at__gte=self.since, verified_at__lt=self.until, status=ActionStatus.VERIFIED_EFFECTIVE
            ),
            "not_effective": Q(
                verified_at__gte=self.since, verified_at__lt=self.until, status=ActionStatus.NOT_EFFECTIVE
            ),
            "overdue": Q(status__in=ActionStatus.active(), due_date__lt=self.today),
        }
        # All open treatments, whatever their age, can be many: counted in one aggregate, and only
        # the most urgent read (a window count would sort them all).
        treatments = Action.objects.filter(source_type_id=risk_type).filter(
            Q(status__in=ActionStatus.active())
            | in_period["done"]
            | Q(verified_at__gte=self.since, verified_at__lt=self.until)
        )
        counts = treatments.aggregate(
            total=Count("pk"), **{name: Count("pk", filter=condition) for name, condition in in_period.items()}
        )
        # The most urgent first; sorted on the ids alone, then only those read in full.
        urgent = treatments.urgent_first().values("pk")[:ROW_LIMIT]
        risk = Risk.objects.filter(pk=OuterRef("source_id"))
        treatments = list(
            Action.objects.filter(pk__in=Subquery(urgent))
            .select_related("owner")
            .annotate(
                risk_reference=Subquery(risk.values("reference")[:1]), risk_title=Subquery(risk.values("title")[:1])
            )
            .urgent_first()
        )
        effective, not_effective, overdue = counts["effective"], counts["not_effective"], counts["overdue"]
        ranks = {b: n for n, b in enumerate(Band.values)}
        moves = residual_band_moves(self.since, self.until)
        moved = {m["id"] for m in moves if m["band_before"] and m["band_after"]}
        worse = {
            m["id"]
            for m in moves
            if m["id"] in moved and (ranks[m["band_after"]] > ranks[m["band_before"]]) == (m["kind"] == RiskKind.RISK)
        }
        # Risks that got worse (and opportunities that shrank) first, then other moves, then new ones.
        moves.sort(key=lambda m: (m["id"] not in worse, m["id"] not in moved, m["reference"]))
        rows = []
        for a in treatments:
            verdict = {
                ActionStatus.VERIFIED_EFFECTIVE: ("success", _("Verified effective")),
                ActionStatus.NOT_EFFECTIVE: ("danger", _("Not effective")),
            }.get(a.status)
            rows.append(
                row(
                    a.reference,
                    link(a),
                    cell(str(a), link(a)),
                    cell(f"{a.risk_reference} {a.risk_title}", detail_url("risks:risk_detail", a.source_id)),
                    cell(str(a.owner)),
                    day_cell(a.due_date, colour="danger" if a.is_overdue else ""),
                    cell(a.get_status_display(), colour=ACTION_STATUS_COLOURS[a.status]),
                    cell(verdict[1] if verdict else "", colour=verdict[0] if verdict else ""),
                )
            )
        return {
            "figures": [
                figure(_("Treatments done in the period"), counts["done"]),
                figure(_("Verified effective"), effective, "success" if effective else ""),
                figure(_("Not effective"), not_effective, "danger" if not_effective else ""),
                figure(_("Treatments overdue"), overdue, "danger" if overdue else ""),
                figure(_("Residual band moved"), len(moved)),
                figure(_("…of which for the worse"), len(worse), "danger" if worse else ""),
                figure(_("Scored for the first time"), len(moves) - len(moved)),
            ],
            "tables": [
                table(
                    "treatments",
                    _("Treatments of risks and opportunities (open, done or checked in the period)"),
                    [_("Treatment"), _("Risk"), _("Owner"), _("Due"), _("Status"), _("Effectiveness")],
                    rows,
                    total=counts["total"],
                    more_url=_list_url("qms:action_list", source="risk"),
                ),
                table(
                    "band_moves",
                    _("Band with controls: movement in the period"),
                    [_("Risk or opportunity"), _("Band before"), _("Band now"), _("Movement")],
                    [_band_move_row(m, ranks) for m in moves[:ROW_LIMIT]],
                    total=len(moves),
                    more_url=_list_url("risks:risk_list"),
                ),
            ],
        }

    # f) Opportunities for improvement

    def section_f(self) -> dict:
        ofis, ofi_counts = limited(
            Finding.objects.filter(audit__in=[a.pk for a in self.audits], kind=FindingKind.OFI)
            .select_related("audit", "process")
            .order_by("audit__planned_start", "number")
        )
        improvements, improvement_counts = limited(
            Action.objects.filter(kind=ActionKind.IMPROVEMENT, created_at__gte=self.since, created_at__lt=self.until)
            .select_related("owner", "source_type")
            .order_by("created_at", "pk")
        )
        new = Q(created_at__gte=self.since, created_at__lt=self.until)
        opportunities, opportunity_counts = limited(
            Risk.objects.filter(kind=RiskKind.OPPORTUNITY)
            .filter(new | ~Q(status=RiskStatus.CLOSED))
            .select_related("owner")
            .order_by("-created_at", "reference"),
            new=new,
            open=~Q(status=RiskStatus.CLOSED),
        )
        commentaries = self.commentaries
        return {
            "figures": [
                figure(_("Audit opportunities"), ofi_counts["total"]),
                figure(_("Improvement actions raised"), improvement_counts["total"]),
                figure(_("Opportunities identified"), opportunity_counts["new"]),
                figure(_("Open opportunities"), opportunity_counts["open"]),
            ],
            "tables": [
                table(
                    "findings",
                    _("Opportunities for improvement found by audits"),
                    [_("Finding"), _("Audit"), _("Process"), _("Clause")],
                    [
                        row(
                            f"{f.audit.reference}-F{f.number}",
                            link(f),
                            cell(f.title, link(f)),
                            cell(f.audit.reference, link(f.audit)),
                            cell(str(f.process or "")),
                            cell(f.clause),
                        )
                        for f in ofis
                    ],
                    total=ofi_counts["total"],
                    more_url=_list_url("audits:finding_list", kind=FindingKind.OFI),
                ),
                table(
                    "improvements",
                    _("Improvement actions raised in the period"),
                    [_("Action"), _("Raised from"), _("Owner"), _("Due"), _("Status")],
                    [
                        row(
                            a.reference,
                            link(a),
                            cell(str(a), link(a)),
                            cell(a.source_type.name if a.source_type else _("Raised directly")),
                            cell(str(a.owner)),
                            day_cell(a.due_date),
                            cell(a.get_status_display(), colour=ACTION_STATUS_COLOURS[a.status]),
                        )
                        for a in improvements
                    ],
                    total=improvement_counts["total"],
                    more_url=_list_url("qms:action_list", kind=ActionKind.IMPROVEMENT),
                ),
                table(
                    "opportunities",
                    _("Opportunities in the register (new in the period, or open)"),
                    [_("Opportunity"), _("Band"), _("Status"), _("Owner"), _("Identified")],
                    [
                        row(
                            o.reference,
                            link(o),
                            cell(str(o), link(o)),
                            _band_cell(o.kind, o.residual_band),
                            cell(o.get_status_display(), colour=o.status_colour),
                            cell(str(o.owner)),
                            day_cell(o.created_at),
                        )
                        for o in opportunities
                    ],
                    total=opportunity_counts["total"],
                    more_url=_list_url("risks:risk_list", kind=RiskKind.OPPORTUNITY),
                ),
                table(
                    "commentaries",
                    _("What process owners propose"),
                    [_("Process"), _("Commentary"), _("By")],
                    [
                        row(
                            c.process.reference,
                            link(c.process),
                            cell(str(c.process), link(c.process)),
                            cell(c.text),
                            cell(str(c.author or "")),
                        )
                        for c in commentaries
                    ],
                    empty=_("No commentary yet."),
                ),
            ],
        }


BAR_COLOURS = ("#1f3a5f", "#198754", "#dc3545")


def month_bars(title: str, months: list[str], series: list[tuple[str, list[int]]]) -> str:
    """A small bar chart of counts per month, one bar per series side by side, as inline SVG drawn
    by hand (cheap, and the same bytes for the same counts)."""
    width, height, left, bottom, top = 640, 150, 28, 22, 18
    peak = max([1, *(v for _name, values in series for v in values)])
    slot = (width - left) / max(1, len(months))
    bar = min(18.0, (slot - 4) / max(1, len(series)))
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" class="month-bars" style="max-width:100%;height:auto" '
        'font-family="DejaVu Sans, sans-serif" font-size="10">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#adb5bd"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" fill="#6c757d">{peak}</text>',
    ]
    every = max(1, round(len(months) / 12))
    for m, month in enumerate(months):
        x0 = left + m * slot + (slot - bar * len(series)) / 2
        for n, (name, values) in enumerate(series):
            value = values[m]
            h = value * scale
            y = height - bottom - h
            parts.append(
                f'<rect x="{x0 + n * bar:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{BAR_COLOURS[n % len(BAR_COLOURS)]}">'
                f"<title>{escape(name)}, {escape(month)}: {value}</title></rect>"
            )
        if m % every == 0:
            parts.append(
                f'<text x="{left + m * slot + slot / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#6c757d">'
                f"{escape(month)}</text>"
            )
    for n, (name, _values) in enumerate(series):
        x = left + n * 150
        parts.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{BAR_COLOURS[n % len(BAR_COLOURS)]}"/>')
        parts.append(f'<text x="{x + 14}" y="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _months(start: date, end: date) -> list[Period]:
    months, month = [], Period.containing(Frequency.MONTHLY, start)
    while month.start <= end:
        months.append(month)
        month = month.next()
    return months


def _kpi(values: dict) -> KPI:
    """A KPI instance from the values read (the other fields deferred), as a query would load it."""
    names = [f.attname for f in KPI._meta.concrete_fields if f.attname in values]  # in the model's order
    return KPI.from_db("default", names, [values[name] for name in names])


def _target_text(k: dict) -> str:
    target = _number(k["target"])
    if k["direction"] == "range" and k["target_upper"] is not None:
        text = f"{target}–{_number(k['target_upper'])}"
    else:
        text = ("≥ " if k["direction"] == "higher" else "≤ ") + target
    return f"{text} {k['unit']}".strip()


def _status_summary(kpis: list[dict]) -> str:
    if not kpis:
        return "—"
    counts = defaultdict(int)
    for k in kpis:
        counts[k["status"]] += 1
    return ", ".join(f"{counts[s]} {KPIStatus(s).label.lower()}" for s in KPIStatus.values if counts[s])


def _band_move_row(move: dict, ranks: dict) -> dict:
    before, after, kind = move["band_before"], move["band_after"], move["kind"]
    if not before:
        movement, colour = _("New"), "info"
    elif not after:
        movement, colour = _("Not scored"), "secondary"
    elif ranks[after] > ranks[before]:
        movement, colour = (_("Worse"), "danger") if kind == RiskKind.RISK else (_("Greater"), "success")
    else:
        movement, colour = (_("Better"), "success") if kind == RiskKind.RISK else (_("Smaller"), "warning")
    url = detail_url("risks:risk_detail", move["id"])
    return row(
        move["reference"],
        url,
        cell(f"{move['reference']} {move['title']}", url),
        _band_cell(kind, before),
        _band_cell(kind, after),
        cell(movement, colour=colour),
    )


def _band_cell(kind: str, band: str | None) -> dict:
    if not band:
        return cell("—")
    return cell(band_label(kind, band), colour=f"band band-{band_colour(kind, band)}")
