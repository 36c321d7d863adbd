from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from qms.exports import plain_number
from qms.forms import add_errors
from qms.hub import sections
from qms.models import Action
from qms.overview import shared_drawing
from qms.views.generic import RecordDetailView, RecordEditView, RecordListView, htmx_partial

from . import services
from .charts import trend_svg
from .choices import KPIStatus, ObjectiveStatus
from .filters import KPIFilterSet, ObjectiveFilterSet
from .forms import (
    EffectivenessMeasureForm,
    KPIForm,
    MeasurementCorrectionForm,
    MeasurementForm,
    ObjectiveForm,
    ThemeForm,
)
from .models import KPI, Measurement, Objective, StrategicTheme

CHART_PERIODS = 36
TABLE_PERIODS = 24
SPARKLINE_PERIODS = 12

# The KPI fields objectives need to show progress and flags, without loading whole KPIs.
kpi_summaries = Prefetch(
    "kpis",
    queryset=KPI.objects.only(
        "pk", "reference", "name", "status", "nature", "unit", "frequency", "direction", "target", "target_upper",
        "latest_period", "latest_value",
    ),
)  # fmt: skip


def recent_values(kpi_ids, periods: int) -> dict[int, list]:
    """The latest `periods` values of each KPI, oldest first, in one query."""
    rows = (
        Measurement.objects.filter(kpi__in=kpi_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("period_start").desc()))
        .filter(rank__lte=periods)
        .order_by("kpi_id", "period_start")
        .values_list("kpi_id", "value")
    )
    values = defaultdict(list)
    for kpi_id, value in rows:
        values[kpi_id].append(value)
    return values


def earlier_values(measurement_ids: list[int]) -> dict[int, list]:
    """The values each measurement had before its corrections, oldest first, from its history."""
    rows = Measurement.history.filter(id__in=measurement_ids).order_by("id", "history_date").values_list("id", "value")
    versions = defaultdict(list)
    for measurement_id, value in rows:
        if not versions[measurement_id] or versions[measurement_id][-1] != value:
            versions[measurement_id].append(value)
    return {pk: values[:-1] for pk, values in versions.items() if len(values) > 1}


# Objectives and themes
# ------------------------------------------------------------------------------


OVERVIEW_ROWS = 10


@require_GET
def objective_overview(request: HttpRequest) -> HttpResponse:
    """Strategy at a glance: each theme with its objectives due soonest (OVERVIEW_ROWS of them; the
    theme's page has the rest), their progress and KPI status. The same for everyone who may add the
    same, so drawn at most once a minute (qms.overview.shared_drawing)."""
    context = {
        "can_add_theme": StrategicTheme.user_can_add(request.user),
        "can_add_objective": Objective.user_can_add(request.user),
    }
    context["drawing"] = shared_drawing(
        request,
        "objectives",
        lambda at: render_to_string(
            "objectives/_overview.html", {**context, **_overview_figures(), "figures_at": at}, request=request
        ),
        vary=(context["can_add_theme"], context["can_add_objective"]),
    )
    return TemplateResponse(request, "objectives/overview.html", context)


def _overview_figures() -> dict:
    current = ~Q(status=ObjectiveStatus.WITHDRAWN)
    objectives = (
        Objective.objects.filter(current)
        .with_progress()
        .select_related("owner")
        .prefetch_related(kpi_summaries)
        .order_by("due_date", "reference")
    )
    themes = (
        StrategicTheme.objects.filter(is_active=True)
        .annotate(objective_count=Count("objectives", filter=~Q(objectives__status=ObjectiveStatus.WITHDRAWN)))
        .prefetch_related(Prefetch("objectives", objectives[:OVERVIEW_ROWS], to_attr="objectives_due_soonest"))
    )
    kpi_counts = dict(KPI.objects.measured().values_list("status").annotate(n=Count("pk")).order_by())
    return {"themes": themes, "status_counts": [(status, kpi_counts.get(status.value, 0)) for status in KPIStatus]}


class ObjectiveListView(RecordListView):
    queryset = Objective.objects.with_progress().select_related("owner", "theme").prefetch_related(kpi_summaries)
    filterset_class = ObjectiveFilterSet
    template_name = "objectives/objective_list.html"


class ObjectiveDetailView(RecordDetailView):
    queryset = (
        Objective.objects.with_progress()
        .select_related("owner", "theme", "created_by", "updated_by")
        .prefetch_related("deputies", "processes", Prefetch("kpis", KPI.objects.select_related("owner")))
    )
    template_name = "objectives/objective_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.tab == "overview":
            kpis = self.object.measured_kpis
            context["kpis"] = kpis
            context["sparklines"] = recent_values([k.pk for k in kpis], SPARKLINE_PERIODS)
            context["sections"] = sections("objective", self.request, self.object)
            context["actions"] = list(
                Action.objects.filter(processes__in=self.object.processes.all())
                .active()
                .select_related("owner")
                .distinct()
                .order_by("due_date")[:10]
            )
        return context


class ObjectiveEditView(RecordEditView):
    queryset = Objective.objects.all()
    form_class = ObjectiveForm

    def initial_data(self) -> dict:
        return {"theme": self.request.GET.get("theme")} if not self.object.pk else {}


class ThemeDetailView(RecordDetailView):
    queryset = StrategicTheme.objects.select_related("owner", "created_by", "updated_by").prefetch_related(
        Prefetch(
            "objectives", Objective.objects.with_progress().select_related("owner").prefetch_related(kpi_summaries)
        )
    )
    template_name = "objectives/theme_detail.html"


class ThemeEditView(RecordEditView):
    queryset = StrategicTheme.objects.all()
    form_class = ThemeForm


# KPIs
# ------------------------------------------------------------------------------


class KPIListView(RecordListView):
    queryset = KPI.objects.select_related("owner").prefetch_related("processes")
    filterset_class = KPIFilterSet
    template_name = "objectives/kpi_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sparklines"] = recent_values([k.pk for k in context["object_list"]], SPARKLINE_PERIODS)
        return context


class KPIDetailView(RecordDetailView):
    queryset = KPI.objects.select_related("owner", "created_by", "updated_by").prefetch_related(
        "deputies", "processes", Prefetch("objectives", Objective.objects.select_related("theme"))
    )
    template_name = "objectives/kpi_detail.html"

    def get_context_data(self, measurement_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        kpi = self.object
        if self.tab != "overview":
            return context
        values = list(
            kpi.measurements.select_related("entered_by").order_by("-period_start")[: max(CHART_PERIODS, TABLE_PERIODS)]
        )
        points = [(m.period_start, m.value) for m in reversed(values[:CHART_PERIODS])]
        due = kpi.period_to_enter()
        can_enter = context["can_change"] and not kpi.is_calculated
        shown = values[:TABLE_PERIODS]
        context.update(
            chart=trend_svg(kpi, points) if len(points) >= 2 else None,
            measurements=shown,
            corrections=earlier_values([m.pk for m in shown]),
            can_correct=can_enter,
            measurement_count=kpi.measurements.count(),
            due_period=due,
            measurement_form=measurement_form
            or (
                MeasurementForm(kpi=kpi, initial={"period": due or kpi.period(timezone.localdate())})
                if can_enter
                else None
            ),
            actions=list(Action.objects.raised_by(kpi).select_related("owner").order_by("-created_at")[:20]),
            judged_actions=list(kpi.effectiveness_for.select_related("action__owner")),
            effectiveness_form=EffectivenessMeasureForm(kpi=kpi, user=self.request.user)
            if context["can_change"]
            else None,
            inputs=kpi.formula_inputs(),
            dependents=kpi.formula_dependents(),
        )
        return context


class KPIEditView(RecordEditView):
    queryset = KPI.objects.all()
    form_class = KPIForm

    def save_form(self, form):
        formula_changed = not self.object.pk or bool({"source", "formula"} & set(form.changed_data))
        kpi = form.save()
        services.kpi_saved(kpi, formula_changed=formula_changed)
        return kpi

    def initial_data(self) -> dict:
        initial = {}
        for name in ("objective", "process"):
            if value := self.request.GET.get(name):
                initial[f"{name}s"] = [value]
        return initial


@require_GET
def kpi_chart(request: HttpRequest, pk: int) -> HttpResponse:
    """The trend chart alone, for embedding and PDFs."""
    kpi = get_object_or_404(KPI.objects.restrict(request.user, "view"), pk=pk)
    points = list(kpi.measurements.order_by("-period_start").values_list("period_start", "value")[:CHART_PERIODS])
    return HttpResponse(trend_svg(kpi, points[::-1]), content_type="image/svg+xml")


@require_POST
def measurement_enter(request: HttpRequest, pk: int) -> HttpResponse:
    """Save one value: from a row of My measures (htmx: the row comes back, with the new status or
    the message beside the field) or from the KPI page."""
    kpi = get_object_or_404(KPI.objects.restrict(request.user, "view").select_related("owner"), pk=pk)
    if not kpi.user_can_change(request.user):
        raise PermissionDenied(_("Only the KPI's owner, deputies and quality managers enter its values."))
    form = MeasurementForm(request.POST, kpi=kpi)
    if form.is_valid():
        try:
            measurement = services.measurement_record(
                kpi=kpi,
                period=form.cleaned_data["period"],
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
                user=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
    if htmx_partial(request):
        saved = measurement if form.is_valid() else None
        return TemplateResponse(
            request,
            "objectives/_measure_row.html",
            measure_row(
                kpi, recent_values([kpi.pk], SPARKLINE_PERIODS)[kpi.pk], form=None if saved else form, saved=saved
            ),
            status=200 if saved else 422,
        )
    if form.is_valid():
        messages.success(
            request,
            _("Saved %(value)s for %(period)s.")
            % {"value": form.data["value"], "period": form.cleaned_data["period"].label},
        )
        return redirect(kpi)
    view = KPIDetailView(request=request, kwargs={"pk": pk}, object=kpi)
    context = view.get_context_data(measurement_form=form)
    return TemplateResponse(request, KPIDetailView.template_name, context, status=422)


def _correctable(request: HttpRequest, pk: int, value_pk: int) -> tuple[KPI, Measurement]:
    """The KPI and its stored value, for those who may change the KPI; a calculated KPI's values
    are recalculated, never corrected by hand."""
    kpi = get_object_or_404(KPI.objects.restrict(request.user, "view"), pk=pk)
    measurement = get_object_or_404(kpi.measurements.select_related("entered_by"), pk=value_pk)
    measurement.kpi = kpi
    if not kpi.user_can_change(request.user):
        raise PermissionDenied(_("Only the KPI's owner, deputies and quality managers correct its values."))
    if kpi.is_calculated:
        raise PermissionDenied(_("%(ref)s is calculated; correct the values it is calculated from.") % {"ref": kpi})
    return kpi, measurement


def value_row(kpi: KPI, measurement: Measurement, *, form=None, focus: bool = False) -> dict:
    """What one row of the KPI page's values table shows: the value, or the form correcting it."""
    return {
        "object": kpi,
        "m": measurement,
        "before": earlier_values([measurement.pk]).get(measurement.pk),
        "can_correct": True,
        "form": form,
        "focus": focus,
    }


@require_GET
def measurement_row(request: HttpRequest, pk: int, value_pk: int) -> HttpResponse:
    """One row of the values table as it reads (Cancel of a correction); the KPI page without htmx."""
    kpi, measurement = _correctable(request, pk, value_pk)
    if not htmx_partial(request):
        return redirect(kpi)
    return TemplateResponse(request, "objectives/_value_row.html", value_row(kpi, measurement, focus=True))


@require_http_methods(["GET", "POST"])
def measurement_edit(request: HttpRequest, pk: int, value_pk: int) -> HttpResponse:
    """Correct a stored value in place: htmx swaps its row into a small form and back; without
    JavaScript it is a page of its own. The correction goes through measurement_record, so the old
    value stays in history and what is calculated from it is recalculated."""
    kpi, measurement = _correctable(request, pk, value_pk)
    prefix = f"value-{measurement.pk}"
    if request.method == "GET":
        form = MeasurementCorrectionForm(measurement=measurement, auto_id=f"{prefix}-%s")
        return _correction_response(request, kpi, measurement, form)
    # The row lock makes a correction saved at the same moment wait, so the version check sees it.
    with transaction.atomic():
        locked = Measurement.objects.select_for_update(of=("self",)).select_related("entered_by")
        measurement = locked.get(pk=measurement.pk)
        measurement.kpi = kpi
        form = MeasurementCorrectionForm(request.POST, measurement=measurement, auto_id=f"{prefix}-%s")
        if form.is_valid():
            try:
                corrected = services.measurement_record(
                    kpi=kpi,
                    period=measurement.period,
                    value=form.cleaned_data["value"],
                    comment=form.cleaned_data["comment"],
                    user=request.user,
                )
            except ValidationError as error:
                add_errors(form, error)
    if not form.is_valid():
        status = 409 if form.has_conflict else 422
        return _correction_response(request, kpi, measurement, form, status=status)
    corrected.kpi = kpi
    if htmx_partial(request):
        response = TemplateResponse(request, "objectives/_value_row.html", value_row(kpi, corrected, focus=True))
        return trigger_client_event(response, "kpi-values-changed")
    messages.success(
        request,
        _("Corrected the value for %(period)s to %(value)s.")
        % {"period": measurement.period.label, "value": plain_number(corrected.value)},
    )
    return redirect(kpi)


def _correction_response(request, kpi, measurement, form, status: int = 200) -> HttpResponse:
    context = value_row(kpi, measurement, form=form)
    template = "objectives/_value_row.html" if htmx_partial(request) else "objectives/measurement_edit.html"
    return TemplateResponse(request, template, context, status=status)


@require_POST
def effectiveness_measure_set(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = get_object_or_404(KPI.objects.restrict(request.user, "change"), pk=pk)
    form = EffectivenessMeasureForm(request.POST, kpi=kpi, user=request.user)
    if form.is_valid():
        measure = form.save()
        messages.success(
            request,
            _("%(action)s will be judged by %(kpi)s over %(n)d periods after it is done.")
            % {"action": measure.action.reference, "kpi": kpi.reference, "n": measure.periods},
        )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(kpi)


# My measures
# ------------------------------------------------------------------------------


def measure_row(kpi: KPI, sparkline: list, *, form: MeasurementForm | None = None, saved=None) -> dict:
    """What one row of My measures shows: the KPI, its latest values and the value now due."""
    due = kpi.period_to_enter()
    return {
        "kpi": kpi,
        "due": due,
        "form": form or (MeasurementForm(kpi=kpi, initial={"period": due}) if due else None),
        "saved": saved,
        "sparkline": sparkline,
    }


@require_GET
def my_measures(request: HttpRequest) -> HttpResponse:
    """The KPIs the user enters, whose value is due or overdue, ready to type into."""
    mine = KPI.objects.measured().entered_by_hand().owned_by(request.user)
    due = list(mine.due().outcome_first().prefetch_related("processes"))
    owned = mine.count()
    sparklines = recent_values([k.pk for k in due], SPARKLINE_PERIODS)
    context = {
        "rows": [measure_row(kpi, sparklines[kpi.pk]) for kpi in due],
        "up_to_date": owned - len(due),
        "owned": owned,
    }
    return TemplateResponse(request, "objectives/my_measures.html", context)
