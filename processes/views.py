from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qms.forms import ReasonForm
from qms.hub import one_section, section_names
from qms.models import Action, OrgUnit
from qms.views.generic import (
    Confirmation,
    RecordDetailView,
    RecordEditView,
    RecordListView,
    confirm_response,
    done_response,
    htmx_partial,
)

from .filters import ProcessFilterSet
from .forms import (
    HandOffForm,
    ProcessDocumentForm,
    ProcessForm,
    ProcessInputForm,
    ProcessMapFilterForm,
    ProcessOutputForm,
    ProcessResourceForm,
)
from .models import HandOff, Process
from .process_map import map_drawing, process_map

PART_FORMS = {
    "inputs": ProcessInputForm,
    "outputs": ProcessOutputForm,
    "resources": ProcessResourceForm,
    "documents": ProcessDocumentForm,
    "handoffs": HandOffForm,
}


class ProcessListView(RecordListView):
    queryset = Process.objects.select_related("owner", "org_unit").order_by("reference")
    filterset_class = ProcessFilterSet
    template_name = "processes/process_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        processes = list(context["object_list"])
        counts = Action.objects.active_counts([p.pk for p in processes])
        for process in processes:
            process.open_actions = counts.get(process.pk, 0)
        context["object_list"] = processes
        return context


class ProcessDetailView(RecordDetailView):
    queryset = Process.objects.select_related("owner", "org_unit", "created_by", "updated_by").prefetch_related(
        "deputies"
    )
    template_name = "processes/process_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.tab == "overview":
            context.update(turtle_context(self.object, can_change=context["can_change"]))
            # The sections (measures, risks, actions, ...) load once the page shows: on a busy process they
            # hold a hundred rows, and the page would wait for all of them.
            context["section_names"] = section_names("process")
            graph = process_map(focus=self.object)
            context["mini_map"], context["mini_map_state"] = map_drawing(graph)
        return context


class ProcessEditView(RecordEditView):
    queryset = Process.objects.all()
    form_class = ProcessForm


@require_GET
def process_section(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One section of the process page (see qms.hub), as the page asks for it; empty when the
    section has nothing to show."""
    process = _visible_process(request, pk)
    if not htmx_partial(request):
        return redirect(process)
    try:
        section = one_section("process", name, request, process)
    except LookupError:
        raise Http404 from None
    if section is None:
        return HttpResponse()
    return TemplateResponse(request, "components/section_card.html", {"section": section, "key": name})


# The turtle: inputs, outputs, resources, methods and hand-offs, edited in place.
# ------------------------------------------------------------------------------


def turtle_context(process: Process, *, can_change: bool, forms: dict | None = None) -> dict:
    """Everything the turtle fragment shows, in a fixed number of queries."""
    handoffs = HandOff.objects.select_related("source", "target").filter(Q(source=process) | Q(target=process))
    context = {
        "object": process,
        "can_change": can_change,
        "inputs": list(process.inputs.all()),
        "outputs": list(process.outputs.all()),
        "resources": list(process.resources.all()),
        "documents": list(process.documents.all()),
        "handoffs_in": [h for h in handoffs if h.target_id == process.pk],
        "handoffs_out": [h for h in handoffs if h.source_id == process.pk],
    }
    if can_change:
        forms = forms or {}
        for part, form_class in PART_FORMS.items():
            context[f"{part}_form"] = forms.get(part) or form_class(process=process, auto_id=f"id_{part}_%s")
    return context


def _visible_process(request: HttpRequest, pk: int) -> Process:
    return get_object_or_404(Process.objects.restrict(request.user, "view"), pk=pk)


def _turtle_response(request: HttpRequest, process: Process, forms: dict | None = None, status: int = 200):
    if not htmx_partial(request):
        for form in (forms or {}).values():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        return redirect(process)
    context = turtle_context(process, can_change=process.user_can_change(request.user), forms=forms)
    return TemplateResponse(request, "processes/_turtle.html", context, status=status)


@require_POST
def process_part_add(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """Add an input, output, resource, document or hand-off to a process's turtle."""
    process = _visible_process(request, pk)
    if part not in PART_FORMS:
        raise Http404
    if not process.user_can_change(request.user):
        raise PermissionDenied(_("You may view this process but not change it."))
    form = PART_FORMS[part](request.POST, process=process, auto_id=f"id_{part}_%s")
    if not form.is_valid():
        return _turtle_response(request, process, {part: form}, status=422)
    form.save()
    return _turtle_response(request, process)


@require_http_methods(["GET", "POST"])
def process_part_remove(request: HttpRequest, pk: int, part: str, part_pk: int) -> HttpResponse:
    """Remove one line of a process's turtle, after asking. Its history keeps what it said and why."""
    process = _visible_process(request, pk)
    if part not in PART_FORMS:
        raise Http404
    model = PART_FORMS[part]._meta.model
    if model is HandOff:
        line = get_object_or_404(HandOff.objects.filter(Q(source=process) | Q(target=process)), pk=part_pk)
    else:
        line = get_object_or_404(model.objects.filter(process=process), pk=part_pk)
    if not line.user_can_change(request.user):
        raise PermissionDenied(_("You may view this process but not change it."))
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        line._change_reason = form.cleaned_data["reason"]
        line.delete()
        messages.success(request, _("Removed “%(line)s”.") % {"line": line})
        return done_response(request, f"{process.get_absolute_url()}#turtle")
    confirmation = Confirmation(
        title=_("Remove this %(part)s?") % {"part": model._meta.verbose_name},
        question=_("It goes from the description of %(process)s; its history stays.") % {"process": process},
        form=form,
        submit_label=_("Remove"),
        cancel_url=f"{process.get_absolute_url()}#turtle",
        danger=True,
        details=[(str(model._meta.verbose_name).capitalize(), str(line))],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


# The process map.
# ------------------------------------------------------------------------------


@require_GET
def process_map_view(request: HttpRequest) -> TemplateResponse:
    form = ProcessMapFilterForm(request.GET or None)
    org_unit = focus = None
    if form.is_valid():
        org_unit, focus = form.cleaned_data.get("org_unit"), form.cleaned_data.get("focus")
    graph = process_map(org_unit=org_unit, focus=focus)
    svg, state = map_drawing(graph) if graph.processes else (None, "drawn")
    context = {"form": form, "graph": graph, "svg": svg, "state": state, "units": OrgUnit.objects.all()}
    return TemplateResponse(request, "processes/process_map.html", context)
