"""The risks app's sections: a process's and an objective's risks and opportunities, the
reviews due from the user, and the risk summary on the dashboard; and which risks are open, for a
person's page and hand-over."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, first_rows, first_rows_for, record_kind, section
from qms.models import prefetch_linked_processes, prepared_count_each

from .choices import Band, RiskStatus
from .models import Risk

SECTION_ROWS = 15


def _risk_section(risks, more_url_query: str) -> Section:
    rows, count = first_rows(
        risks.exclude(status=RiskStatus.CLOSED).select_related("owner").prefetch_related(prefetch_linked_processes()),
        SECTION_ROWS,
    )
    return Section(
        title=_("Risks and opportunities"),
        template="risks/sections/risks.html",
        context={"risks": rows, "more_url_query": more_url_query},
        order=30,
        count=count,
    )


@section("process", place=30)
def process_risks(request, process) -> Section:
    return _risk_section(Risk.objects.filter(processes=process), f"process={process.pk}")


@section("objective")
def objective_risks(request, objective) -> Section:
    return _risk_section(Risk.objects.filter(objectives=objective), f"objective={objective.pk}")


@section("my_work")
def my_reviews_due(request) -> Section | None:
    due, count = first_rows_for(
        "my_reviews_due",
        request.user,
        lambda user: Risk.objects.owned_by(user).review_overdue(),
        Risk.objects.select_related("owner"),
        SECTION_ROWS,
        counted=lambda user: Risk.objects.review_overdue().held_by(user),
    )
    if not due:
        return None
    return Section(
        title=_("Risk reviews overdue"),
        template="risks/sections/risks.html",
        context={"risks": due, "more_url_query": "mine=true&review_overdue=true"},
        order=35,
        count=count,
    )


def _awaiting_approval_by(user):
    """Acceptances `user` may approve (RiskQuerySet.approvable_by, the four-eyes rule)."""
    return Risk.objects.open().acceptance_pending().approvable_by(user)


@section("my_work")
def acceptances_awaiting_my_approval(request) -> Section | None:
    waiting, count = first_rows_for(
        "acceptances_awaiting_my_approval",
        request.user,
        _awaiting_approval_by,
        Risk.objects.select_related("owner").prefetch_related(prefetch_linked_processes()),
        SECTION_ROWS,
    )
    if not waiting:
        return None
    return Section(
        title=_("Acceptances awaiting my approval"),
        template="risks/sections/risks.html",
        context={"risks": waiting, "more_url_query": "acceptance_pending=true"},
        order=5,
        count=count,
    )


@section("todo")
def risk_todos(request) -> list[Todo]:
    """Acceptances the person may approve and their risks due for review, in one query."""
    user = request.user
    counts = prepared_count_each(
        "risk_todos",
        user,
        lambda user: {"approvals": _awaiting_approval_by(user), "reviews": Risk.objects.review_overdue().held_by(user)},
    )
    return [
        Todo(
            label=ngettext(
                "%(n)d risk acceptance awaits your approval",
                "%(n)d risk acceptances await your approval",
                counts["approvals"],
            )
            % {"n": counts["approvals"]},
            count=counts["approvals"],
            url=f"{reverse('risks:risk_list')}?acceptance_pending=true",
            icon="check2-circle",
            urgent=True,
            order=5,
        ),
        Todo(
            label=ngettext(
                "%(n)d of your risks is due for review", "%(n)d of your risks are due for review", counts["reviews"]
            )
            % {"n": counts["reviews"]},
            count=counts["reviews"],
            url=f"{reverse('risks:risk_list')}?mine=true&review_overdue=true",
            icon="shield-exclamation",
            urgent=True,
            order=30,
        ),
    ]


@section("dashboard")
def risk_summary(request) -> Section:
    open_risks = Risk.objects.risks().open()
    counts = dict(open_risks.values_list("residual_band").annotate(n=Count("pk")).order_by())
    return Section(
        title=_("Risks"),
        template="risks/sections/dashboard.html",
        context={
            "band_counts": [(band, counts.get(band.value, 0)) for band in reversed(Band)],
            "unscored": counts.get("", 0),
            "total": sum(counts.values()),
            "top": list(open_risks.filter(residual_band__in=[Band.CRITICAL, Band.HIGH]).select_related("owner")[:6]),
            "reviews_overdue": Risk.objects.review_overdue().count(),
            "acceptance_pending": open_risks.acceptance_pending().count(),
        },
        order=20,
        count=sum(counts.values()),
    )


record_kind(Risk, open_when=~Q(status=RiskStatus.CLOSED), owner_filter="owner")
