"""The flow every import shares: upload a file, see what it would change, confirm; every row is
written or none.

The file is read (files.read_rows), every row checked (Importer.check) and shown as a preview. On
confirmation the rows are checked again and written in one transaction (Importer.write) through
the same services as a page would use. Between preview and confirmation the rows travel in a
signed hidden field: the client cannot change them, and they are checked again anyway, since
permissions or records may have changed meanwhile. What the preview compared the rows with (its
`state`) travels along: when it changed, the new preview is shown again to be confirmed.
"""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from qms.exports import FORMATS, XLSX_TYPE
from qms.forms import StyledFormMixin
from qms.imports import max_file_size
from qms.models import User

from .files import Columns, ImportFileError, open_table, rows_of

MAX_ROWS = 5000
PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d: %(reason)s") % {"row": self.row, "reason": self.message}


@dataclass
class Preview:
    """What importing the rows would do: each row as understood (with its errors), the errors in
    file order, and what the rows were compared with (JSON, compared again on confirmation)."""

    rows: list
    errors: list[RowError]
    state: object = None


class ImportFailed(Exception):
    """The write was refused as a whole (something changed since the rows were checked)."""


def errors_of(rows: list) -> list[RowError]:
    """The errors of checked rows (each with `row` and `errors`), in file order."""
    return [RowError(row.row, message) for row in rows for message in row.errors]


def download_format(request: HttpRequest) -> str:
    kind = request.GET.get("format", "csv").lower()
    if kind not in FORMATS:
        raise BadRequest(_("The format must be csv or xlsx."))
    return kind


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.ClearableFileInput(attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_TYPE}"}),
    )

    def __init__(self, *args, importer: "Importer", **kwargs):
        super().__init__(*args, **kwargs)
        self.importer = importer
        self.fields["file"].help_text = _("A .csv or .xlsx file of at most %(size)s and %(rows)s rows.") % {
            "size": max_file_size(),
            "rows": number_format(importer.max_rows, force_grouping=True),
        }
        if importer.max_rows > settings.IMPORT_BACKGROUND_ROWS:
            self.fields["file"].help_text += " " + _(
                "A file of more than %(rows)s rows is checked and imported in the background, all rows or none, "
                "without a preview: its page shows the progress, and the errors if there are any."
            ) % {"rows": number_format(settings.IMPORT_BACKGROUND_ROWS, force_grouping=True)}
        self._style_widgets()

    def clean_file(self):
        """Check the file within the reader's bounds. A workbook whose lines (known from those checks,
        before it is parsed) make it a large import is left for the task to parse (`rows` is None and
        `row_count` the lines under its header); any other file is read here, `rows` its rows."""
        upload = self.cleaned_data["file"]
        try:
            table = open_table(upload)
            if table.line_count is not None and table.line_count - 1 > settings.IMPORT_BACKGROUND_ROWS:
                self.rows, self.row_count = None, table.line_count - 1
            else:
                self.rows = rows_of(table, self.importer.columns, self.importer.max_rows)
                self.row_count = len(self.rows)
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class Importer:
    """One kind of import: its columns, how its rows are checked and written, and its page.
    Subclasses set the class attributes and implement check, write and done_message."""

    template_name: str
    kind: str  # ImportJob.Kind: which importer a job in the background runs
    columns: Columns
    salt: str
    done_url: str
    url_name: str  # the import's own page
    refused: str
    max_rows = MAX_ROWS

    def may_import(self, user: User) -> bool:
        return not user.is_read_only

    def check(self, rows: list[dict], user: User, today: date) -> Preview:
        raise NotImplementedError

    def write(self, preview: Preview, user: User, today: date) -> int:
        """Write every row, all or none, and return how many; raises ImportFailed."""
        raise NotImplementedError

    def done_message(self, count: int) -> str:
        raise NotImplementedError

    def context(self, request: HttpRequest) -> dict:
        return {}

    def as_view(self):
        @require_http_methods(["GET", "POST"])
        def view(request: HttpRequest) -> HttpResponse:
            return self.handle(request)

        return view

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            return self.render(request, form=ImportForm(importer=self))
        if not self.may_import(request.user):
            raise PermissionDenied(self.refused)
        today = timezone.localdate()
        if "confirm" in request.POST:
            return self._confirm(request, today)
        form = ImportForm(data=request.POST, files=request.FILES, importer=self)
        if not form.is_valid():
            return self.render(request, form=form, status=422)
        if form.row_count > settings.IMPORT_BACKGROUND_ROWS:
            return self._in_background(request, form)
        preview = self.check(form.rows, request.user, today)
        token = None if preview.errors else self._sign(request, form.rows, preview)
        return self.render(request, preview=preview, token=token, status=422 if preview.errors else 200)

    def recent_jobs(self, user: User) -> list:
        """The user's latest imports of this kind that ran in the background, to come back to."""
        from ..models import ImportJob

        if not user.is_authenticated:
            return []
        return list(ImportJob.objects.filter(requested_by=user, kind=self.kind)[:5])

    def _in_background(self, request: HttpRequest, form: "ImportForm") -> HttpResponse:
        """A large file: stored with a job that a Celery task runs, whose page shows its progress."""
        from .jobs import import_job_create

        upload = form.cleaned_data["file"]
        upload.seek(0)
        job = import_job_create(
            importer=self, content=upload.read(), name=upload.name or "", rows=form.row_count, user=request.user
        )
        return redirect(job)

    def _sign(self, request: HttpRequest, rows: list[dict], preview: Preview) -> str:
        payload = {"user": request.user.pk, "rows": rows, "state": preview.state}
        return signing.dumps(payload, salt=self.salt, compress=True)

    def _confirm(self, request: HttpRequest, today: date) -> HttpResponse:
        try:
            payload = signing.loads(request.POST.get("rows", ""), salt=self.salt, max_age=PREVIEW_MAX_AGE)
        except signing.BadSignature:
            payload = None
        if not payload or payload.get("user") != request.user.pk:
            messages.error(request, _("This preview has expired. Upload the file again; nothing was imported."))
            return redirect(request.path)
        preview = self.check(payload["rows"], request.user, today)
        if preview.errors:
            messages.error(request, _("Something changed since the preview, so nothing was imported."))
            return self.render(request, preview=preview, status=422)
        if preview.state != payload.get("state"):
            messages.warning(
                request,
                _("Something changed since the preview, so nothing is imported yet: check the rows, then confirm."),
            )
            token = self._sign(request, payload["rows"], preview)
            return self.render(request, preview=preview, token=token, status=409)
        try:
            count = self.write(preview, request.user, today)
        except ImportFailed as failure:
            messages.error(request, _("Nothing was imported: %(reason)s") % {"reason": failure})
            return self.render(request, preview=Preview(preview.rows, []), status=422)
        messages.success(request, self.done_message(count))
        return redirect(self.done_url)

    def render(self, request, *, form=None, preview=None, token=None, status=200) -> TemplateResponse:
        errors = preview.errors if preview else []
        context = {
            "form": form or ImportForm(importer=self),
            "checked": preview.rows if preview else None,
            "errors": errors,
            "error_rows": len({error.row for error in errors}),
            "token": token,
            "max_rows": self.max_rows,
            "max_size": max_file_size(),
            "jobs": self.recent_jobs(request.user),
            "may_import": self.may_import(request.user),
            **self.context(request),
        }
        return TemplateResponse(request, self.template_name, context, status=status)
