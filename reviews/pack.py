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
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from audits.choices import AuditStatus, FindingKind
from audits.models import Audit, Finding
from nonconformities.models import Nonconformity
from objectives.charts import trend_svg
from objectives.choices import (
    KPI_STATUS_COLOURS,
    KPIStatus,
    Nature,
)
from objectives.models import KPI, Measurement
from processes.models import Process
from qms.choices import ACTION_STATUS_COLOURS, ActionKind, ActionStatus
from qms.models import Action, detail_url
from risks.choices import Band, RiskKind, RiskStatus
from risks.models import Risk

from .choices import OutputKind, ReviewInput
from .models import ManagementReview, ProcessCommentary, ReviewInputNote, period_bounds
from .pack_parts import (
    ROW_LIMIT,
    band_cell,
    band_move_row,
    cell,
    day_cell,
    day_text,
    figure,
    iso_text,
    kpi_from,
    label,
    limited,
    link,
    list_url,
    number_text,
    person_name,
    row,
    table,
    target_text,
)
from .pack_performance import PerformanceInputs
from .selectors import context_changes, earlier_decisions, overdue_actions_by_owner, residual_band_moves

PACK_VERSION = 1
# The live pack page never compiles while someone waits, once a pack was compiled: compiling reads
# every module (about half a second of CPU at enterprise size). It shows the last pack compiled
# and, when that is older than LIVE_PACK_SECONDS, has a worker compile a fresh one; a compiled
# pack is kept LIVE_PACK_KEEP_SECONDS in the shared cache.
LIVE_PACK_SECONDS = 60
LIVE_PACK_KEEP_SECONDS = 7 * 24 * 3600
# Trend charts per section, most telling KPIs first: each costs about 0.13 s of CPU to draw cold
# (then it is cached by its data), and the pack is frozen within 2 s even with none cached.
CHARTS = {"c1": 3, "c2": 3, "c5": 2, "c7": 2}
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
    for code, title in ReviewInput.choices:
        section = {"input": code, "title": str(title), "figures": [], "charts": [], "tables": []}
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
                "planned_at": iso_text(review.planned_at),
                "url": detail_url("reviews:managementreview_detail", review.pk),
            },
            "period": {"start": day_text(start), "end": day_text(end)},
            "compiled_at": iso_text(timezone.now()),
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


class _Reader(PerformanceInputs):
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
        value = number_text(k["latest_value"])
        if value and k["unit"]:
            value = f"{value} {k['unit']}"
        return row(
            k["reference"],
            detail_url("objectives:kpi_detail", k["id"]),
            cell(f"{k['reference']} {k['name']}", detail_url("objectives:kpi_detail", k["id"])),
            cell(_("Outcome") if k["nature"] == Nature.OUTCOME else _("Activity")),
            cell(value),
            cell(target_text(k)),
            cell(label(KPIStatus, k["status"]), colour=KPI_STATUS_COLOURS[k["status"]]),
            cell(person_name(k["owner__first_name"], k["owner__last_name"], k["owner__username"])),
            *extra,
        )

    KPI_COLUMNS = (_("KPI"), _("Measures"), _("Latest value"), _("Target"), _("Status"), _("Owner"))

    def kpi_table(self, title: str, kpis: list[dict], **more) -> dict:
        """A table of KPIs, a row each (`kpi_row`); `more` as `table` takes it (total, more_url, empty)."""
        return table("kpis", title, list(self.KPI_COLUMNS), [self.kpi_row(k) for k in kpis], **more)

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
                kpi = kpi_from(k)
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
                            list_url("qms:action_list", owner=o["owner_id"], overdue="on"),
                            cell(
                                person_name(o["owner__first_name"], o["owner__last_name"], o["owner__username"]),
                                detail_url("qms:user_detail", o["owner_id"]),
                            ),
                            cell(
                                o["overdue"], list_url("qms:action_list", owner=o["owner_id"], overdue="on"), "danger"
                            ),
                        )
                        for o in owners
                    ],
                    more_url=list_url("qms:action_list", overdue="on"),
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
                    more_url=list_url("qms:action_list", source="risk"),
                ),
                table(
                    "band_moves",
                    _("Band with controls: movement in the period"),
                    [_("Risk or opportunity"), _("Band before"), _("Band now"), _("Movement")],
                    [band_move_row(m, ranks) for m in moves[:ROW_LIMIT]],
                    total=len(moves),
                    more_url=list_url("risks:risk_list"),
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
                    more_url=list_url("audits:finding_list", kind=FindingKind.OFI),
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
                    more_url=list_url("qms:action_list", kind=ActionKind.IMPROVEMENT),
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
                            band_cell(o.kind, o.residual_band),
                            cell(o.get_status_display(), colour=o.status_colour),
                            cell(str(o.owner)),
                            day_cell(o.created_at),
                        )
                        for o in opportunities
                    ],
                    total=opportunity_counts["total"],
                    more_url=list_url("risks:risk_list", kind=RiskKind.OPPORTUNITY),
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
