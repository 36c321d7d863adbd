"""Evidence packs: the list, the request form (for an audit or a scope), the pack's page (polled by
htmx while it renders), the download, and the PDFs of one audit report and of one nonconformity."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from audits.models import Audit, IssuedReport
from nonconformities.models import Nonconformity
from qms.forms import add_errors
from qms.uploads import attachment_disposition
from qms.views.attachments import DOWNLOAD_CSP
from qms.views.generic import RecordListView, htmx_partial

from . import services
from .filters import EvidencePackFilterSet
from .forms import PackScopeForm
from .models import EvidencePack
from .render import RenderedPDF

PDF = "application/pdf"


class EvidencePackListView(RecordListView):
    """The packs the user requested and those they may view, newest first."""

    queryset = EvidencePack.objects.select_related("audit", "requested_by")
    filterset_class = EvidencePackFilterSet
    template_name = "packs/evidencepack_list.html"


@require_http_methods(["GET", "POST"])
def evidencepack_add(request: HttpRequest) -> HttpResponse:
    """Request a pack: for the audit in `?audit=<pk>` (its scope), or for the chosen scope and period."""
    if not EvidencePack.user_can_add(request.user):
        raise PermissionDenied(_("Evidence packs are exported by auditors and quality managers."))
    audit = None
    if "audit" in request.GET:
        try:
            audit = get_object_or_404(Audit.objects.restrict(request.user, "view"), pk=int(request.GET["audit"]))
        except ValueError:
            raise Http404(_("No such audit.")) from None
    form = None if audit else PackScopeForm(request.POST or None)
    if request.method == "POST" and (audit or form.is_valid()):
        scope = {} if audit else form.cleaned_data
        try:
            pack = services.pack_request(user=request.user, audit=audit, **scope)
        except ValidationError as error:
            if form is None:
                raise
            add_errors(form, error)
        else:
            messages.success(request, _("Pack requested: it is being made; this page shows how far it has come."))
            return redirect(pack)
    status = 422 if form is not None and form.errors else 200
    return TemplateResponse(request, "packs/evidencepack_add.html", {"form": form, "audit": audit}, status=status)


@require_GET
def evidencepack_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack's page. While it is made, htmx asks for its status fragment every two seconds."""
    pack = get_object_or_404(
        EvidencePack.objects.visible_to(request.user).select_related("audit", "requested_by"), pk=pk
    )
    context = {"object": pack, "pack": pack, "processes": list(pack.processes.all())}
    template = "packs/evidencepack_detail.html#status" if htmx_partial(request) else "packs/evidencepack_detail.html"
    return TemplateResponse(request, template, context)


@require_GET
def evidencepack_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored PDF, byte for byte as it was made, to those who may view the pack (404 for others)."""
    pack = get_object_or_404(EvidencePack.objects.visible_to(request.user), pk=pk)
    return pack_file_response(pack)


def pack_file_response(pack: EvidencePack) -> HttpResponse:
    if not pack.is_done:
        raise Http404(_("The pack is not made yet."))
    try:
        stored = pack.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored pack is missing: ask your administrator to restore it.")) from None
    response = FileResponse(stored, content_type=PDF)
    return _as_download(response, pack.download_name, etag=pack.sha256)


def _as_download(response: HttpResponse, name: str, etag: str = "") -> HttpResponse:
    response["Content-Disposition"] = attachment_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    if etag:
        response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "private, no-cache"
    return response


def _pdf_response(rendered: RenderedPDF, name: str) -> HttpResponse:
    return _as_download(HttpResponse(rendered.content, content_type=PDF), name)


@require_GET
def audit_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The audit's report as a PDF, to those who may view the audit: once issued, the latest issued
    version as it was stored; before that, the draft as it stands."""
    audit = get_object_or_404(
        Audit.objects.restrict(request.user, "view").select_related("owner", "issued_by", "programme"), pk=pk
    )
    if not audit.is_issued:
        return _pdf_response(services.audit_report_pdf(audit), f"audit-report-{audit.reference}.pdf")
    report = audit.issued_reports.first()
    if report is None:
        raise Http404(_("The issued report is not stored yet."))
    return _stored_report_response(report)


@require_GET
def audit_report_version(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """One issued version of the audit's report, byte for byte as it was stored, to those who may
    view the audit (404 for others)."""
    report = get_object_or_404(
        IssuedReport.objects.filter(audit__in=Audit.objects.restrict(request.user, "view")).select_related("audit"),
        audit_id=pk,
        version=version,
    )
    return _stored_report_response(report)


def _stored_report_response(report: IssuedReport) -> HttpResponse:
    if not report.is_stored:
        raise Http404(_("The issued report is being prepared: its PDF will be here in a moment."))
    try:
        stored = report.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored report is missing: ask your administrator to restore it.")) from None
    response = FileResponse(stored, content_type=PDF)
    return _as_download(response, report.download_name, etag=report.sha256)


@require_GET
def nonconformity_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The nonconformity as a PDF, to those who may view it."""
    nonconformity = get_object_or_404(
        Nonconformity.objects.restrict(request.user, "view").select_related("owner", "updated_by", "reviewed_by"),
        pk=pk,
    )
    return _pdf_response(services.nonconformity_pdf(nonconformity), f"{nonconformity.reference}.pdf")
