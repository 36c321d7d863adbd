"""Evidence files: a record's files and their upload (the include components/attachments.html posts
here), the download, and removal.

Who may do what is decided in qms.models.attachments from the record that governs the files: those
who may view it see and download them (others get a 404, as for the record), those who may change
it attach them, and remove them while the record is not frozen.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from qms import services
from qms.forms import AttachmentForm, ReasonForm
from qms.history import format_value
from qms.models import Attachment
from qms.models.attachments import user_can_attach, user_can_remove_files, visible_attachment, visible_record
from qms.selectors import evidence_section_id
from qms.uploads import (
    EvidenceUploadHandler,
    attachment_disposition,
    install_upload_handler,
    request_too_large,
    request_too_large_message,
)

from .generic import Confirmation, confirm_response, done_response, htmx_partial

# What a download may do in a browser: nothing. It is never a page, so it needs no scripts, styles,
# frames or plugins; `sandbox` keeps even a mislabelled file from running in the site's origin.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


@csrf_exempt  # the upload handler must be in place before anything reads the body: CSRF is checked in _attach
@require_http_methods(["GET", "POST"])
def attachment_list(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A record's evidence files on a page of their own (the upload form's page without JavaScript),
    and the upload: several files at once, with an optional description, all or none."""
    record = visible_record(request.user, kind, pk)
    if request.method == "GET":
        return _render(request, record, None)
    if not user_can_attach(request.user, record):
        raise PermissionDenied(_("You may view %(record)s but not attach files to it.") % {"record": record})
    if request_too_large(request):  # answered without reading the body
        form = AttachmentForm(data={}, refused=[request_too_large_message()])
        form.is_valid()
        return _render(request, record, form, status=422)
    handler = install_upload_handler(request)
    return _attach(request, record, handler)


@csrf_protect
def _attach(request: HttpRequest, record, handler: EvidenceUploadHandler) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES, refused=handler.refused)
    if form.is_valid():
        try:
            attached = services.attachment_add(
                record=record,
                user=request.user,
                files=form.cleaned_data["files"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            note = ngettext("Attached “%(name)s”.", "Attached %(count)d files.", len(attached)) % {
                "name": attached[0].name,
                "count": len(attached),
            }
            if htmx_partial(request):
                return _render(request, record, None, note=note)
            messages.success(request, note)
            return done_response(request, record.get_absolute_url())
    return _render(request, record, form, status=422)


def _render(request: HttpRequest, record, form, status: int = 200, note: str = "") -> TemplateResponse:
    """The record's files: the component alone for htmx, else on a page of their own."""
    if form is not None:
        form.auto_id = f"{evidence_section_id(record)}-%s"
    context = {"record": record, "upload_form": form, "evidence_note": note}
    template = "components/attachments.html" if htmx_partial(request) else "qms/attachment_list.html"
    return TemplateResponse(request, template, context, status=status)


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to those who may view its record (404 for others). Pages show image thumbnails
    through here too."""
    return file_response(request, visible_attachment(request.user, pk))


def file_response(request: HttpRequest, attachment: Attachment) -> HttpResponse:
    """The file as a download, always: the type its content showed (never HTML), nosniff, and a
    Content-Security-Policy that lets it do nothing, streamed from storage. Conditional on its
    SHA-256, so a thumbnail seen before costs no transfer (the permission was checked already)."""
    etag = f'"{attachment.sha256}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        try:
            stored = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("The stored file is missing: ask your administrator to restore it.")) from None
        response = FileResponse(stored, content_type=attachment.served_media_type)
        response["Content-Disposition"] = attachment_disposition(attachment.name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = DOWNLOAD_CSP
        response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@require_http_methods(["GET", "POST"])
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a file from its record, after asking, with the reason the history keeps. The stored
    file stays (see services.attachment_remove)."""
    attachment = visible_attachment(request.user, pk)
    record = attachment.record
    if not user_can_remove_files(request.user, record):
        raise PermissionDenied(_("You may not remove the files of %(record)s.") % {"record": record})
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Why is it removed?"), required=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.attachment_remove(attachment=attachment, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason" if "reason" in getattr(error, "message_dict", {}) else None, error.messages)
        else:
            note = _("Removed “%(name)s” from %(record)s.") % {"name": attachment.name, "record": record}
            messages.success(request, note)
            return done_response(request, record.get_absolute_url())
    confirmation = Confirmation(
        title=_("Remove “%(name)s”?") % {"name": attachment.name},
        question=_(
            "The file leaves %(record)s. It is not destroyed: the history keeps it, with who removed it, when and why."
        )
        % {"record": record},
        form=form,
        submit_label=_("Remove the file"),
        cancel_url=record.get_absolute_url(),
        danger=True,
        details=[
            (_("File"), attachment.name),
            (_("Attached"), f"{attachment.uploaded_by}, {format_value(attachment.uploaded_at)}"),
            (_("SHA-256"), attachment.sha256),
        ],
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)
