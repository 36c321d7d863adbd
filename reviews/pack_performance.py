"""The review pack's sections on the performance and effectiveness of the QMS (ISO 9001 9.3.2 c1 to
c7), read by the pack's reader (reviews.pack): customer satisfaction, quality objectives, process
performance, nonconformities and corrective actions, monitoring and measurement, audit results and
external providers."""

from collections import defaultdict
from types import SimpleNamespace

from django.db.models import F, Q
from django.utils.translation import gettext as _

from audits.choices import FindingKind
from nonconformities.choices import NC_STATUS_COLOURS, NCStatus, Origin, Severity
from nonconformities.models import Nonconformity
from nonconformities.selectors import complaint_figures
from objectives.choices import (
    KPI_STATUS_COLOURS,
    OBJECTIVE_STATUS_COLOURS,
    Frequency,
    KPIStatus,
    Nature,
    ObjectiveStatus,
    ReviewTopic,
)
from objectives.models import KPI, Objective
from objectives.periods import Period
from processes.choices import ProcessStatus
from processes.models import Process
from qms.choices import ActionStatus
from qms.models import Action, detail_url

from .pack_parts import (
    NC_FIELDS,
    NC_LIST,
    NC_URL,
    ROW_LIMIT,
    cell,
    day_cell,
    day_text,
    figure,
    iso_text,
    kpi_from,
    label,
    link,
    list_url,
    month_bars,
    months_in,
    number_text,
    owner_names,
    person_name,
    row,
    status_summary,
    table,
)

KPIS_PER_PROCESS = 12  # KPIs named under a process in c3; the rest are counted


class PerformanceInputs:
    """The c) sections of the pack's reader, on the records and KPIs it reads once for all sections."""

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
        complaints_url = list_url("nonconformities:nonconformity_list", origin=Origin.CUSTOMER_COMPLAINT)
        return {
            "charts": [{"ref": "complaints", "title": title, "url": complaints_url, "svg": bars}],
            "figures": [
                *self.kpi_status_figures(kpis),
                figure(_("Complaints received"), received, "warning" if received else ""),
                figure(_("Complaints answered"), len(answered)),
            ],
            "tables": [
                self.kpi_table(
                    _("Customer satisfaction KPIs"), kpis, empty=_("No KPI is tagged for customer satisfaction.")
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
                            cell(number_text(m.average_response_days)),
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
                    more_url=list_url("nonconformities:nonconformity_list", origin=Origin.CUSTOMER_COMPLAINT),
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
            .annotate(theme_title=F("theme__title"), **owner_names())
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
                    kpi_of[kpi_id] = kpi_from(by_id[kpi_id])
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
                    cell(person_name(o.owner_first_name, o.owner_last_name, o.owner_username)),
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
                    more_url=list_url("objectives:objective_list"),
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
                    more_url=list_url("processes:process_list"),
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
                cell(person_name(p["owner__first_name"], p["owner__last_name"], p["owner__username"])),
                cell(status_summary(outcome)),
                cell(status_summary(activity)),
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
                "at": iso_text(commentary.updated_at),
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
        months = months_in(self.start, self.end)
        index = {m.start: n for n, m in enumerate(months)}
        found, done = [0] * len(months), [0] * len(months)
        for n in opened:
            found[index[n.detected_on.replace(day=1)]] += 1
        for n in closed:
            done[index[n.closed_on.replace(day=1)]] += 1
        title = _("Nonconformities opened and closed per month")
        bars = month_bars(title, [m.label for m in months], [(_("Opened"), found), (_("Closed"), done)])
        chart = {"ref": "nonconformities", "title": title, "url": list_url(NC_LIST), "svg": bars}
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
                    more_url=list_url("nonconformities:nonconformity_list"),
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
                self.kpi_table(
                    _("KPIs off target or overdue (outcome measures first)"),
                    flagged[:ROW_LIMIT],
                    total=len(flagged),
                    more_url=list_url("objectives:kpi_list", status=KPIStatus.OFF_TARGET),
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
                            cell(f"{day_text(a.planned_start)} – {day_text(a.planned_end)}"),
                            cell(a.get_status_display(), colour=a.status_colour),
                            cell(str(a.owner)),
                            *(
                                cell(getattr(a, kind), colour=colours[kind] if getattr(a, kind) else "")
                                for kind in FindingKind.values
                            ),
                        )
                        for a in audits
                    ],
                    more_url=list_url("audits:audit_list"),
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
                self.kpi_table(
                    _("External provider KPIs"), kpis, empty=_("No KPI is tagged for external provider performance.")
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
                    more_url=list_url("nonconformities:nonconformity_list", origin=Origin.SUPPLIER),
                ),
            ],
        }
