"""The generic views every QMS record page is built from. They own permissions, htmx branching,
messages and history, so concrete views only declare their queryset, form, filterset and templates.

Permissions follow one rule (OwnedRecord.permission_scope): a record the user may not see is a 404,
one they may see but not change is a 403.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView
from django_htmx.http import HttpResponseClientRedirect

from qms.exports import FORMATS, table_download
from qms.history import HistoryPage, history_page

HISTORY_PAGE = 50  # snapshots a History tab reads at a time (more when several share a moment)
EARLIEST_MOMENT, LATEST_MOMENT = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)


def history_tab(request: HttpRequest, record) -> HistoryPage:
    """A History tab's entries: the newest, or with `?before=` (the time its "Older changes" link
    carries) those before them."""
    before = request.GET.get("before")
    if before is None:
        return history_page(record, newest=HISTORY_PAGE)
    try:
        moment = parse_datetime(before)
        moment = moment.astimezone(UTC) if moment is not None and not timezone.is_naive(moment) else None
    except (ValueError, OverflowError):  # not a date, or one beyond the calendar in UTC
        moment = None
    # A day inside the calendar's ends, so that any time zone can show it.
    if moment is None or not EARLIEST_MOMENT <= moment <= LATEST_MOMENT:
        raise BadRequest(_("“before” must be a date and time with its time zone."))
    return history_page(record, newest=HISTORY_PAGE, before=moment)


def htmx_partial(request: HttpRequest) -> bool:
    """True when htmx asks for a fragment of the page rather than the whole page (going back in
    history after htmx's own cache missed asks for the whole page)."""
    return bool(request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request)


class RecordListView(ListView):
    """A filtered, sorted, paginated list. An htmx request gets just the results fragment. A view
    that sets `export_header` and `export_row` also answers ?format=csv or xlsx with exactly the
    filtered rows (components/export_menu.html offers them)."""

    filterset_class = None
    paginate_by = 25
    # Filters that apply until the person chooses otherwise, e.g. open actions only.
    filter_defaults: dict[str, str] = {}
    export_header: list[str] = []
    export_widths: tuple[int, ...] = ()
    # What the export reads of each row beyond what the page shows, such as its deputies.
    export_prefetch: tuple[str, ...] = ()

    def export_row(self, record) -> list:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        kind = request.GET.get("format")
        if kind is None or not self.export_header:
            return super().get(request, *args, **kwargs)
        if kind not in FORMATS:
            raise BadRequest(_("The format must be csv or xlsx."))
        model = self.queryset.model
        return table_download(
            header=self.export_header,
            rows=(
                self.export_row(record)
                for record in self.get_queryset().prefetch_related(*self.export_prefetch).iterator(chunk_size=500)
            ),
            filename=f"{slugify(model._meta.verbose_name_plural)}-{timezone.localdate():%Y-%m-%d}",
            kind=kind,
            sheet_title=str(model._meta.verbose_name_plural).capitalize(),
            widths=self.export_widths,
        )

    def get_queryset(self):
        visible = self.queryset.restrict(self.request.user, "view")
        data = self.request.GET.copy()
        for name, value in self.filter_defaults.items():
            data.setdefault(name, value)
        self.filterset = self.filterset_class(data or None, queryset=visible, request=self.request)
        return self.filterset.qs

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()
        return [f"{name}#results" for name in names] if htmx_partial(self.request) else names

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["can_add"] = self.queryset.model.user_can_add(self.request.user)
        context["is_filtered"] = any(v for k, v in self.request.GET.items() if k not in ("page", "o"))
        return context


class RecordDetailView(DetailView):
    """A record page. `tab` selects the overview or the history."""

    tab = "overview"

    def get_queryset(self):
        return self.queryset.restrict(self.request.user, "view")

    def get_template_names(self) -> list[str]:
        if self.tab == "history":
            return ["generic/object_history.html"]
        return super().get_template_names()

    @classmethod
    def with_invalid_form(cls, request, record, **forms) -> TemplateResponse:
        """The record's page again, with a form posted from it that did not validate (`forms`, by the
        name its context gives it) in place with its errors: a 422, so htmx and the browser know."""
        view = cls(request=request, kwargs={"pk": record.pk}, object=record, tab="overview")
        return TemplateResponse(request, cls.template_name, view.get_context_data(**forms), status=422)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = self.tab
        context["can_change"] = self.object.user_can_change(self.request.user)
        context["can_edit"] = context["can_change"] and not self.object.is_frozen
        if self.tab == "history":
            context["history"] = history_tab(self.request, self.object)
        return context


class RecordEditView(View):
    """Create (no pk in the URL) or edit a record.

    We check the permission before the write and not again after it: handing a record to a new
    owner is a normal act in a QMS (an auditor raises an action owned by the process owner), so the
    author need not keep the right to change what they handed over.
    """

    queryset = None
    form_class = None
    template_name = "generic/object_edit.html"

    def get_object(self, for_update: bool = False):
        user = self.request.user
        model = self.queryset.model
        if "pk" in self.kwargs:
            visible = self.queryset.restrict(user, "view")
            if for_update:
                visible = visible.select_for_update(of=("self",))
            obj = get_object_or_404(visible, pk=self.kwargs["pk"])
            if not obj.user_can_change(user):
                raise PermissionDenied(_("You may view this record but not change it."))
            if obj.is_frozen:
                raise PermissionDenied(_("%(record)s is closed: it stays as it was closed.") % {"record": obj})
            return obj
        if not model.user_can_add(user):
            raise PermissionDenied(
                _("Your role may not create %(things)s.") % {"things": model._meta.verbose_name_plural}
            )
        return self.new_object()

    def new_object(self):
        return self.queryset.model(owner=self.request.user)

    def get_form_kwargs(self) -> dict:
        return {"instance": self.object, "user": self.request.user}

    def render(self, form, status: int = 200) -> HttpResponse:
        context = {"form": form, "object": self.object, "is_new": not self.object.pk}
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        self.object = self.get_object()
        return self.render(self.form_class(initial=self.initial_data(), **self.get_form_kwargs()))

    def initial_data(self) -> dict:
        return {}

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        # The row lock makes a concurrent save wait, so the version check in the form sees its result.
        with transaction.atomic():
            self.object = self.get_object(for_update=True)
            is_new = not self.object.pk
            form = self.form_class(data=request.POST, files=request.FILES, **self.get_form_kwargs())
            if form.is_valid():
                obj = self.save_form(form)
        if not form.is_valid():
            return self.render(form, status=409 if getattr(form, "has_conflict", False) else 422)
        if is_new:
            messages.success(request, _("Created %(record)s.") % {"record": obj})
        else:
            messages.success(request, _("Saved %(record)s.") % {"record": obj})
        return done_response(request, obj.get_absolute_url())

    def save_form(self, form):
        return form.save()


# Asking first
# ------------------------------------------------------------------------------


@dataclass
class Confirmation:
    """What the product asks before a destructive or final step: the question, what follows from
    it, and a form for the reason or comment that history keeps with the change."""

    title: str
    question: str
    form: forms.Form
    submit_label: str
    cancel_url: str
    danger: bool = False
    details: list[tuple[str, str]] | None = None
    links: list[tuple[str, str]] | None = None  # other steps to take instead, as (label, url): each asks in turn
    # The page's trail as (label, url) pairs before the step itself; "Back" to cancel_url when None.
    breadcrumbs: list[tuple[str, str]] | None = None
    # A template showing what the step acts on (what is signed, say), rendered with `preview`.
    preview_template: str | None = None
    preview: dict | None = None


def confirm_response(request: HttpRequest, confirmation: Confirmation, status: int = 200) -> TemplateResponse:
    """The one confirm pattern: GET the step's URL and this asks; the form posts back to it. htmx
    loads it into the page's dialog (see static/js/app.js); without JavaScript it is a page."""
    in_dialog = htmx_partial(request)
    template = "generic/confirm.html#dialog" if in_dialog else "generic/confirm.html"
    # The form posts back to the address asked, query included (where the step was opened from).
    context = {"confirm": confirmation, "action_url": request.get_full_path(), "in_dialog": in_dialog}
    return TemplateResponse(request, template, context, status=status)


def done_response(request: HttpRequest, url: str) -> HttpResponse:
    """After a step succeeded: go to `url`, as a whole page also when htmx asked."""
    return HttpResponseClientRedirect(url) if htmx_partial(request) else redirect(url)
