"""The core's sections on shared pages: actions on the process hub, My work and the dashboard; and
which actions are open, for a person's page and hand-over."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import ActionStatus
from .hub import Section, Todo, first_rows_for, record_kind, section
from .models import Action, prefetch_linked_processes, prepared_count_each

SECTION_ROWS = 10


def _action_rows(queryset):
    return queryset.select_related("owner").prefetch_related(prefetch_linked_processes())


@section("process", place=50)
def process_actions(request, process) -> Section:
    linked = Action.objects.filter(processes=process)
    rows = list(_action_rows(linked).urgent_first()[:SECTION_ROWS])
    return Section(
        title=_("Actions"),
        template="qms/sections/actions.html",
        context={"actions": rows, "more_url_query": f"process={process.pk}", "raise_from": process},
        count=Action.objects.active_counts([process.pk]).get(process.pk, 0),
    )


@section("my_work")
def my_actions(request) -> Section:
    actions, count = first_rows_for(
        "my_actions",
        request.user,
        lambda user: Action.objects.owned_by(user).active().order_by("due_date"),
        _action_rows(Action.objects.all()),
        SECTION_ROWS,
        counted=lambda user: Action.objects.active().held_by(user),
    )
    return Section(
        title=_("My open actions"),
        template="qms/sections/actions.html",
        context={"actions": actions, "more_url_query": "mine=true&status=open&status=in_progress"},
        order=10,
        count=count,
    )


@section("my_work")
def actions_awaiting_my_check(request) -> Section | None:
    if not Action.user_is_verifier(request.user):
        return None
    actions, count = first_rows_for(
        "actions_awaiting_my_check",
        request.user,
        lambda user: Action.objects.filter(status=ActionStatus.DONE).not_owned_by(user).order_by("completed_on"),
        _action_rows(Action.objects.all()),
        SECTION_ROWS,
    )
    return Section(
        title=_("Done actions awaiting an effectiveness check"),
        template="qms/sections/actions.html",
        context={"actions": actions, "more_url_query": "status=done"},
        order=20,
        count=count,
    )


def _action_todo_counts(user) -> dict:
    """The counts, each on an index (open actions by owner; done ones by status)."""
    owned, deputised = Action.objects.held_by(user)
    counted = {"overdue": (owned.overdue(), deputised.overdue()), "open": (owned.active(), deputised.active())}
    if Action.user_is_verifier(user):
        # Never the owner's or a deputy's to check (whoever completed it is left to the check itself).
        counted["to_check"] = Action.objects.filter(status=ActionStatus.DONE).not_owned_by(user)
    return counted


@section("todo")
def action_todos(request) -> list[Todo]:
    """The person's overdue and open actions, and the done ones they may check, in one query."""
    user = request.user
    counts = prepared_count_each("action_todos", user, _action_todo_counts)
    url = reverse("qms:action_list")
    todos = [
        Todo(
            label=ngettext("%(n)d of your actions is overdue", "%(n)d of your actions are overdue", counts["overdue"])
            % {"n": counts["overdue"]},
            count=counts["overdue"],
            url=f"{url}?mine=true&overdue=true",
            icon="alarm",
            urgent=True,
            order=10,
        ),
        Todo(
            label=ngettext("%(n)d open action of yours", "%(n)d open actions of yours", counts["open"])
            % {"n": counts["open"]},
            count=counts["open"],
            url=f"{url}?mine=true&status=open&status=in_progress",
            order=40,
        ),
    ]
    if Action.user_is_verifier(user):
        todos.append(
            Todo(
                label=ngettext(
                    "%(n)d done action awaits an effectiveness check",
                    "%(n)d done actions await an effectiveness check",
                    counts["to_check"],
                )
                % {"n": counts["to_check"]},
                count=counts["to_check"],
                url=f"{url}?status=done",
                icon="patch-check",
                order=50,
            )
        )
    return todos


@section("dashboard")
def overdue_actions(request) -> Section:
    overdue = Action.objects.overdue(timezone.localdate())
    return Section(
        title=_("Most overdue actions"),
        template="qms/sections/actions.html",
        context={
            "actions": list(_action_rows(overdue).order_by("due_date")[:SECTION_ROWS]),
            "more_url_query": "overdue=true",
        },
        order=90,
        count=overdue.count(),
    )


record_kind(Action, open_when=Q(status__in=ActionStatus.current()), owner_filter="owner")
