"""Management review pages: the list, the plan's form, the review page with its tabs (pack, meeting,
minutes, history), meeting mode for a tablet, and the small steps each posts (preparation notes,
commentaries, attendance, notes, decisions, the signature). Views check the models' user_can_*
and call one service each; a record one may not see is a 404, one one may not change a 403."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from processes.models import Process
from qms.forms import ReasonForm, add_errors
from qms.models import User
from qms.views.generic import (
    Confirmation,
    RecordDetailView,
    RecordEditView,
    confirm_response,
    done_response,
    htmx_partial,
)

from .. import selectors, services
from ..choices import OutputKind, ReviewInput, ReviewStatus
from ..forms import (
    AddendumForm,
    CommentaryForm,
    DecisionForm,
    InputPrepareForm,
    ManagementReviewForm,
    MeetingNoteForm,
    SignatureForm,
)
from ..minutes import minutes_file_response
from ..models import ManagementReview, ProcessCommentary, ReviewAttendance, ReviewInputNote
from ..pack import compiled_at, pack_context

# The steps of meeting mode: who is there, the inputs a) to f), then closing.
ATTENDANCE, CLOSE = "attendance", "close"
STEPS = [ATTENDANCE, *ReviewInput.values, CLOSE]
INPUT_LABELS = dict(ReviewInput.choices)


def _visible_review(request: HttpRequest, pk: int) -> ManagementReview:
    return get_object_or_404(ManagementReview.objects.restrict(request.user, "view").select_related("owner"), pk=pk)


# The list
# ------------------------------------------------------------------------------


@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """Upcoming reviews (soonest first), past ones (latest first), the date proposed for the next
    review, and how many outputs of past reviews are still open and overdue: a fixed number of
    queries, however many reviews there are."""
    reviews = (
        ManagementReview.objects.restrict(request.user, "view")
        .select_related("owner")
        .annotate(
            invited=Count("attendance", distinct=True),
            decision_count=Count("decisions", distinct=True),
        )
    )
    upcoming = list(reviews.upcoming().order_by("planned_at"))
    past = list(reviews.past().order_by("-planned_at")[:50])
    latest = ManagementReview.objects.order_by("-planned_at").first()
    context = {
        "upcoming": upcoming,
        "past": past,
        "latest": latest,
        "next_proposed": latest.next_proposed_date() if latest else None,
        "outputs": selectors.earlier_outputs(),
        "outputs_url": selectors.open_outputs_url(),
        "can_add": ManagementReview.user_can_add(request.user),
    }
    return TemplateResponse(request, "reviews/managementreview_list.html", context)


class ManagementReviewEditView(RecordEditView):
    queryset = ManagementReview.objects.select_related("owner")
    form_class = ManagementReviewForm

    def get_object(self, for_update: bool = False):
        review = super().get_object(for_update)
        if review.pk and not review.user_can_edit(self.request.user):
            raise PermissionDenied(
                _("The meeting of %(ref)s has started: its plan stands.") % {"ref": review.reference}
            )
        return review

    def new_object(self) -> ManagementReview:
        user = self.request.user
        return ManagementReview(owner=user if ManagementReview.chair_is_eligible(user) else None)

    def initial_data(self) -> dict:
        if self.object.pk:
            return {}
        defaults = services.review_defaults()
        planned = timezone.make_aware(timezone.datetime.combine(defaults["planned_date"], timezone.datetime.min.time()))
        return {
            "title": _("Management review %(date)s") % {"date": defaults["planned_date"].strftime("%B %Y")},
            "planned_at": planned.replace(hour=9),
            "period_start": defaults["period_start"],
            "period_end": defaults["period_end"],
            "interval_months": defaults["interval_months"],
        }

    def save_form(self, form):
        return services.review_save(
            review=form.instance,
            user=self.request.user,
            attendees=form.cleaned_data["attendees"],
            change_note=form.cleaned_data.get("change_note", ""),
        )


# The review page
# ------------------------------------------------------------------------------


class ManagementReviewDetailView(RecordDetailView):
    """The review page: tab "pack" (the live pack, or the frozen one once the meeting started, with
    the preparer's notes and the process commentaries), "meeting", "minutes" and "history"."""

    tab = "pack"
    queryset = ManagementReview.objects.select_related("owner", "minutes_issued_by", "created_by", "updated_by")
    template_name = "reviews/managementreview_detail.html"

    def get_template_names(self) -> list[str]:
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review, user = self.object, self.request.user
        context.update(review_context(review, user))
        if self.tab == "pack":
            context.update(pack_tab_context(review, user))
        elif self.tab in ("meeting", "minutes"):
            context.update(minutes_context(review), pdf_stalled=minutes_pdf_stalled(review))
        return context


def review_context(review: ManagementReview, user: User) -> dict:
    """What every tab of the review page needs: the steps the user may take, and the outputs of
    earlier reviews still open."""
    return {
        "can_edit": review.user_can_edit(user),
        "can_prepare": review.user_can_prepare(user) and review.status == ReviewStatus.PLANNED,
        "can_start": review.user_can_start_meeting(user),
        "can_run": review.user_can_run_meeting(user),
        "can_sign": review.user_can_sign(user),
        "can_addendum": review.user_can_sign_addendum(user),
        "outputs": selectors.earlier_outputs(before=review.planned_at),
        "input_labels": INPUT_LABELS,
    }


def _notes(review: ManagementReview) -> dict[str, ReviewInputNote]:
    return {note.input: note for note in review.input_notes.all()}


def pack_tab_context(review: ManagementReview, user: User) -> dict:
    """The pack (frozen, or compiled now from live data), the preparation per input, and the
    process commentaries with the ones the user still owes."""
    notes = _notes(review)
    can_prepare = review.user_can_prepare(user)
    rows = []
    for value, label in ReviewInput.choices:
        note = notes.get(value)
        form = None
        if can_prepare:
            form = InputPrepareForm(
                initial={
                    "decision_needed": note.decision_needed if note else False,
                    "preparation_note": note.preparation_note if note else "",
                },
                prefix=value,
            )
        rows.append({"input": value, "label": label, "note": note, "form": form})
    commentaries = list(review.commentaries.select_related("process", "author"))
    owed = []
    if not review.is_pack_frozen and not user.is_read_only:
        written = {c.process_id for c in commentaries}
        owed = [p for p in Process.objects.active().owned_by(user).order_by("reference") if p.pk not in written]
    pack = pack_context(review)
    return {
        "pack": pack["pack"],
        "pack_frozen_at": pack["frozen_at"],
        "pack_compiled_at": compiled_at(pack["pack"]),
        "prep_rows": rows,
        "can_prepare_inputs": can_prepare,
        "commentaries": commentaries,
        "owed_commentaries": owed,
        "my_commentaries": {c.process_id for c in commentaries if c.process.owner_id == user.pk},
    }


def minutes_context(review: ManagementReview) -> dict:
    """The minutes as they stand (or as issued): attendance, the notes per input, the decisions
    with their actions' current state, the addenda."""
    notes = _notes(review)
    decisions = list(review.decisions.select_related("owner", "action"))
    by_input = {}
    for decision in decisions:
        by_input.setdefault(decision.input, []).append(decision)
    inputs = [
        {"input": value, "label": label, "note": notes.get(value), "decisions": by_input.get(value, [])}
        for value, label in ReviewInput.choices
    ]
    return {
        "attendance": list(review.attendance.select_related("person")),
        "inputs": inputs,
        "decisions": decisions,
        "addenda": list(review.addenda.select_related("signed_by")),
        "minutes_valid": (
            services.minutes_sha256(review) == review.minutes_sha256 if review.status == ReviewStatus.ISSUED else None
        ),
    }


@require_GET
def review_minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The issued minutes as a PDF, byte for byte as stored when they were made."""
    return minutes_file_response(_visible_review(request, pk))


# How long a worker normally takes to make the minutes PDF; past it, the page says the worker may be down.
MINUTES_PDF_PATIENCE = timedelta(minutes=3)


def minutes_pdf_stalled(review: ManagementReview) -> bool:
    """Issued minutes whose PDF is still not stored, well after it was asked for."""
    return (
        review.status == ReviewStatus.ISSUED
        and not review.minutes_pdf
        and review.minutes_issued_at is not None
        and timezone.now() - review.minutes_issued_at > MINUTES_PDF_PATIENCE
    )


@require_GET
def review_minutes_pdf_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes PDF's link, or what is happening until it is stored: the minutes tab asks
    every few seconds."""
    review = _visible_review(request, pk)
    context = {"object": review, "pdf_stalled": minutes_pdf_stalled(review)}
    return TemplateResponse(request, "reviews/_minutes_pdf_state.html", context)


# Status moves
# ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def review_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    """The quality manager marks the review prepared, after asking."""
    review = _visible_review(request, pk)
    if not review.user_can_prepare(request.user):
        raise PermissionDenied(_("The quality manager prepares the review, before its meeting."))
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Comment"))
    if request.method == "POST" and form.is_valid():
        try:
            services.review_prepare(review=review, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(ref)s is prepared.") % {"ref": review.reference})
        return done_response(request, review.get_absolute_url())
    flagged = review.input_notes.filter(decision_needed=True).count()
    confirmation = Confirmation(
        title=_("Mark %(ref)s prepared?") % {"ref": review.reference},
        question=_("The pack, its notes and the commentaries are ready for the meeting."),
        form=form,
        submit_label=_("Prepared"),
        cancel_url=review.get_absolute_url(),
        details=[(_("Inputs needing a decision"), str(flagged))],
    )
    return confirm_response(request, confirmation)


@require_http_methods(["GET", "POST"])
def review_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Leadership opens the meeting: the pack is frozen as it stands."""
    review = _visible_review(request, pk)
    if not review.user_can_start_meeting(request.user):
        raise PermissionDenied(_("A member of Leadership opens the meeting."))
    form = ReasonForm(request.POST if request.method == "POST" else None, label=_("Comment"))
    if request.method == "POST" and form.is_valid():
        services.review_start_meeting(review=review, user=request.user)
        messages.success(request, _("The meeting of %(ref)s has started; the pack is frozen.") % {"ref": review})
        return done_response(request, reverse("reviews:managementreview_meeting", args=[review.pk]))
    confirmation = Confirmation(
        title=_("Start the meeting of %(ref)s?") % {"ref": review.reference},
        question=_(
            "The pack is frozen now: the minutes show its figures as at this moment, whatever changes in the "
            "live records later."
        ),
        form=form,
        submit_label=_("Start the meeting"),
        cancel_url=review.get_absolute_url(),
    )
    return confirm_response(request, confirmation)


def _signature_step(request, review, form, *, title, question, submit, sign, details=(), **extra) -> HttpResponse:
    """A step signed with the password and a meaning: ask, and on POST sign or show why not.
    `extra` goes to the Confirmation (breadcrumbs, a preview, where Go back leads)."""
    if request.method == "POST" and form.is_valid():
        try:
            sign(**form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return None
    confirmation = Confirmation(
        title=title,
        question=question,
        form=form,
        submit_label=submit,
        cancel_url=extra.pop("cancel_url", review.get_absolute_url()),
        details=[
            (_("Signed by"), str(request.user)),
            (_("Frozen pack SHA-256"), review.frozen_pack_sha256 or "—"),
            *details,
        ],
        **extra,
    )
    return confirm_response(request, confirmation, status=422 if form.errors else 200)


def _issue_preview(review: ManagementReview) -> dict:
    """What the chair signs: the minutes as they stand, and the inputs without a note."""
    preview = minutes_context(review)
    preview["unnoted"] = [item["input"] for item in preview["inputs"] if not getattr(item["note"], "meeting_note", "")]
    return preview


@require_http_methods(["GET", "POST"])
def review_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair issues the minutes, confirming with their password and a stated meaning."""
    review = _visible_review(request, pk)
    if not review.user_can_sign(request.user):
        raise PermissionDenied(_("Only the chair issues the minutes, once the meeting is held."))
    form = SignatureForm(request.POST if request.method == "POST" else None)
    counts = review.attendance.aggregate(
        invited=Count("pk"), attended=Count("pk", filter=Q(present=True)), unknown=Count("pk", filter=Q(present=None))
    )
    # Opened from the meeting's close step (?from=meeting), Go back returns there; else to the review.
    from_meeting = request.GET.get("from") == "meeting"
    back = (
        reverse("reviews:managementreview_meeting_step", args=[review.pk, CLOSE])
        if from_meeting
        else review.get_absolute_url()
    )
    trail = [
        (_("Management reviews"), reverse("reviews:managementreview_list")),
        (review.reference, review.get_absolute_url()),
    ]
    if from_meeting:
        trail.append((_("Meeting"), back))
    response = _signature_step(
        request,
        review,
        form,
        details=[
            (_("Present"), _("%(attended)d of %(invited)d invited (%(unknown)d not recorded)") % counts),
        ],
        cancel_url=back,
        breadcrumbs=trail,
        preview_template="reviews/_issue_preview.html",
        preview=_issue_preview(review),
        title=_("Issue the minutes of %(ref)s?") % {"ref": review.reference},
        question=_(
            "Once issued, nothing in the minutes changes: a correction becomes an addendum with its own signature."
        ),
        submit=_("Sign and issue"),
        sign=lambda **data: services.review_issue_minutes(review=review, user=request.user, **data),
    )
    if response is not None:
        return response
    messages.success(request, _("The minutes of %(ref)s are issued.") % {"ref": review.reference})
    return done_response(request, reverse("reviews:managementreview_minutes", args=[review.pk]))


@require_http_methods(["GET", "POST"])
def review_addendum(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair corrects issued minutes with a signed addendum."""
    review = _visible_review(request, pk)
    if not review.user_can_sign_addendum(request.user):
        raise PermissionDenied(_("The chair signs an addendum to issued minutes."))
    form = AddendumForm(request.POST if request.method == "POST" else None)
    response = _signature_step(
        request,
        review,
        form,
        title=_("Add a correction to the minutes of %(ref)s?") % {"ref": review.reference},
        question=_("The minutes stay as issued; the addendum follows them, with its own signature."),
        submit=_("Sign the addendum"),
        sign=lambda **data: services.review_add_addendum(review=review, user=request.user, **data),
    )
    if response is not None:
        return response
    messages.success(request, _("The addendum is signed."))
    return done_response(request, reverse("reviews:managementreview_minutes", args=[review.pk]))


# Preparation
# ------------------------------------------------------------------------------


@require_POST
def input_prepare(request: HttpRequest, pk: int, input: str) -> HttpResponse:
    """The preparer's note and decision-needed flag of one input, saved in place."""
    review = _visible_review(request, pk)
    if input not in ReviewInput.values:
        raise Http404
    if not review.user_can_prepare(request.user):
        raise PermissionDenied(_("The quality manager prepares the inputs, before the meeting."))
    form = InputPrepareForm(request.POST, prefix=input)
    status = 422
    note = ReviewInputNote.objects.filter(review=review, input=input).first()
    if form.is_valid():
        note = services.review_note_input(review=review, user=request.user, input=input, **form.cleaned_data)
        status = 200
    if not htmx_partial(request):
        return redirect(f"{review.get_absolute_url()}#prep-{input}")
    row = {"input": input, "label": INPUT_LABELS[input], "note": note, "form": form, "saved": status == 200}
    context = {"row": row, "object": review}
    return TemplateResponse(request, "reviews/_prep_row.html", context, status=status)


@require_http_methods(["GET", "POST"])
def commentary_edit(request: HttpRequest, pk: int, process_pk: int) -> HttpResponse:
    """A process owner's preparation task: the commentary on their process for the review."""
    review = _visible_review(request, pk)
    process = get_object_or_404(Process.objects.restrict(request.user, "view"), pk=process_pk)
    commentary = ProcessCommentary.objects.filter(review=review, process=process).first() or ProcessCommentary(
        review=review, process=process
    )
    if not commentary.user_can_change(request.user):
        raise PermissionDenied(
            _("The owner of %(process)s writes its commentary, before the meeting.") % {"process": process}
        )
    form = CommentaryForm(request.POST or None, initial={"text": commentary.text})
    if request.method == "POST" and form.is_valid():
        try:
            services.commentary_save(review=review, process=process, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your commentary on %(process)s is saved.") % {"process": process})
            return done_response(request, f"{review.get_absolute_url()}#commentaries")
    context = {"object": review, "process": process, "form": form, "commentary": commentary}
    return TemplateResponse(request, "reviews/commentary_form.html", context, status=422 if form.errors else 200)


# Meeting mode
# ------------------------------------------------------------------------------


@require_GET
def review_meeting(request: HttpRequest, pk: int, step: str = ATTENDANCE) -> HttpResponse:
    """Meeting mode: one input at a time, for a tablet. The chair writes the note of the input and
    records decisions (each an action at once); the first step records attendance, the last
    closes the meeting with the minutes."""
    review = _visible_review(request, pk)
    if step not in STEPS:
        raise Http404
    user = request.user
    index = STEPS.index(step)
    flagged = set(review.input_notes.filter(decision_needed=True).values_list("input", flat=True))
    decided = dict(review.decisions.values_list("input").annotate(n=Count("pk")).order_by())
    context = {
        "object": review,
        "step": step,
        "steps": [(s, _step_label(s), _step_title(s), s in flagged, decided.get(s, 0)) for s in STEPS],
        "previous": STEPS[index - 1] if index > 0 else None,
        "next": STEPS[index + 1] if index < len(STEPS) - 1 else None,
        **review_context(review, user),
    }
    can_run = context["can_run"]
    pack = review.frozen_data()
    if step == ATTENDANCE:
        context["attendance"] = list(review.attendance.select_related("person"))
    elif step == CLOSE:
        context.update(minutes_context(review))
    else:
        note = ReviewInputNote.objects.filter(review=review, input=step).first()
        context.update(
            input_label=INPUT_LABELS[step],
            note=note,
            note_form=MeetingNoteForm(initial={"meeting_note": note.meeting_note if note else ""}) if can_run else None,
            section=_pack_section(pack, step),
            **decisions_context(review, step, DecisionForm(initial={"input": step}) if can_run else None),
        )
    return TemplateResponse(request, "reviews/meeting.html", context)


def _step_label(step: str) -> str:
    if step == ATTENDANCE:
        return _("Attendance")
    if step == CLOSE:
        return _("Close")
    return step


def _step_title(step: str) -> str:
    """The step's name in full, for its tooltip in the step bar: "c4) Nonconformities and ..."."""
    return INPUT_LABELS.get(step) or _step_label(step)


def _pack_section(pack: dict | None, input: str) -> dict | None:
    """The frozen pack's section of one input, if the pack has it."""
    if not pack:
        return None
    for section in pack.get("sections", []):
        if section.get("input") == input or section.get("letter") == input or section.get("key") == input:
            return section
    return None


def decisions_context(review: ManagementReview, input: str, form) -> dict:
    decisions = list(review.decisions.filter(input=input).select_related("owner", "action"))
    return {"decisions": decisions, "decision_form": form, "input": input, "kinds": OutputKind.choices}


def _running_review(request: HttpRequest, pk: int) -> ManagementReview:
    review = _visible_review(request, pk)
    if not review.user_can_run_meeting(request.user):
        raise PermissionDenied(
            _("The minutes of %(ref)s are issued: nothing in them changes.") % {"ref": review.reference}
            if review.is_frozen
            else _("Leadership records the meeting, while it is held.")
        )
    return review


@require_POST
def meeting_note(request: HttpRequest, pk: int, input: str) -> HttpResponse:
    """The chair's note on one input, saved in place; or saved on the way to another step of the
    meeting (`then`), when the chair moves on with a note typed but not saved."""
    review = _running_review(request, pk)
    if input not in ReviewInput.values:
        raise Http404
    form = MeetingNoteForm(request.POST)
    status = 422
    if form.is_valid():
        services.review_note_input(review=review, user=request.user, input=input, **form.cleaned_data)
        status = 200
    if not htmx_partial(request):
        then = request.POST.get("then")
        step = then if status == 200 and then in STEPS else input
        return redirect("reviews:managementreview_meeting_step", pk=review.pk, step=step)
    context = {"object": review, "input": input, "note_form": form, "saved": status == 200}
    return TemplateResponse(request, "reviews/_meeting_note.html", context, status=status)


@require_POST
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a decision: it becomes an action at once, and the list shows it with its reference."""
    review = _running_review(request, pk)
    form = DecisionForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            decision = services.review_record_decision(review=review, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            status = 200
            if not htmx_partial(request):  # in place, the list shows the action; a message would linger
                messages.success(
                    request,
                    _("Decision recorded: action %(ref)s for %(owner)s.")
                    % {"ref": decision.action.reference, "owner": decision.owner},
                )
            form = DecisionForm(initial={"input": decision.input})
    input = form.data.get("input") if form.is_bound else form.initial["input"]
    if input not in ReviewInput.values:
        raise Http404
    if not htmx_partial(request):
        return redirect("reviews:managementreview_meeting_step", pk=review.pk, step=input)
    context = {"object": review, "can_run": True, **decisions_context(review, input, form)}
    return TemplateResponse(request, "reviews/_decisions.html", context, status=status)


@require_POST
def attendance_set(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    """Mark one person present or absent."""
    review = _running_review(request, pk)
    person = get_object_or_404(User, pk=person_pk)
    present = request.POST.get("present")
    if present not in ("yes", "no"):
        raise BadRequest(_("Say present=yes or present=no."))
    row = services.review_set_attendance(review=review, user=request.user, person=person, present=present == "yes")
    if not htmx_partial(request):
        return redirect("reviews:managementreview_meeting", pk=review.pk)
    row = ReviewAttendance.objects.select_related("person").get(pk=row.pk)
    return TemplateResponse(request, "reviews/_attendance_row.html", {"object": review, "row": row, "can_run": True})


__all__ = [
    "ManagementReviewDetailView",
    "ManagementReviewEditView",
    "attendance_set",
    "commentary_edit",
    "decision_add",
    "input_prepare",
    "meeting_note",
    "review_addendum",
    "review_issue",
    "review_list",
    "review_meeting",
    "review_minutes_pdf_state",
    "review_prepare",
    "review_start",
]
