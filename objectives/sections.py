"""The objectives app's sections on shared pages: a process's KPIs and objectives, the KPI values
due from the user, and the KPI summary on the dashboard; and which themes, objectives and KPIs are
open, for a person's page and hand-over."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, first_rows, first_rows_for, health_provider, record_kind, section
from qms.models import prepared_count_each

from .choices import KPIStatus, ObjectiveStatus
from .models import KPI, Objective, StrategicTheme
from .views import SPARKLINE_PERIODS, kpi_summaries, recent_values

SECTION_ROWS = 15


@section("process", place=20)
def process_kpis(request, process) -> Section:
    kpis, count = first_rows(
        KPI.objects.measured().filter(processes=process).select_related("owner").outcome_first(), SECTION_ROWS
    )
    return Section(
        title=_("Measures"),
        template="objectives/sections/kpis.html",
        context={
            "kpis": kpis,
            "sparklines": recent_values([k.pk for k in kpis], SPARKLINE_PERIODS),
            "more_url_query": f"process={process.pk}",
            "add_query": f"process={process.pk}",
        },
        count=count,
    )


@section("process", place=25)
def process_objectives(request, process) -> Section | None:
    objectives, count = first_rows(
        Objective.objects.filter(processes=process, status=ObjectiveStatus.ACTIVE)
        .with_progress()
        .select_related("owner")
        .prefetch_related(kpi_summaries),
        SECTION_ROWS,
    )
    if not objectives:
        return None
    return Section(
        title=_("Objectives"),
        template="objectives/sections/objectives.html",
        context={"objectives": objectives},
        count=count,
    )


def _measures_due(user):
    return KPI.objects.measured().entered_by_hand().owned_by(user).due()


@section("todo")
def measures_due_todo(request) -> list[Todo]:
    due = prepared_count_each("measures_due", request.user, lambda user: {"n": _measures_due(user)})["n"]
    return [
        Todo(
            label=ngettext("%(n)d KPI value is due from you", "%(n)d KPI values are due from you", due) % {"n": due},
            count=due,
            url=reverse("objectives:my_measures"),
            icon="graph-up",
            urgent=True,
            order=20,
        )
    ]


@section("my_work")
def my_measures_due(request) -> Section | None:
    due, count = first_rows_for(
        "my_measures_due",
        request.user,
        lambda user: _measures_due(user).outcome_first(),
        KPI.objects.select_related("owner"),
        SECTION_ROWS,
    )
    if not due:
        return None
    return Section(
        title=_("KPI values due from me"),
        template="objectives/sections/due.html",
        context={"kpis": due},
        order=15,
        count=count,
    )


@section("dashboard")
def kpi_summary(request) -> Section:
    counts = dict(KPI.objects.measured().values_list("status").annotate(n=Count("pk")).order_by())
    attention = list(
        KPI.objects.measured()
        .filter(status__in=[KPIStatus.OFF_TARGET, KPIStatus.OVERDUE])
        .select_related("owner")
        .outcome_first()[:8]
    )
    return Section(
        title=_("KPIs"),
        template="objectives/sections/dashboard.html",
        context={
            "status_counts": [(status, counts.get(status.value, 0)) for status in KPIStatus],
            "total": sum(counts.values()),
            "attention": attention,
        },
        order=10,
        count=sum(counts.values()),
    )


@health_provider
def process_health_by_kpis(process_ids: list[int]):
    """A process is as healthy as its worst measured KPI: off target or overdue is bad."""
    verdicts = {
        KPIStatus.ON_TARGET: "good",
        KPIStatus.WARNING: "warning",
        KPIStatus.OFF_TARGET: "bad",
        KPIStatus.OVERDUE: "bad",
    }
    # order_by(): the KPIs' default order would add their reference to the DISTINCT, one row per KPI.
    rows = (
        KPI.objects.measured()
        .filter(processes__in=process_ids)
        .values_list("processes", "status")
        .order_by()
        .distinct()
    )
    return [(process_id, verdicts[status]) for process_id, status in rows if status in verdicts]


record_kind(StrategicTheme, open_when=Q(is_active=True))
record_kind(Objective, open_when=Q(status=ObjectiveStatus.ACTIVE), owner_filter="owner")
record_kind(KPI, open_when=Q(is_active=True), title="name", owner_filter="owner")
