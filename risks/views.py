from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qms.forms import ReasonForm, add_errors
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
from .choices import Band, RiskKind, band_label
from .filters import RiskFilterSet
from .forms import RiskForm, RiskMatrixForm, RiskReviewForm
from .models import Risk, RiskMatrix

REVIEW_INTERVAL_DAYS = 91
EXPORT_HEADER = [
    "reference", "type", "title", "category", "status", "owner", "processes", "objectives",
    "inherent likelihood", "inherent impact", "inherent score", "inherent band", "strategy",
    "residual likelihood", "residual impact", "residual score", "residual band", "next review",
]  # fmt: skip


class RiskListView(RecordListView):
    queryset = Risk.objects.select_related("owner").prefetch_related(prefetch_linked_processes(), "objectives")
    filterset_class = RiskFilterSet
    template_name = "risks/risk_list.html"
    export_header = EXPORT_HEADER
    export_widths = (10, 12, 50, 20, 14, 20, 30, 30)

    def export_row(self, risk: Risk) -> list:
        return [
            risk.reference,
            risk.get_kind_display(),
            risk.title,
            risk.get_category_display(),
            risk.get_status_display(),
            str(risk.owner),
            ", ".join(p.reference for p in risk.linked_processes),
            ", ".join(o.reference for o in risk.objectives.all()),
            risk.inherent_likelihood,
            risk.inherent_impact,
            risk.inherent_score,
            risk.inherent_band_label,
            risk.get_strategy_display(),
            risk.residual_likelihood,
            risk.residual_impact,
            risk.residual_score,
            risk.residual_band_label,
            risk.next_review_date.isoformat() if risk.next_review_date else None,
        ]


class RiskDetailView(RecordDetailView):
    queryset = Risk.objects.select_related(
        "owner", "accepted_by", "rationale_written_by", "created_by", "updated_by"
    ).prefetch_related("deputies", "processes", "objectives")
    template_name = "risks/risk_detail.html"

    def get_context_data(self, review_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.tab != "overview":
            return context
        risk = self.object
        matrix = RiskMatrix.current()
        impact_levels = matrix.benefit_levels if risk.is_opportunity else matrix.impact_levels
        context.update(
            matrix=matrix,
            stages=[
                (
                    _stage_title(risk.kind, "inherent"),
                    risk.inherent_likelihood,
                    risk.inherent_impact,
                    risk.inherent_score,
                    risk.inherent_band_label,
                    risk.inherent_band_colour,
                ),
                (
                    _stage_title(risk.kind, "residual"),
                    risk.residual_likelihood,
                    risk.residual_impact,
                    risk.residual_score,
                    risk.residual_band_label,
                    risk.residual_band_colour,
                ),
                (_("Target"), risk.target_likelihood, risk.target_impact, _target_score(risk), None, None),
            ],  # fmt: skip
            likelihood_levels=matrix.likelihood_levels,
            impact_levels=impact_levels,
            treatments=list(Action.objects.raised_by(risk).select_related("owner").order_by("due_date")),
            reviews=list(risk.reviews.select_related("reviewer")),
            review_form=review_form
            or (RiskReviewForm(risk=risk, initial=_current_scores(risk)) if context["can_change"] else None),
            can_approve=risk.acceptance_pending and risk.user_can_approve(self.request.user),
        )
        return context


def _stage_title(kind: str, stage: str) -> str:
    """A risk is scored before and with its controls; an opportunity before and with our actions."""
    if kind == RiskKind.OPPORTUNITY:
        return _("Before our actions") if stage == "inherent" else _("With our actions")
    return _("Before controls") if stage == "inherent" else _("With controls")


def _current_scores(risk: Risk) -> dict:
    """A review starts from the current scores, and plans the next one a quarter ahead."""
    return {
        "likelihood": risk.residual_likelihood,
        "impact": risk.residual_impact,
        "next_review_date": timezone.localdate() + timedelta(days=REVIEW_INTERVAL_DAYS),
    }


def _target_score(risk: Risk) -> int | None:
    if risk.target_likelihood and risk.target_impact:
        return risk.target_likelihood * risk.target_impact
    return None


class RiskEditView(RecordEditView):
    queryset = Risk.objects.all()
    form_class = RiskForm

    def initial_data(self) -> dict:
        """A new record starts from the kind, process or objective it was raised for; when the
        form is redrawn for the other kind, from everything typed so far."""
        query = self.request.GET
        initial = {"kind": query.get("kind", RiskKind.RISK)}
        for parameter, field in (("process", "processes"), ("objective", "objectives")):
            if value := query.get(parameter):
                initial[field] = [value]
        for name, field in self.form_class.base_fields.items():
            if name in query:
                multiple = isinstance(field, forms.ModelMultipleChoiceField)
                initial[name] = query.getlist(name) if multiple else query[name]
        return initial


@require_POST
def risk_review(request: HttpRequest, pk: int) -> HttpResponse:
    risk = get_object_or_404(Risk.objects.restrict(request.user, "view"), pk=pk)
    if not risk.user_can_change(request.user):
        raise PermissionDenied(_("Only the risk's owner, deputies and quality managers review it."))
    form = RiskReviewForm(request.POST, risk=risk)
    if form.is_valid():
        try:
            services.risk_review_record(risk=risk, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Review recorded for %(ref)s.") % {"ref": risk.reference})
            return redirect(risk)
    view = RiskDetailView(request=request, kwargs={"pk": pk}, object=risk)
    return TemplateResponse(request, RiskDetailView.template_name, view.get_context_data(review_form=form), status=422)


@require_http_methods(["GET", "POST"])
def risk_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Leadership approves accepting a high or critical risk, after reading what it approves."""
    risk = get_object_or_404(Risk.objects.restrict(request.user, "view").select_related("owner"), pk=pk)
    if not risk.user_can_approve(request.user):
        raise PermissionDenied(services.APPROVER_RULE)
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Comment"))
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_approve_acceptance(risk=risk, user=request.user, comment=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You approved accepting %(ref)s.") % {"ref": risk.reference})
        return done_response(request, risk.get_absolute_url())
    confirmation = Confirmation(
        title=_("Approve accepting %(ref)s?") % {"ref": risk.reference},
        question=_(
            "The risk stays at its %(band)s band without further treatment, on this rationale. The approval "
            "lapses if the band or the rationale changes."
        )
        % {"band": risk.residual_band_label.lower()},
        form=form,
        submit_label=_("Approve acceptance"),
        cancel_url=risk.get_absolute_url(),
        details=[(_("Risk"), str(risk)), (_("Owner"), str(risk.owner)), (_("Rationale"), risk.acceptance_rationale)],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


@require_GET
def heat_map(request: HttpRequest) -> HttpResponse:
    """Inherent and residual scores side by side: how many risks sit in each cell, each cell a link
    to the register filtered to it. One query for both maps, whatever the number of risks."""
    kind = request.GET.get("kind", RiskKind.RISK)
    if kind not in RiskKind.values:
        raise BadRequest(_("Unknown kind."))
    matrix = RiskMatrix.current()
    visible = Risk.objects.restrict(request.user, "view").filter(kind=kind).open()
    maps = []
    for stage, counts in services.heat_map_counts(visible).items():
        rows = services.heat_map_rows(matrix, kind, counts)
        maps.append({"stage": stage, "title": _stage_title(kind, stage), "rows": rows, "total": sum(counts.values())})
    impact_levels = matrix.benefit_levels if kind == RiskKind.OPPORTUNITY else matrix.impact_levels
    bands = {band: band_label(kind, band) for band in Band.values}
    context = {
        "maps": maps,
        "kind": kind,
        "impact_levels": list(enumerate(impact_levels, start=1)),
        "matrix": matrix,
        "bands": bands,
    }
    return TemplateResponse(request, "risks/heat_map.html", context)


@require_http_methods(["GET", "POST"])
def matrix_edit(request: HttpRequest) -> HttpResponse:
    if not request.user.administers_qms:
        raise PermissionDenied(_("The risk matrix is configured by quality managers."))
    matrix = RiskMatrix.current()
    form = RiskMatrixForm(request.POST or None, instance=matrix)
    if request.method == "POST" and form.is_valid():
        # A change that moves bands is shown first (approvals lapse with the band); it is saved
        # once the person confirms exactly those moves.
        moves = services.risks_band_moves(matrix=form.instance)
        key = services.band_moves_key(moves)
        if moves and request.POST.get("confirmed") != key:
            context = {
                "form": form,
                "moves": moves,
                "confirm_key": key,
                "lapses": [move for move in moves if move.approval_lapses],
            }
            return TemplateResponse(request, "risks/matrix_edit.html", context)
        with transaction.atomic():
            form.save()
            changed = services.risks_rescore(user=request.user)
        messages.success(request, _("Matrix saved; %(n)d risks rescored.") % {"n": changed})
        return redirect("risks:heat_map")
    return TemplateResponse(request, "risks/matrix_edit.html", {"form": form}, status=422 if form.errors else 200)
