from datetime import timedelta

from django.apps import apps
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from qms import services
from qms.choices import ActionStatus
from qms.filters import ActionFilterSet
from qms.forms import ActionForm, ActionMoveForm, EffectivenessForm
from qms.models import Action, OwnedRecord, ProcessLinkedRecord, prefetch_linked_processes

from .generic import (
    Confirmation,
    RecordDetailView,
    RecordEditView,
    RecordListView,
    confirm_response,
    done_response,
)


def _source_references() -> GenericPrefetch:
    """What a row shows of the record an action was raised from, its reference and link, read for
    the page with that alone, for each kind of record that says how (`for_reference`)."""
    kinds = [model for model in apps.get_models() if hasattr(model, "for_reference")]
    return GenericPrefetch("source", [model.for_reference() for model in kinds])


action_list_queryset = Action.objects.select_related("owner", "source_type", "verified_by").prefetch_related(
    prefetch_linked_processes(), _source_references()
)
action_detail_queryset = Action.objects.select_related(
    "owner", "verified_by", "created_by", "updated_by", "source_type"
).prefetch_related("processes", "deputies")


class ActionListView(RecordListView):
    """Open work first: overdue, then by due date; closed actions behind the Show filter."""

    queryset = action_list_queryset
    filterset_class = ActionFilterSet
    filter_defaults = {"show": "current"}
    template_name = "qms/action_list.html"
    export_header = [
        "reference", "title", "kind", "status", "owner", "deputies", "processes", "due date", "overdue",
        "completed on", "raised from", "effectiveness checked by", "effectiveness checked at", "effectiveness note",
    ]  # fmt: skip
    export_widths = (10, 50, 18, 16, 20, 25, 30, 12, 9, 12, 14, 20, 18, 40)
    export_prefetch = ("deputies",)

    def get_queryset(self):
        self.queryset = action_list_queryset.urgent_first()  # today's date decides what is overdue
        return super().get_queryset()

    def export_row(self, action: Action) -> list:
        return [
            action.reference,
            action.title,
            action.get_kind_display(),
            action.get_status_display(),
            str(action.owner),
            ", ".join(str(person) for person in action.deputies.all()),
            ", ".join(process.reference for process in action.linked_processes),
            action.due_date.isoformat(),
            "yes" if action.is_overdue else "",
            action.completed_on.isoformat() if action.completed_on else None,
            getattr(action.source, "reference", None),
            str(action.verified_by or ""),
            timezone.localtime(action.verified_at).strftime("%Y-%m-%d %H:%M") if action.verified_at else None,
            action.verification_note,
        ]


class ActionDetailView(RecordDetailView):
    queryset = action_detail_queryset
    template_name = "qms/action_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        action = self.object
        context["transitions"] = action.allowed_transitions() if context["can_change"] else []
        can_verify = action.status == "done" and action.user_can_verify(self.request.user)
        context["effectiveness_form"] = kwargs.get("effectiveness_form") or (
            EffectivenessForm() if can_verify else None
        )
        return context


class ActionEditView(RecordEditView):
    queryset = Action.objects.all()
    form_class = ActionForm

    def new_object(self) -> Action:
        action = super().new_object()
        action.source = self.source_record()
        return action

    def source_record(self) -> OwnedRecord | None:
        """The record this action is raised from, named in the query string as ?source_type=&source_id=."""
        type_id, object_id = self.request.GET.get("source_type"), self.request.GET.get("source_id")
        if not (type_id and object_id):
            return None
        try:
            model = ContentType.objects.get_for_id(int(type_id)).model_class()
            object_id = int(object_id)
        except (ContentType.DoesNotExist, ValueError):
            raise Http404(_("The record this action would be raised from does not exist.")) from None
        if model is None or not issubclass(model, OwnedRecord):
            raise Http404(_("Actions can only be raised from QMS records."))
        return get_object_or_404(model.objects.restrict(self.request.user, "view"), pk=object_id)

    def initial_data(self) -> dict:
        initial = {"due_date": timezone.localdate() + timedelta(days=30)}
        source = self.object.source
        if isinstance(source, ProcessLinkedRecord):
            initial["processes"] = list(source.processes.all())
        elif source is not None and source._meta.model_name == "process":
            initial["processes"] = [source]
        return initial


# The steps that ask first, with what the question says.
MOVE_QUESTIONS = {
    ActionStatus.DONE: (
        _lazy("Mark %(ref)s done?"),
        _lazy("Someone other than its owner and deputies will then check whether it worked."),
        _lazy("Mark done"),
    ),
    ActionStatus.CANCELLED: (
        _lazy("Cancel %(ref)s?"),
        _lazy("A cancelled action is closed for good: it cannot be reopened or edited."),
        _lazy("Cancel the action"),
    ),
}


@require_http_methods(["GET", "POST"])
def action_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Start, complete, reopen or cancel an action. Completing and cancelling ask first (GET with
    ?status=), with a comment or the reason the history keeps."""
    action = get_object_or_404(Action.objects.restrict(request.user, "view"), pk=pk)
    if not action.user_can_change(request.user):
        raise PermissionDenied(_("You may view this action but not change it."))
    status = request.POST.get("status") or request.GET.get("status")
    if status not in action.allowed_transitions():
        messages.error(
            request,
            _("%(ref)s is %(status)s now: that step is not open to it.")
            % {"ref": action.reference, "status": action.get_status_display().lower()},
        )
        return done_response(request, action.get_absolute_url())
    form = ActionMoveForm(request.POST if request.method == "POST" else None, initial={"status": status})
    if request.method == "POST" and form.is_valid():
        try:
            services.action_move(action=action, user=request.user, status=status, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error("note" if "note" in error.message_dict else None, error.messages)
        else:
            messages.success(
                request,
                _("%(ref)s is now %(status)s.")
                % {"ref": action.reference, "status": action.get_status_display().lower()},
            )
            return done_response(request, action.get_absolute_url())
    title, question, submit = MOVE_QUESTIONS.get(status, (_lazy("Move %(ref)s?"), "", _lazy("Confirm")))
    confirmation = Confirmation(
        title=str(title) % {"ref": action.reference},
        question=str(question),
        form=form,
        submit_label=str(submit),
        cancel_url=action.get_absolute_url(),
        danger=status == ActionStatus.CANCELLED,
        details=[(_("Action"), str(action))],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_POST
def action_check_effectiveness(request: HttpRequest, pk: int) -> HttpResponse:
    """Record whether a done action worked."""
    action = get_object_or_404(action_detail_queryset.restrict(request.user, "view"), pk=pk)
    form = EffectivenessForm(request.POST)
    if form.is_valid():
        try:
            services.action_check_effectiveness(
                action=action,
                user=request.user,
                effective=form.cleaned_data["effective"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Effectiveness check recorded for %(ref)s.") % {"ref": action.reference})
            return redirect(action)
    view = ActionDetailView(request=request, kwargs={"pk": pk}, object=action)
    context = view.get_context_data(effectiveness_form=form)
    return TemplateResponse(request, ActionDetailView.template_name, context, status=422)
