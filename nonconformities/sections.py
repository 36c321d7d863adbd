"""The nonconformities' sections: a process's nonconformities with their age, those the user owns
or must review on My work and the dashboard's to-dos, and the dashboard card (open ones by age,
complaints and their response time); and which are open, for a person's page and hand-over."""

from datetime import timedelta

from django.db.models import Avg, Case, Count, F, Q, When, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, first_rows_for, record_kind, section
from qms.models import prefetch_linked_processes, prepared_count_each

from .choices import NCStatus, Origin
from .models import Nonconformity
from .selectors import AGE_BANDS

SECTION_ROWS = 10


def _rows(queryset):
    return queryset.select_related("owner").prefetch_related(prefetch_linked_processes())


@section("process", place=40)
def process_nonconformities(request, process) -> Section:
    """Its nonconformities, open ones first (the oldest first), then the latest closed; with the
    number open counted in the same query."""
    is_open = Q(status__in=NCStatus.open())
    rows = list(
        Nonconformity.objects.filter(processes=process)
        .select_related("owner")
        .annotate(open_count=Window(Count("pk", filter=is_open)))
        .order_by(Case(When(is_open, then=F("detected_on"))).asc(nulls_last=True), F("detected_on").desc(), "pk")[
            :SECTION_ROWS
        ]
    )
    return Section(
        title=_("Nonconformities"),
        template="nonconformities/sections/nonconformities.html",
        context={"ncs": rows, "more_url_query": f"process={process.pk}", "raise_query": f"process={process.pk}"},
        count=rows[0].open_count if rows else 0,
    )


@section("my_work")
def my_nonconformities(request) -> Section | None:
    rows, count = first_rows_for(
        "my_nonconformities",
        request.user,
        lambda user: Nonconformity.objects.owned_by(user).open().order_by("detected_on", "pk"),
        _rows(Nonconformity.objects.all()),
        SECTION_ROWS,
        counted=lambda user: Nonconformity.objects.open().held_by(user),
    )
    if not rows:
        return None
    return Section(
        title=_("My open nonconformities"),
        template="nonconformities/sections/nonconformities.html",
        context={"ncs": rows, "more_url_query": "mine=true"},
        order=15,
        count=count,
    )


@section("my_work")
def nonconformities_awaiting_my_review(request) -> Section | None:
    rows, count = first_rows_for(
        "nonconformities_awaiting_my_review",
        request.user,
        lambda user: Nonconformity.objects.awaiting_review_by(user).order_by("detected_on", "pk"),
        _rows(Nonconformity.objects.all()),
        SECTION_ROWS,
    )
    if not rows:
        return None
    return Section(
        title=_("Nonconformities awaiting my effectiveness review"),
        template="nonconformities/sections/nonconformities.html",
        context={"ncs": rows, "more_url_query": "awaiting_review=true"},
        order=22,
        count=count,
    )


def _card_figures() -> dict:
    """The dashboard card's counts: the open nonconformities by age, and the last twelve months'
    complaints with their average response time. One query, the same for everyone (the dashboard
    keeps its cards for a minute, see qms.overview)."""
    is_open = Q(status__in=NCStatus.open())
    complaint = Q(origin=Origin.CUSTOMER_COMPLAINT, received_on__gt=timezone.localdate() - timedelta(days=365))
    return Nonconformity.objects.aggregate(
        **{band.key: Count("pk", filter=is_open & band.condition()) for band in AGE_BANDS.values()},
        complaints=Count("pk", filter=complaint),
        unanswered=Count("pk", filter=complaint & Q(responded_on__isnull=True)),
        average_response=Avg(F("responded_on") - F("received_on"), filter=complaint),
    )


@section("todo")
def nonconformity_todos(request) -> list[Todo]:
    """The person's open nonconformities and those awaiting their review, each counted on its own
    indexes in one query: not in the card's pass over every nonconformity."""
    user = request.user
    counts = prepared_count_each(
        "nonconformity_todos",
        user,
        lambda user: {
            "to_review": Nonconformity.objects.awaiting_review_by(user),
            "mine": Nonconformity.objects.open().held_by(user),
        },
    )
    url = reverse("nonconformities:nonconformity_list")
    return [
        Todo(
            label=ngettext(
                "%(n)d nonconformity awaits your effectiveness review",
                "%(n)d nonconformities await your effectiveness review",
                counts["to_review"],
            )
            % {"n": counts["to_review"]},
            count=counts["to_review"],
            url=f"{url}?awaiting_review=true",
            icon="clipboard-check",
            urgent=True,
            order=22,
        ),
        Todo(
            label=ngettext("%(n)d open nonconformity of yours", "%(n)d open nonconformities of yours", counts["mine"])
            % {"n": counts["mine"]},
            count=counts["mine"],
            url=f"{url}?mine=true",
            icon="exclamation-octagon",
            order=40,
        ),
    ]


@section("dashboard")
def nonconformity_summary(request) -> Section:
    """Open nonconformities by age, and the last twelve months' customer complaints with their
    average response time."""
    figures = _card_figures()
    bands = [(band, figures[band.key]) for band in AGE_BANDS.values()]
    response = figures["average_response"]
    return Section(
        title=_("Nonconformities"),
        template="nonconformities/sections/dashboard.html",
        context={
            "bands": bands,
            "total": sum(count for _band, count in bands),
            "complaints": figures["complaints"],
            "unanswered": figures["unanswered"],
            "average_response_days": round(response.total_seconds() / 86400, 1) if response is not None else None,
        },
        order=25,
        count=sum(count for _band, count in bands),
    )


record_kind(Nonconformity, open_when=Q(status__in=NCStatus.open()), owner_filter="owner")
