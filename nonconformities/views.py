from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from objectives.models import KPI
from processes.models import Process
from qms.forms import EffectivenessForm, add_errors
from qms.models import Action, prefetch_linked_processes
from qms.views.generic import (
    Confirmation,
    RecordDetailView,
    RecordEditView,
    RecordListView,
    confirm_response,
    done_response,
)

from . import services
from .choices import NCStatus, Origin
from .filters import NonconformityFilterSet
from .forms import NonconformityForm, NonconformityMoveForm
from .models import Nonconformity

EXPORT_HEADER = [
    "reference", "title", "source", "customer or supplier", "severity", "status", "owner", "deputies", "processes",
    "found on", "age (days)", "complaint received", "customer answered", "response (days)", "root cause method",
    "root cause", "effectiveness reviewed by", "effective", "closed on",
]  # fmt: skip


class NonconformityListView(RecordListView):
    queryset = Nonconformity.objects.select_related("owner", "reviewed_by").prefetch_related(
        prefetch_linked_processes()
    )
    filterset_class = NonconformityFilterSet
    filter_defaults = {"show": "open"}
    template_name = "nonconformities/nonconformity_list.html"
    export_header = EXPORT_HEADER
    export_widths = (10, 50, 18, 24, 10, 20, 20, 25, 30, 12, 10, 12, 12, 10, 16, 50, 20, 10, 12)
    export_prefetch = ("deputies",)

    def export_row(self, nc: Nonconformity) -> list:
        return [
            nc.reference,
            nc.title,
            nc.get_origin_display(),
            nc.party,
            nc.get_severity_display(),
            nc.get_status_display(),
            str(nc.owner),
            ", ".join(str(person) for person in nc.deputies.all()),
            ", ".join(process.reference for process in nc.linked_processes),
            nc.detected_on.isoformat(),
            nc.age_days,
            nc.received_on.isoformat() if nc.received_on else None,
            nc.responded_on.isoformat() if nc.responded_on else None,
            nc.response_days,
            nc.get_root_cause_method_display(),
            nc.root_cause,
            str(nc.reviewed_by or ""),
            {True: "yes", False: "no"}.get(nc.effective, ""),
            nc.closed_on.isoformat() if nc.closed_on else None,
        ]


# The workflow's steps as buttons, by the step they lead to (closing is the effectiveness review's).
STEPS = {
    NCStatus.CONTAINED: (_lazy("Mark contained"), "shield-check", "btn btn-outline-primary"),
    NCStatus.ANALYSED: (_lazy("Root cause found"), "search", "btn btn-outline-primary"),
    NCStatus.CORRECTIVE_ACTION: (_lazy("Start corrective action"), "tools", "btn btn-outline-primary"),
    NCStatus.EFFECTIVENESS_REVIEW: (_lazy("Ready for effectiveness review"), "clipboard-check", "btn btn-success"),
    NCStatus.CANCELLED: (_lazy("Cancel"), "x-lg", "btn btn-outline-danger"),
}
# Steps back, worded as such.
BACK = {
    (NCStatus.CORRECTIVE_ACTION, NCStatus.ANALYSED): _lazy("Back to root cause"),
    (NCStatus.EFFECTIVENESS_REVIEW, NCStatus.CORRECTIVE_ACTION): _lazy("Back to corrective action"),
}
QUESTIONS = {
    NCStatus.CONTAINED: _lazy("Is it contained? The containment as written goes into the record."),
    NCStatus.ANALYSED: _lazy("Is the root cause found? Corrective actions follow from it."),
    NCStatus.CORRECTIVE_ACTION: _lazy("Start the corrective actions that remove the root cause."),
    NCStatus.EFFECTIVENESS_REVIEW: _lazy(
        "Are the corrective actions done? Someone other than the owner and deputies then reviews whether they "
        "worked; only that review closes it."
    ),
    NCStatus.CANCELLED: _lazy("A cancelled nonconformity is closed for good: it cannot be reopened or edited."),
}


def workflow_steps(nc: Nonconformity) -> list[dict]:
    """The buttons for the steps open to the nonconformity now."""
    steps = []
    for status in nc.allowed_transitions():
        if status == NCStatus.CLOSED:
            continue
        label, icon, css = STEPS[status]
        if back := BACK.get((nc.status, status)):
            label, icon, css = back, "arrow-counterclockwise", "btn btn-outline-secondary"
        steps.append({"status": status, "label": label, "icon": icon, "css": css})
    return steps


# The path shown above the record: where it stands in ISO 9001 10.2.
PATH = [
    NCStatus.REPORTED,
    NCStatus.CONTAINED,
    NCStatus.ANALYSED,
    NCStatus.CORRECTIVE_ACTION,
    NCStatus.EFFECTIVENESS_REVIEW,
    NCStatus.CLOSED,
]


class NonconformityDetailView(RecordDetailView):
    queryset = Nonconformity.objects.select_related(
        "owner", "reviewed_by", "created_by", "updated_by", "source_type"
    ).prefetch_related("deputies", "processes", "source")
    template_name = "nonconformities/nonconformity_detail.html"

    def get_context_data(self, effectiveness_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.tab != "overview":
            return context
        nc, user = self.object, self.request.user
        reached = PATH.index(nc.status) if nc.status in PATH else -1
        can_review = nc.status == NCStatus.EFFECTIVENESS_REVIEW and nc.user_can_review_effectiveness(user)
        context.update(
            path=[
                (status, NCStatus(status).label, index < reached, index == reached) for index, status in enumerate(PATH)
            ],
            steps=workflow_steps(nc) if context["can_change"] else [],
            actions=list(Action.objects.raised_by(nc).select_related("owner").order_by("due_date")),
            can_raise_action=nc.is_open and Action.user_can_add(user),
            effectiveness_form=effectiveness_form or (EffectivenessForm() if can_review else None),
        )
        return context


class NonconformityEditView(RecordEditView):
    """Record a nonconformity (from a process page with ?process=, from a KPI with ?kpi=, as a
    complaint with ?origin=customer_complaint) or work on one."""

    queryset = Nonconformity.objects.all()
    form_class = NonconformityForm

    def new_object(self) -> Nonconformity:
        nc = super().new_object()
        if kpi_id := _record_id(self.request.GET.get("kpi")):
            nc.source = get_object_or_404(KPI.objects.restrict(self.request.user, "view"), pk=kpi_id)
            nc.origin = Origin.KPI_BREACH
        return nc

    def initial_data(self) -> dict:
        """A new record starts from where it was raised; when the form is redrawn for another
        source, from everything typed so far."""
        query, initial = self.request.GET, {}
        if self.object.pk:
            return initial
        kpi = self.object.source if isinstance(self.object.source, KPI) else None
        if kpi is not None:
            initial.update(origin=Origin.KPI_BREACH, processes=list(kpi.processes.all()), title=str(kpi.name))
            initial["description"] = _("%(kpi)s: %(status)s in its latest period.") % {
                "kpi": kpi, "status": kpi.get_status_display().lower()
            }  # fmt: skip
        if process_id := _record_id(query.get("process")):
            initial["processes"] = list(Process.objects.filter(pk=process_id))
        for name, field in self.form_class.base_fields.items():
            if name in query:
                multiple = isinstance(field, forms.ModelMultipleChoiceField | forms.MultiValueField)
                initial[name] = query.getlist(name) if multiple else query[name]
        return initial


def _record_id(value: str | None) -> int | None:
    """A record's id from the query string: ASCII digits within a database key's range; anything
    else (a Unicode digit such as "²", a number too large to store) is no id, so it is ignored."""
    if value and value.isascii() and value.isdigit() and 0 < (number := int(value)) < 2**63:
        return number
    return None


MOVE_TITLES = {
    NCStatus.CANCELLED: _lazy("Cancel %(ref)s?"),
}


@require_http_methods(["GET", "POST"])
def nonconformity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """A step along the workflow, asked first (GET with ?status=) with a note the history keeps. A
    gate that is not yet met says what is missing; the note typed stays."""
    nc = get_object_or_404(Nonconformity.objects.restrict(request.user, "view"), pk=pk)
    if not nc.user_can_change(request.user):
        raise PermissionDenied(_("You may view this nonconformity but not change it."))
    status = request.POST.get("status") or request.GET.get("status")
    if status not in nc.allowed_transitions() or status == NCStatus.CLOSED:
        messages.error(
            request,
            _("%(ref)s is %(status)s now: that step is not open to it.")
            % {"ref": nc.reference, "status": nc.get_status_display().lower()},
        )
        return done_response(request, nc.get_absolute_url())
    form = NonconformityMoveForm(request.POST if request.method == "POST" else None, initial={"status": status})
    if request.method == "POST" and form.is_valid():
        try:
            services.nonconformity_move(nc=nc, user=request.user, status=status, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_errors(form, error)  # a gate not yet met: its message says what is missing
        else:
            messages.success(
                request,
                _("%(ref)s is now %(status)s.") % {"ref": nc.reference, "status": NCStatus(status).label.lower()},
            )
            return done_response(request, nc.get_absolute_url())
    label = BACK.get((nc.status, status)) or STEPS[status][0]
    title = MOVE_TITLES.get(status, _lazy("%(step)s: %(ref)s?"))
    confirmation = Confirmation(
        title=str(title) % {"ref": nc.reference, "step": label},
        question=str(QUESTIONS[status]),
        form=form,
        submit_label=str(label),
        cancel_url=nc.get_absolute_url(),
        danger=status == NCStatus.CANCELLED,
        details=[(_("Nonconformity"), str(nc))],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_POST
def nonconformity_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The effectiveness review: effective closes the nonconformity, not effective sends it back."""
    nc = get_object_or_404(NonconformityDetailView.queryset.restrict(request.user, "view"), pk=pk)
    if not nc.user_can_review_effectiveness(request.user):
        raise PermissionDenied(
            _("The effectiveness review is made by quality, leadership or an auditor, never the owner or a deputy.")
        )
    form = EffectivenessForm(request.POST)
    if form.is_valid():
        try:
            services.nonconformity_review_effectiveness(nc=nc, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Effectiveness review recorded for %(ref)s.") % {"ref": nc.reference})
            return redirect(nc)
    return NonconformityDetailView.with_invalid_form(request, nc, effectiveness_form=form)
