"""Reads that combine several apps' records for the audit programme: how often each process should
be audited and why, who may not audit which process, and the year's timeline. Each runs a fixed
number of queries, whatever the number of processes, risks, KPIs and findings."""

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from objectives.choices import KPIStatus
from objectives.models import KPI
from processes.models import Process
from risks.choices import Band
from risks.models import Risk

from .choices import AuditStatus, FindingKind
from .models import Audit, AuditProgramme, Finding, ProcessAuditInterval

# How often a process is audited, in months, when nothing argues for more often.
DEFAULT_MONTHS = 36
BAND_MONTHS = {Band.CRITICAL: 6, Band.HIGH: 12, Band.MEDIUM: 24, Band.LOW: DEFAULT_MONTHS}
OFF_TARGET_MONTHS = 12
MAJOR_FINDING_MONTHS = 6
MINOR_FINDINGS_MONTHS = {1: 24, 2: 12}  # one minor finding, two or more
# The findings that count are those of audits reported in this many years before today.
FINDING_YEARS = 2
AUDITED = (AuditStatus.REPORTED, AuditStatus.CLOSED)


@dataclass
class IntervalProposal:
    """How often one process should be audited, why, and whether it is due."""

    process: Process
    months: int
    reasons: list[str]
    last_audited: date | None
    override: ProcessAuditInterval | None = None
    today: date = field(default_factory=timezone.localdate)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def interval(self) -> int:
        """The interval that applies: the quality manager's where they set one, else the proposal."""
        return self.override.months if self.override else self.months

    @property
    def due(self) -> date | None:
        """When the process should next be audited: never audited is due now."""
        return add_months(self.last_audited, self.interval) if self.last_audited else None

    @property
    def overdue(self) -> bool:
        """Not audited within the interval that applies."""
        return self.due is None or self.due < self.today


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day where it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def interval_proposals(today: date | None = None) -> list[IntervalProposal]:
    """For each active process, the audit interval its risks, KPIs and past findings argue for.

    The shortest interval any of these gives wins: the highest residual band among its open risks
    (critical 6 months, high 12, medium 24), any off-target KPI (12), the findings of its audits
    reported in the last two years (a major nonconformity 6, two minor ones 12, one 24); with
    none, every 36 months. Each reason that shortens it is spelled out. Six queries."""
    today = today or timezone.localdate()
    processes = list(Process.objects.active().select_related("owner").order_by("reference"))
    ids = [p.pk for p in processes]
    risks = defaultdict(list)
    open_risks = Risk.objects.risks().open().filter(processes__in=ids).exclude(residual_band="")
    for process_id, reference, band in open_risks.values_list("processes", "reference", "residual_band").order_by(
        "reference"
    ):
        risks[process_id].append((reference, band))
    off_target = defaultdict(list)
    kpis = KPI.objects.measured().filter(status=KPIStatus.OFF_TARGET, processes__in=ids)
    for process_id, reference in kpis.values_list("processes", "reference").order_by("reference"):
        off_target[process_id].append(reference)
    since = add_months(today, -12 * FINDING_YEARS)
    findings = defaultdict(list)
    counted = (
        Finding.objects.filter(process__in=ids, audit__status__in=AUDITED, audit__issued_at__date__gte=since)
        .filter(kind__in=FindingKind.nonconformities())
        .values_list("process", "kind")
        .annotate(n=Count("pk"))
        .order_by("kind")
    )
    for process_id, kind, n in counted:
        findings[process_id].append((kind, n))
    last_audited = dict(
        Audit.objects.filter(status__in=AUDITED, processes__in=ids)
        .values_list("processes")
        .annotate(last=Max("planned_end"))
        .order_by()
    )
    overrides = {o.process_id: o for o in ProcessAuditInterval.objects.filter(process__in=ids).select_related("set_by")}
    proposals = []
    for process in processes:
        months, reasons = _proposal(risks[process.pk], off_target[process.pk], findings[process.pk], since)
        proposals.append(
            IntervalProposal(
                process=process,
                months=months,
                reasons=reasons,
                last_audited=last_audited.get(process.pk),
                override=overrides.get(process.pk),
                today=today,
            )
        )
    return proposals


def _proposal(
    risks: list[tuple[str, str]], off_target: list[str], findings: list[tuple[str, int]], since: date
) -> tuple[int, list[str]]:
    """The interval in months and the reasons that shorten it below the default, shortest first."""
    argued: list[tuple[int, str]] = []
    if risks:
        order = list(Band)
        highest = max((band for _ref, band in risks), key=order.index)
        refs = [ref for ref, band in risks if band == highest]
        if BAND_MONTHS[highest] < DEFAULT_MONTHS:
            label = Band(highest).label.lower()
            argued.append(
                (
                    BAND_MONTHS[highest],
                    ngettext("%(band)s risk %(refs)s", "%(band)s risks %(refs)s", len(refs))
                    % {"band": label, "refs": ", ".join(refs)},
                )
            )
    if off_target:
        argued.append(
            (
                OFF_TARGET_MONTHS,
                ngettext("off-target KPI %(refs)s", "%(n)d off-target KPIs (%(refs)s)", len(off_target))
                % {"n": len(off_target), "refs": ", ".join(off_target)},
            )
        )
    for kind, n in findings:
        if kind == FindingKind.MAJOR_NC:
            months = MAJOR_FINDING_MONTHS
            text = ngettext("%(n)d major finding since %(since)s", "%(n)d major findings since %(since)s", n)
        else:
            months = MINOR_FINDINGS_MONTHS[min(n, 2)]
            text = ngettext("%(n)d minor finding since %(since)s", "%(n)d minor findings since %(since)s", n)
        argued.append((months, text % {"n": n, "since": date_format(since, "M Y")}))
    if not argued:
        return DEFAULT_MONTHS, [_("no open risk above low, no off-target KPI, no nonconformity found lately")]
    argued.sort(key=lambda pair: pair[0])
    return argued[0][0], [text for _months, text in argued]


# Independence: nobody audits their own work
# ------------------------------------------------------------------------------


def independence_conflicts(people_ids, process_ids) -> dict[int, list[str]]:
    """Why each of these people may not audit these processes: "owns PRC-003", "deputises
    PRC-005". People without a conflict are left out. Two queries."""
    people_ids, process_ids = [pk for pk in people_ids if pk], [pk for pk in process_ids if pk]
    if not people_ids or not process_ids:
        return {}
    conflicts: dict[int, list[str]] = defaultdict(list)
    scope = Process.objects.filter(pk__in=process_ids).order_by("reference")
    for person, reference in scope.filter(owner__in=people_ids).values_list("owner", "reference"):
        conflicts[person].append(_("owns %(ref)s") % {"ref": reference})
    for person, reference in scope.filter(deputies__in=people_ids).values_list("deputies", "reference"):
        conflicts[person].append(_("deputises %(ref)s") % {"ref": reference})
    return dict(conflicts)


# The year's timeline
# ------------------------------------------------------------------------------


@dataclass
class TimelineBar:
    audit: Audit
    left: float  # per cent of the year
    width: float


def programme_timeline(programme: AuditProgramme, audits: list[Audit]) -> dict:
    """The months of the programme's year and each audit as a bar over the days it is planned,
    as percentages of the year, for a calendar drawn in HTML and CSS."""
    year = programme.year
    start = date(year, 1, 1)
    days = 366 if calendar.isleap(year) else 365
    months = [{"name": date(year, m, 1), "width": calendar.monthrange(year, m)[1] / days * 100} for m in range(1, 13)]
    bars = []
    for audit in audits:
        first = (max(audit.planned_start, start) - start).days
        last = (min(audit.planned_end, date(year, 12, 31)) - start).days
        bars.append(TimelineBar(audit=audit, left=first / days * 100, width=max((last - first + 1) / days * 100, 0.8)))
    today = timezone.localdate()
    today_at = (today - start).days / days * 100 if today.year == year else None
    return {"months": months, "bars": bars, "today_at": today_at}
