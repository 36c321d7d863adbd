"""The audits app's sections: a process's audits and findings, the audits and findings waiting on
the signed-in person, their to-dos, and the audits card on the dashboard; and which audits are
open, for a person's page and hand-over. Each runs a fixed number of queries."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, first_rows, first_rows_for, record_kind, section
from qms.models import prepared_count_each

from .choices import AuditStatus, FindingKind
from .models import Audit, Finding

SECTION_ROWS = 10
DASHBOARD_ROWS = 8


@section("process", place=40)
def process_audits(request, process) -> Section:
    """Its latest audits, each with what it found in this process: one query."""
    here = Q(findings__process=process)
    audits, count = first_rows(
        Audit.objects.filter(processes=process)
        .select_related("owner")
        .annotate(
            findings_here=Count("findings", filter=here, distinct=True),
            nonconformities_here=Count(
                "findings", filter=here & Q(findings__kind__in=FindingKind.nonconformities()), distinct=True
            ),
        )
        .order_by("-planned_start"),
        SECTION_ROWS,
    )
    return Section(
        title=_("Audits"),
        template="audits/sections/process.html",
        context={"audits": audits, "process": process},
        count=count,
    )


def _my_audits(user):
    """Open audits the user leads or audits in."""
    return Audit.objects.open().filter(
        Q(owner=user) | Q(pk__in=Audit.objects.filter(Q(team=user) | Q(deputies=user)).values("pk"))
    )


@section("my_work")
def my_audits(request) -> Section | None:
    audits, count = first_rows_for(
        "my_audits",
        request.user,
        lambda user: _my_audits(user).order_by("planned_start"),
        Audit.objects.select_related("owner"),
        SECTION_ROWS,
    )
    if not audits:
        return None
    return Section(
        title=_("Audits I lead or audit in"),
        template="audits/sections/audits.html",
        context={"audits": audits, "more_url_query": "mine=true"},
        order=40,
        count=count,
    )


@section("my_work")
def findings_to_answer(request) -> Section | None:
    findings, count = first_rows_for(
        "findings_to_answer",
        request.user,
        lambda user: Finding.objects.to_answer_by(user).order_by("audit__planned_start", "number"),
        Finding.objects.select_related("audit", "process"),
        SECTION_ROWS,
    )
    if not findings:
        return None
    return Section(
        title=_("Audit findings for me to answer"),
        template="audits/sections/findings.html",
        context={"findings": findings},
        order=41,
        count=count,
    )


@section("todo")
def audit_todos(request) -> list[Todo]:
    """Reports the person should issue, and findings they should answer: one query (none for
    viewers, who do neither)."""
    user = request.user
    if user.is_read_only:
        return []
    counts = prepared_count_each(
        "audit_todos",
        user,
        lambda user: {
            "reports": Audit.objects.report_overdue().filter(owner=user),
            "answers": Finding.objects.to_answer_by(user),
        },
    )
    return [
        Todo(
            label=ngettext("%(n)d audit report is overdue", "%(n)d audit reports are overdue", counts["reports"])
            % {"n": counts["reports"]},
            count=counts["reports"],
            url=f"{reverse('audits:audit_list')}?mine=true",
            icon="file-earmark-text",
            urgent=True,
            order=40,
        ),
        Todo(
            label=ngettext(
                "%(n)d audit finding awaits your answer", "%(n)d audit findings await your answer", counts["answers"]
            )
            % {"n": counts["answers"]},
            count=counts["answers"],
            url=f"{reverse('audits:finding_list')}?to_answer=true",
            icon="chat-left-text",
            order=41,
        ),
    ]


@section("dashboard")
def audit_summary(request) -> Section:
    """Overdue reports first, then the next audits: the open audits by their last day, one query."""
    today = timezone.localdate()
    audits = list(Audit.objects.open().select_related("owner").order_by("planned_end", "reference")[:DASHBOARD_ROWS])
    return Section(
        title=_("Audits"),
        template="audits/sections/dashboard.html",
        context={
            "overdue": [audit for audit in audits if audit.planned_end < today],
            "upcoming": [audit for audit in audits if audit.planned_end >= today],
        },
        order=40,
    )


record_kind(Audit, open_when=Q(status__in=AuditStatus.open()), owner_filter="owner")
