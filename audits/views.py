from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nonconformities.models import Nonconformity
from packs.models import EvidencePack
from processes.models import Process
from qms.clauses import Clause
from qms.forms import ReasonForm, add_errors
from qms.models import Action, prefetch_linked_processes
from qms.params import record_id
from qms.views.generic import (
    Confirmation,
    RecordDetailView,
    RecordEditView,
    RecordListView,
    confirm_response,
    done_response,
    htmx_partial,
)

from . import selectors, services
from .choices import RESULT_COLOURS, AuditStatus, FindingKind, Result
from .filters import AuditFilterSet, AuditProgrammeFilterSet, FindingFilterSet
from .forms import (
    AuditForm,
    AuditProgrammeForm,
    ChecklistAnswerForm,
    ChecklistQuestionForm,
    FindingForm,
    FindingResponseForm,
    IntervalForm,
    ReportForm,
)
from .models import Audit, AuditProgramme, ChecklistItem, Finding

# The results an auditor chooses from, each with its colour.
RESULT_CHOICES = [(value, label, RESULT_COLOURS[value]) for value, label in Result.choices]

# The programme
# ------------------------------------------------------------------------------


class AuditProgrammeListView(RecordListView):
    queryset = (
        AuditProgramme.objects.select_related("owner")
        .annotate(
            audit_count=Count("audits", distinct=True),
            open_count=Count("audits", filter=Q(audits__status__in=AuditStatus.open()), distinct=True),
        )
        .order_by("-year")
    )
    filterset_class = AuditProgrammeFilterSet
    template_name = "audits/auditprogramme_list.html"


class AuditProgrammeDetailView(RecordDetailView):
    queryset = AuditProgramme.objects.select_related("owner", "created_by", "updated_by").prefetch_related("deputies")
    template_name = "audits/auditprogramme_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.tab != "overview":
            return context
        audits = list(
            Audit.objects.restrict(self.request.user, "view")
            .filter(programme=self.object)
            .select_related("owner")
            .prefetch_related(prefetch_linked_processes())
            .order_by("planned_start", "reference")
        )
        context.update(
            audits=audits,
            timeline=selectors.programme_timeline(self.object, audits),
            proposals=selectors.interval_proposals(),
            can_add_audit=Audit.user_can_add(self.request.user),
            can_set_intervals=self.request.user.administers_qms,
            statuses=AuditStatus,
        )
        return context


class AuditProgrammeEditView(RecordEditView):
    queryset = AuditProgramme.objects.all()
    form_class = AuditProgrammeForm

    def initial_data(self) -> dict:
        year = (AuditProgramme.objects.order_by("-year").values_list("year", flat=True).first() or 0) + 1
        year = max(year, timezone.localdate().year)
        return {"year": year, "title": _("Internal audit programme %(year)d") % {"year": year}}


@require_http_methods(["GET", "POST"])
def interval_edit(request: HttpRequest, process_pk: int) -> HttpResponse:
    """The quality manager sets how often a process is audited instead of the proposal, or goes
    back to the proposal."""
    if not request.user.administers_qms:
        raise PermissionDenied(_("Audit intervals are set by quality managers."))
    process = get_object_or_404(Process.objects.select_related("audit_interval"), pk=process_pk)
    interval = getattr(process, "audit_interval", None)
    back = request.GET.get("next") or request.POST.get("next") or ""
    back = back if back.startswith("/") and not back.startswith("//") else AuditProgramme.get_list_url()
    if request.method == "POST" and request.POST.get("clear"):
        services.interval_clear(process=process, user=request.user)
        messages.success(request, _("%(process)s follows the proposal again.") % {"process": process})
        return redirect(back)
    form = IntervalForm(request.POST or None, instance=interval)
    if request.method == "POST" and form.is_valid():
        try:
            services.interval_set(process=process, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Audit interval of %(process)s saved.") % {"process": process})
            return redirect(back)
    proposal = next((p for p in selectors.interval_proposals() if p.process.pk == process.pk), None)
    context = {"form": form, "process": process, "interval": interval, "proposal": proposal, "next": back}
    return TemplateResponse(request, "audits/interval_edit.html", context, status=422 if form.errors else 200)


# Audits
# ------------------------------------------------------------------------------


class AuditListView(RecordListView):
    queryset = Audit.objects.select_related("owner", "programme").prefetch_related(prefetch_linked_processes())
    filterset_class = AuditFilterSet
    template_name = "audits/audit_list.html"


class AuditDetailView(RecordDetailView):
    queryset = Audit.objects.select_related(
        "owner", "programme", "issued_by", "created_by", "updated_by"
    ).prefetch_related("deputies", "processes", "org_units", "team", "auditees")
    template_name = "audits/audit_detail.html"

    def get_context_data(self, report_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_export_pack"] = EvidencePack.user_can_add(self.request.user)
        context["can_edit"] = self.object.user_can_edit_plan(self.request.user)
        context["issued_reports"] = list(self.object.issued_reports.select_related("issued_by"))
        if self.tab != "overview":
            return context
        audit, user = self.object, self.request.user
        can_work = context["can_change"] and not audit.is_frozen and not audit.is_issued
        checklist = list(audit.checklist.select_related("process", "answered_by"))
        findings = list(
            audit.findings.select_related("process", "nonconformity", "action", "checklist_item").order_by("number")
        )
        by_question = defaultdict(list)
        for finding in findings:
            by_question[finding.checklist_item_id].append(finding)
        for item in checklist:
            item.raised_findings = by_question[item.pk]
        answered = sum(1 for item in checklist if item.result)
        context.update(
            checklist=checklist,
            answered=answered,
            findings=findings,
            findings_by_clause=_by_clause(findings),
            can_work=can_work,
            is_auditee=any(p.pk == user.pk for p in audit.auditees.all()),
            transitions=audit.allowed_transitions() if audit.user_can_move(user) else [],
            can_issue=audit.user_can_issue(user),
            report_form=report_form or (ReportForm(instance=audit) if can_work else None),
            question_form=ChecklistQuestionForm(audit=audit) if can_work else None,
            report_problems=services.report_problems(audit) if audit.user_can_issue(user) else [],
            result_choices=RESULT_CHOICES,
        )
        return context


def _by_clause(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (Clause.sort_key(f.clause), f.number)):
        groups.setdefault(finding.clause, []).append(finding)
    return [(Clause(clause).label, items) for clause, items in groups.items()]


class AuditEditView(RecordEditView):
    queryset = Audit.objects.all()
    form_class = AuditForm

    def get_object(self, for_update: bool = False):
        audit = super().get_object(for_update)
        if audit.pk and not audit.user_can_edit_plan(self.request.user):
            raise PermissionDenied(
                _("The report of %(ref)s is issued: its plan stands as issued.") % {"ref": audit.reference}
                if audit.is_issued
                else _("The lead auditor, the deputies and quality managers change the plan of %(ref)s.")
                % {"ref": audit.reference}
            )
        return audit

    def initial_data(self) -> dict:
        """A new audit starts in the programme and for the process it was planned from; choosing
        processes redraws the form (hx-get) from everything typed so far."""
        query = self.request.GET
        initial = {}
        if not self.object.pk:
            programme = AuditProgramme.objects.filter(pk=record_id(query.get("programme"))).first()
            programme = programme or AuditProgramme.objects.filter(year=timezone.localdate().year).first()
            initial = {
                "programme": programme,
                "processes": [query["process"]] if query.get("process") else [],
                "clauses": ["4.4"],
                "criteria": _("ISO 9001:2015, the process descriptions and the customer requirements that apply."),
            }
        for name, field in self.form_class.base_fields.items():
            if name in query:
                multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
                initial[name] = query.getlist(name) if multiple else query[name]
        return initial


# The steps that ask first, with what the question says.
MOVE_QUESTIONS = {
    AuditStatus.PREPARED: (_("Mark %(ref)s prepared?"), _("The checklist and the plan are ready."), _("Prepared")),
    AuditStatus.IN_PROGRESS: (_("Start %(ref)s?"), _("The audit is under way: work the checklist."), _("Start")),
    AuditStatus.PLANNED: (_("Back to planned?"), _("%(ref)s goes back to planning."), _("Back to planned")),
    AuditStatus.CLOSED: (
        _("Close %(ref)s?"),
        _("A closed audit stays as it was closed: its plan, checklist, findings and files."),
        _("Close the audit"),
    ),
    AuditStatus.CANCELLED: (
        _("Cancel %(ref)s?"),
        _("A cancelled audit is closed for good; the history keeps the reason."),
        _("Cancel the audit"),
    ),
}


@require_http_methods(["GET", "POST"])
def audit_move(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_object_or_404(Audit.objects.restrict(request.user, "view"), pk=pk)
    if not audit.user_can_move(request.user):
        raise PermissionDenied(_("The lead auditor, the deputies and quality managers move this audit."))
    status = request.POST.get("status") or request.GET.get("status")
    if status not in audit.allowed_transitions():
        messages.error(
            request,
            _("%(ref)s is %(status)s now: that step is not open to it.")
            % {"ref": audit.reference, "status": audit.get_status_display().lower()},
        )
        return done_response(request, audit.get_absolute_url())
    cancelling = status == AuditStatus.CANCELLED
    form = ReasonForm(
        request.POST if request.method == "POST" else None,
        label=_("Why is it cancelled?") if cancelling else None,
        required=cancelling,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_move(audit=audit, user=request.user, status=status, note=form.cleaned_data["reason"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(ref)s is %(status)s.") % {"ref": audit.reference, "status": AuditStatus(status).label.lower()},
            )
            return done_response(request, audit.get_absolute_url())
    title, question, label = MOVE_QUESTIONS[status]
    confirmation = Confirmation(
        title=title % {"ref": audit.reference},
        question=question % {"ref": audit.reference},
        form=_with_hidden(form, status=status),
        submit_label=label,
        cancel_url=audit.get_absolute_url(),
        danger=cancelling,
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


def _with_hidden(form, **values):
    """The confirm form, carrying the step's values as hidden fields."""
    for name, value in values.items():
        form.fields[name] = forms.CharField(widget=forms.HiddenInput, initial=value, required=False)
    return form


@require_http_methods(["GET", "POST"])
def audit_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead auditor issues the report, after reading what issuing means."""
    audit = get_object_or_404(Audit.objects.restrict(request.user, "view").select_related("owner"), pk=pk)
    if not audit.user_can_issue(request.user):
        raise PermissionDenied(_("The lead auditor issues the report."))
    problems = services.report_problems(audit)
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Comment"))
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_issue_report(audit=audit, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The report of %(ref)s is issued.") % {"ref": audit.reference})
        return done_response(request, audit.get_absolute_url())
    findings = audit.findings.aggregate(n=Count("pk"), nc=Count("pk", filter=Q(kind__in=FindingKind.nonconformities())))
    confirmation = Confirmation(
        title=_("Issue the report of %(ref)s?") % {"ref": audit.reference},
        question=_("Its findings then stand as issued: a later correction needs a reason the history keeps."),
        form=form,
        submit_label=_("Issue the report"),
        cancel_url=audit.get_absolute_url(),
        details=[
            (_("Findings"), _("%(n)d, of which %(nc)d nonconformities") % findings),
            *[(_("Not ready"), problem) for problem in problems],
        ],
    )
    return confirm_response(request, confirmation)


@require_POST
def audit_report(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_object_or_404(Audit.objects.restrict(request.user, "view"), pk=pk)
    if not audit.user_can_change(request.user) or audit.is_frozen or audit.is_issued:
        raise PermissionDenied(_("You may view this report but not change it."))
    form = ReportForm(request.POST, instance=Audit.objects.get(pk=pk))
    if form.is_valid():
        services.audit_report_save(audit=audit, user=request.user, **form.cleaned_data)
        messages.success(request, _("Report of %(ref)s saved.") % {"ref": audit.reference})
        return redirect(f"{audit.get_absolute_url()}#report")
    return AuditDetailView.with_invalid_form(request, audit, report_form=form)


# The checklist
# ------------------------------------------------------------------------------


def _workable_audit(request: HttpRequest, pk: int) -> Audit:
    """An audit the user may work on: its checklist and findings, until the report is issued."""
    audit = get_object_or_404(Audit.objects.restrict(request.user, "view"), pk=pk)
    if not audit.user_can_change(request.user) or audit.is_frozen:
        raise PermissionDenied(_("Only the lead auditor, the audit team and quality managers work on this audit."))
    if audit.is_issued:
        raise PermissionDenied(
            _("The report of %(ref)s is issued: its checklist and findings stand.") % {"ref": audit.reference}
        )
    return audit


@require_POST
def checklist_build(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _workable_audit(request, pk)
    added = services.checklist_build(audit=audit, user=request.user)
    if added:
        messages.success(request, _("%(n)d questions added to the checklist.") % {"n": added})
    else:
        messages.info(request, _("The checklist already holds every question of the scope."))
    return redirect(f"{audit.get_absolute_url()}#checklist")


@require_POST
def checklist_add(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _workable_audit(request, pk)
    form = ChecklistQuestionForm(request.POST, audit=audit)
    if form.is_valid():
        services.checklist_add(audit=audit, user=request.user, **form.cleaned_data)
        messages.success(request, _("Question added."))
    else:
        messages.error(request, _("Write the question to add."))
    return redirect(f"{audit.get_absolute_url()}#checklist")


@require_http_methods(["GET", "POST"])
def checklist_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One checklist row, answered in place: GET shows it (?answer= opens its form), POST records
    the result and notes and shows the row again."""
    visible = ChecklistItem.objects.filter(audit__in=Audit.objects.restrict(request.user, "view").values("pk"))
    item = get_object_or_404(visible.select_related("audit", "process", "answered_by"), pk=pk)
    audit = item.audit
    can_work = audit.user_can_change(request.user) and not audit.is_frozen and not audit.is_issued
    form = None
    status = 200
    if request.method == "POST":
        if not can_work:
            raise PermissionDenied(_("Only the audit team answers this checklist, until the report is issued."))
        form = ChecklistAnswerForm(request.POST, instance=ChecklistItem.objects.get(pk=item.pk))
        if form.is_valid():
            item = services.checklist_answer(item=item, user=request.user, **form.cleaned_data)
            form = None
        else:
            status = 422
    elif request.GET.get("answer") and can_work:
        form = ChecklistAnswerForm(instance=item)
    if not htmx_partial(request):
        return redirect(f"{audit.get_absolute_url()}#item-{item.pk}")
    context = {"item": item, "form": form, "can_work": can_work, "object": audit, "result_choices": RESULT_CHOICES}
    return TemplateResponse(request, "audits/_checklist_row.html", context, status=status)


@require_http_methods(["GET", "POST"])
def checklist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    visible = ChecklistItem.objects.filter(audit__in=Audit.objects.restrict(request.user, "view").values("pk"))
    item = get_object_or_404(visible.select_related("audit"), pk=pk)
    audit = _workable_audit(request, item.audit_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.checklist_remove(item=item, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Question removed from the checklist."))
        return done_response(request, f"{audit.get_absolute_url()}#checklist")
    confirmation = Confirmation(
        title=_("Remove this question?"),
        question=item.question,
        form=form,
        submit_label=_("Remove"),
        cancel_url=audit.get_absolute_url(),
        danger=True,
    )
    return confirm_response(request, confirmation)


# Findings
# ------------------------------------------------------------------------------


class FindingListView(RecordListView):
    # The nonconformity or action a finding raised is read for the page's rows alone: joined, it made
    # PostgreSQL join every finding with them before sorting by audit date.
    queryset = (
        Finding.objects.select_related("audit", "process")
        .prefetch_related(
            Prefetch("nonconformity", Nonconformity.objects.only("pk", "reference")),
            Prefetch("action", Action.objects.only("pk", "reference")),
        )
        .order_by("-audit__planned_start", "audit", "number")
    )
    filterset_class = FindingFilterSet
    template_name = "audits/finding_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit_id = self.filterset.form.cleaned_data.get("audit") if self.filterset.form.is_valid() else None
        context["filtered_audit"] = Audit.objects.filter(pk=audit_id).first() if audit_id else None
        return context


def _visible_finding(request: HttpRequest, pk: int) -> Finding:
    visible = Finding.objects.restrict(request.user, "view").select_related(
        "audit__owner", "process__owner", "nonconformity", "action", "checklist_item", "created_by", "responded_by"
    )
    return get_object_or_404(visible, pk=pk)


@require_GET
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _visible_finding(request, pk)
    audit, user = finding.audit, request.user
    can_change = finding.user_can_change(user)
    context = {
        "finding": finding,
        "object": finding,
        "audit": audit,
        "can_change": can_change,
        "can_respond": finding.user_can_respond(user),
        "response_form": FindingResponseForm(instance=finding) if finding.user_can_respond(user) else None,
        "can_raise_nc": can_change and finding.is_nonconformity and not finding.nonconformity_id,
        "can_raise_action": can_change and finding.kind == FindingKind.OFI and not finding.action_id,
    }
    return TemplateResponse(request, "audits/finding_detail.html", context)


@require_http_methods(["GET", "POST"])
def finding_edit(request: HttpRequest, audit_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    """Record a finding (from a checklist question with ?item=) or correct one; once the report is
    issued a correction needs a reason."""
    if pk is not None:
        finding = _visible_finding(request, pk)
        audit = finding.audit
        if not finding.user_can_change(request.user):
            raise PermissionDenied(_("Only the audit team and quality managers change its findings."))
    else:
        audit = _workable_audit(request, audit_pk)
        finding = Finding(audit=audit)
    initial = {}
    if finding.pk is None and "item" in request.GET:
        item = get_object_or_404(audit.checklist.select_related("process"), pk=record_id(request.GET["item"]))
        kind = item.result if item.result in FindingKind.values else ""
        initial = {
            "checklist_item": item,
            "clause": item.clause,
            "process": item.process,
            "kind": kind,
            "evidence": item.notes,
        }
    form = FindingForm(request.POST or None, instance=finding, audit=audit, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if finding.pk:
                reason = data.pop("reason", "")
                finding = services.finding_correct(finding=finding, user=request.user, reason=reason, **data)
                messages.success(request, _("Saved %(ref)s.") % {"ref": finding.reference})
            else:
                finding = services.finding_record(audit=audit, user=request.user, **data)
                note = _("Recorded %(ref)s.") % {"ref": finding.reference}
                if finding.nonconformity_id:
                    note += " " + _("Raised %(nc)s.") % {"nc": finding.nonconformity.reference}
                messages.success(request, note)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect(finding)
    context = {"form": form, "finding": finding, "audit": audit}
    return TemplateResponse(request, "audits/finding_edit.html", context, status=422 if form.errors else 200)


@require_POST
def finding_respond(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _visible_finding(request, pk)
    if not finding.user_can_respond(request.user):
        raise PermissionDenied(_("The auditees answer the findings of their audit."))
    form = FindingResponseForm(request.POST, instance=Finding.objects.get(pk=pk))
    if form.is_valid():
        services.finding_respond(finding=finding, user=request.user, response=form.cleaned_data["auditee_response"])
        messages.success(request, _("Your answer to %(ref)s is saved.") % {"ref": finding.reference})
    else:
        messages.error(request, _("Write the answer."))
    return redirect(finding)


@require_http_methods(["GET", "POST"])
def finding_raise(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Raise the nonconformity of a nonconformity finding, or the improvement action of an
    opportunity, after asking."""
    finding = _visible_finding(request, pk)
    if not finding.user_can_change(request.user):
        raise PermissionDenied(_("Only the audit team and quality managers raise records from its findings."))
    if what not in ("nonconformity", "action"):
        raise Http404
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Comment"))
    if request.method == "POST" and form.is_valid():
        raise_it = services.finding_raise_nonconformity if what == "nonconformity" else services.finding_raise_action
        try:
            record = raise_it(finding=finding, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Raised %(ref)s from %(finding)s.") % {"ref": record.reference, "finding": finding.reference}
            )
        return done_response(request, finding.get_absolute_url())
    owner = finding.process.owner
    if what == "nonconformity":
        title = _("Raise a nonconformity from %(ref)s?") % {"ref": finding.reference}
        question = _("%(owner)s, who owns %(process)s, takes it through containment, cause and correction.")
    else:
        title = _("Raise an improvement action from %(ref)s?") % {"ref": finding.reference}
        question = _("%(owner)s, who owns %(process)s, is asked to act on this opportunity within 90 days.")
    confirmation = Confirmation(
        title=title,
        question=question % {"owner": owner, "process": finding.process},
        form=form,
        submit_label=_("Raise it"),
        cancel_url=finding.get_absolute_url(),
        details=[(_("Finding"), str(finding)), (_("Type"), finding.get_kind_display())],
    )
    return confirm_response(request, confirmation)
