"""The audits app's sections: a process's audits and findings, the audits and findings waiting on
the signed-in person, their to-dos, and the audits card on the dashboard; and which audits are
open, for a person's page and hand-over. Each runs a fixed number of queries."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, record_kind, section

from .choices import AuditStatus
from .models import Audit, Finding

SECTION_ROWS = 10


@section("process")
def process_audits(request, process) -> Section:
    audits = list(
        Audit.objects.filter(processes=process).select_related("owner").order_by("-planned_start")[:SECTION_ROWS]
    )
    findings = list(
        Finding.objects.filter(process=process)
        .select_related("audit", "nonconformity", "action")
        .order_by("-audit__planned_start", "-number")[:SECTION_ROWS]
    )
    return Section(
        title=_("Audits and findings"),
        template="audits/sections/process.html",
        context={"audits": audits, "findings": findings, "process": process},
        order=40,
        count=len(audits),
    )


def _my_audits(user):
    """Open audits the user leads or audits in."""
    return Audit.objects.open().filter(
        Q(owner=user) | Q(pk__in=Audit.objects.filter(Q(team=user) | Q(deputies=user)).values("pk"))
    )


@section("my_work")
def my_audits(request) -> Section | None:
    audits = list(_my_audits(request.user).select_related("owner").order_by("planned_start")[:SECTION_ROWS])
    if not audits:
        return None
    return Section(
        title=_("Audits I lead or audit in"),
        template="audits/sections/audits.html",
        context={"audits": audits, "more_url_query": "mine=true"},
        order=40,
        count=len(audits),
    )


@section("my_work")
def findings_to_answer(request) -> Section | None:
    findings = list(
        Finding.objects.to_answer_by(request.user)
        .select_related("audit", "process")
        .order_by("audit__planned_start", "number")[:SECTION_ROWS]
    )
    if not findings:
        return None
    return Section(
        title=_("Audit findings for me to answer"),
        template="audits/sections/findings.html",
        context={"findings": findings},
        order=41,
        count=len(findings),
    )


@section("todo")
def audit_todos(request) -> list[Todo]:
    """Reports the person should issue, and findings they should answer: two queries."""
    user = request.user
    reports = Audit.objects.report_overdue().filter(owner=user).count()
    answers = Finding.objects.to_answer_by(user).count()
    return [
        Todo(
            label=ngettext("%(n)d audit report is overdue", "%(n)d audit reports are overdue", reports)
            % {"n": reports},
            count=reports,
            url=f"{reverse('audits:audit_list')}?mine=true",
            icon="file-earmark-text",
            urgent=True,
            order=40,
        ),
        Todo(
            label=ngettext("%(n)d audit finding awaits your answer", "%(n)d audit findings await your answer", answers)
            % {"n": answers},
            count=answers,
            url=f"{reverse('audits:finding_list')}?to_answer=true",
            icon="chat-left-text",
            order=41,
        ),
    ]


@section("dashboard")
def audit_summary(request) -> Section:
    today = timezone.localdate()
    upcoming = list(
        Audit.objects.filter(status__in=[AuditStatus.PLANNED, AuditStatus.PREPARED, AuditStatus.IN_PROGRESS])
        .filter(planned_end__gte=today)
        .select_related("owner")
        .order_by("planned_start")[:5]
    )
    overdue = list(Audit.objects.report_overdue(today).select_related("owner").order_by("planned_end")[:5])
    return Section(
        title=_("Audits"),
        template="audits/sections/dashboard.html",
        context={"upcoming": upcoming, "overdue": overdue},
        order=40,
    )


record_kind(Audit, open_when=Q(status__in=AuditStatus.open()), owner_filter="owner")
