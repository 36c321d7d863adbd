from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from qms.forms import ReasonForm, add_errors
from qms.models import prefetch_linked_processes
from qms.views.generic import (
    Confirmation,
    RecordDetailView,
    RecordEditView,
    RecordListView,
    confirm_response,
    done_response,
)

from .. import services
from ..choices import ContextStatus, IssueSide, StatementKind, StatementStatus
from ..filters import ContextIssueFilterSet, InterestedPartyFilterSet
from ..forms import ContextIssueForm, InterestedPartyForm, QmsStatementForm, StatementApproveForm
from ..models import ContextIssue, ContextRecord, InterestedParty, QmsStatement, recent_since


@require_GET
def reviews_index(request: HttpRequest) -> HttpResponse:
    """The Reviews menu: the context of the organisation that management review looks at."""
    issues = ContextIssue.objects.active().aggregate(
        external=Count("pk", filter=Q(side=IssueSide.EXTERNAL)),
        internal=Count("pk", filter=Q(side=IssueSide.INTERNAL)),
        changed=Count("pk", filter=Q(pk__in=ContextIssue.objects.changed_recently().values("pk"))),
    )
    parties = InterestedParty.objects.active().aggregate(
        total=Count("pk"),
        changed=Count("pk", filter=Q(pk__in=InterestedParty.objects.changed_recently().values("pk"))),
    )
    statements = {kind: {"current": None, "drafts": 0} for kind in StatementKind.values}
    live = QmsStatement.objects.filter(status__in=[StatementStatus.APPROVED, StatementStatus.DRAFT])
    for statement in live.select_related("approved_by"):
        if statement.status == StatementStatus.APPROVED:
            statements[statement.kind]["current"] = statement
        else:
            statements[statement.kind]["drafts"] += 1
    context = {
        "issues": issues,
        "parties": parties,
        "policy": statements[StatementKind.POLICY],
        "scope": statements[StatementKind.SCOPE],
        "recent_since": recent_since(),
    }
    return TemplateResponse(request, "reviews/index.html", context)


# Context issues and interested parties
# ------------------------------------------------------------------------------


class ContextListView(RecordListView):
    filter_defaults = {"status": ContextStatus.ACTIVE}

    def get_queryset(self):
        return super().get_queryset().with_recent_change()

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"recent_since": recent_since()}


class ContextIssueListView(ContextListView):
    queryset = ContextIssue.objects.select_related("owner").prefetch_related(prefetch_linked_processes())
    filterset_class = ContextIssueFilterSet
    template_name = "reviews/contextissue_list.html"
    export_header = [
        "reference", "title", "internal or external", "category", "effect", "description", "how it affects the QMS",
        "owner", "processes", "next review", "status", "changed in the last 6 months",
    ]  # fmt: skip
    export_widths = (10, 45, 12, 20, 12, 50, 50, 20, 30, 12, 10, 12)

    def export_row(self, issue: ContextIssue) -> list:
        return [
            issue.reference,
            issue.title,
            issue.get_side_display(),
            issue.get_category_display(),
            issue.get_effect_display(),
            issue.description,
            issue.effect_detail,
            str(issue.owner),
            ", ".join(p.reference for p in issue.linked_processes),
            issue.review_date.isoformat() if issue.review_date else None,
            issue.get_status_display(),
            "yes" if issue.changed_recently else "",
        ]


class InterestedPartyListView(ContextListView):
    queryset = InterestedParty.objects.select_related("owner").prefetch_related(prefetch_linked_processes())
    filterset_class = InterestedPartyFilterSet
    template_name = "reviews/interestedparty_list.html"
    export_header = [
        "reference", "name", "kind", "relevant requirements", "how we monitor them", "owner", "processes",
        "next review", "status", "changed in the last 6 months",
    ]  # fmt: skip
    export_widths = (10, 35, 20, 60, 50, 20, 30, 12, 10, 12)

    def export_row(self, party: InterestedParty) -> list:
        return [
            party.reference,
            party.name,
            party.get_kind_display(),
            party.requirements,
            party.monitoring,
            str(party.owner),
            ", ".join(p.reference for p in party.linked_processes),
            party.review_date.isoformat() if party.review_date else None,
            party.get_status_display(),
            "yes" if party.changed_recently else "",
        ]


class ContextDetailView(RecordDetailView):
    def get_queryset(self):
        return super().get_queryset().with_recent_change()

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"recent_since": recent_since()}


class ContextIssueDetailView(ContextDetailView):
    queryset = ContextIssue.objects.select_related("owner", "created_by", "updated_by").prefetch_related(
        "deputies", "processes"
    )
    template_name = "reviews/contextissue_detail.html"


class InterestedPartyDetailView(ContextDetailView):
    queryset = InterestedParty.objects.select_related("owner", "created_by", "updated_by").prefetch_related(
        "deputies", "processes"
    )
    template_name = "reviews/interestedparty_detail.html"


class ContextEditView(RecordEditView):
    def initial_data(self) -> dict:
        """A record raised from a process page starts linked to that process."""
        return {"processes": [self.request.GET["process"]]} if self.request.GET.get("process") else {}


class ContextIssueEditView(ContextEditView):
    queryset = ContextIssue.objects.all()
    form_class = ContextIssueForm


class InterestedPartyEditView(ContextEditView):
    queryset = InterestedParty.objects.all()
    form_class = InterestedPartyForm


STATUS_QUESTIONS = {
    ContextStatus.RETIRED: (
        _lazy("Retire %(record)s?"),
        _lazy("It leaves the register and the process pages; its history stays, and it can be brought back."),
        _lazy("Retire"),
    ),
    ContextStatus.ACTIVE: (
        _lazy("Bring back %(record)s?"),
        _lazy("It returns to the register and the process pages of its processes."),
        _lazy("Bring back"),
    ),
}


@require_http_methods(["GET", "POST"])
def context_set_status(request: HttpRequest, pk: int, model: type[ContextRecord], status: str) -> HttpResponse:
    """Retire a context issue or an interested party (with a reason), or bring it back, after asking."""
    record = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
    if not record.user_can_change(request.user):
        raise PermissionDenied(_("You may view this record but not change it."))
    retiring = status == ContextStatus.RETIRED
    if record.status == status:
        messages.info(
            request,
            _("%(record)s is %(status)s already.") % {"record": record, "status": record.get_status_display().lower()},
        )
        return done_response(request, record.get_absolute_url())
    form = ReasonForm(request.POST if request.method == "POST" else None, required=retiring)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.context_set_status(
                record=record, user=request.user, status=status, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(record)s is %(status)s.") % {"record": record, "status": record.get_status_display().lower()},
            )
            return done_response(request, record.get_absolute_url())
    title, question, submit = STATUS_QUESTIONS[status]
    confirmation = Confirmation(
        title=str(title) % {"record": record.reference},
        question=str(question),
        form=form,
        submit_label=str(submit),
        cancel_url=record.get_absolute_url(),
        danger=retiring,
        details=[(str(model._meta.verbose_name).capitalize(), str(record))],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


# The policy and the scope, in versions
# ------------------------------------------------------------------------------


@require_GET
def statement_versions(request: HttpRequest, kind: str) -> HttpResponse:
    """The policy or the scope: the version in force, the draft waiting for approval, and the
    versions before, each readable as it was approved."""
    versions = list(
        QmsStatement.objects.filter(kind=kind).select_related("owner", "approved_by").prefetch_related("deputies")
    )
    user = request.user
    drafts = [v for v in versions if v.status == StatementStatus.DRAFT]
    for draft in drafts:
        draft.can_approve, draft.can_edit = draft.user_can_approve(user), draft.user_can_edit(user)
    context = {
        "kind": StatementKind(kind),
        "current": next((v for v in versions if v.status == StatementStatus.APPROVED), None),
        "drafts": drafts,
        "earlier": [v for v in versions if v.status == StatementStatus.SUPERSEDED],
        "can_draft": QmsStatement.user_can_add(user),
    }
    return TemplateResponse(request, "reviews/statement_versions.html", context)


class QmsStatementDetailView(RecordDetailView):
    queryset = QmsStatement.objects.select_related("owner", "approved_by", "created_by", "updated_by")
    template_name = "reviews/qmsstatement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_approve"] = self.object.user_can_approve(self.request.user)
        return context


class QmsStatementEditView(RecordEditView):
    queryset = QmsStatement.objects.all()
    form_class = QmsStatementForm

    def new_object(self) -> QmsStatement:
        kind = self.request.GET.get("kind")
        if kind not in StatementKind.values:
            raise BadRequest(_("Say which to draft: ?kind=policy or ?kind=scope."))
        return QmsStatement(owner=self.request.user, kind=kind)

    def initial_data(self) -> dict:
        """A new version starts from the text in force."""
        current = QmsStatement.objects.current(self.object.kind) if not self.object.pk else None
        return {"text": current.text} if current else {}


@require_http_methods(["GET", "POST"])
def statement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A Leadership member approves a draft of the policy or the scope, after reading it."""
    statement = get_object_or_404(QmsStatement.objects.restrict(request.user, "view").select_related("owner"), pk=pk)
    if not statement.user_can_approve(request.user):
        raise PermissionDenied(_("A Leadership member other than its drafter approves a new version."))
    form = StatementApproveForm(
        request.POST if request.method == "POST" else None,
        label=_("Comment"),
        initial={"text_marker": statement.text_marker()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            statement = services.statement_approve(
                statement=statement,
                user=request.user,
                comment=form.cleaned_data["reason"],
                text_marker=form.cleaned_data["text_marker"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You approved %(record)s.") % {"record": statement.title})
        return done_response(request, statement.get_list_url())
    current = QmsStatement.objects.current(statement.kind)
    confirmation = Confirmation(
        title=_("Approve the draft %(ref)s?") % {"ref": statement.reference},
        question=(
            _("It comes into force as version %(next)d; version %(n)d is superseded. Approved versions never change.")
            % {"next": current.version + 1, "n": current.version}
            if current
            else _("It comes into force now. An approved version never changes.")
        ),
        form=form,
        submit_label=_("Approve"),
        cancel_url=statement.get_absolute_url(),
        details=[
            (_("Draft of"), statement.get_kind_display()),
            (_("Drafted by"), str(statement.owner)),
            (_("What changed"), statement.change_summary or "—"),
            (_("Text"), statement.text),
        ],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)
