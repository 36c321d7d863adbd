"""The processes app's section on My work: processes the user owns that are due for review; and
which processes are open (not retired), for a person's page and hand-over."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms.hub import Section, Todo, first_rows_for, record_kind, section
from qms.models import prepared_count_each

from .choices import ProcessStatus
from .models import Process

REVIEW_HORIZON_DAYS = 30


def _due_for_review(user):
    horizon = timezone.localdate() + timedelta(days=REVIEW_HORIZON_DAYS)
    return Process.objects.owned_by(user).review_due(horizon)


@section("todo")
def process_reviews_todo(request) -> list[Todo]:
    due = prepared_count_each("process_reviews_due", request.user, lambda user: {"n": _due_for_review(user)})["n"]
    return [
        Todo(
            label=ngettext(
                "%(n)d of your processes is due for review", "%(n)d of your processes are due for review", due
            )
            % {"n": due},
            count=due,
            url=reverse("qms:my_work"),
            icon="diagram-3",
            order=60,
        )
    ]


@section("my_work")
def my_processes_due_for_review(request) -> Section | None:
    rows, count = first_rows_for(
        "my_processes_due_for_review",
        request.user,
        lambda user: _due_for_review(user).order_by("next_review_date"),
        Process.objects.select_related("org_unit"),
        10,
    )
    if not rows:
        return None
    return Section(
        title=_("My processes due for review"),
        template="processes/sections/review_due.html",
        context={"processes": rows, "today": timezone.localdate()},
        order=30,
        count=count,
    )


record_kind(Process, open_when=~Q(status=ProcessStatus.RETIRED), title="name", owner_filter="owner")
