"""The processes app's section on My work: processes the user owns that are due for review."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from qms.hub import Section, section

from .models import Process

REVIEW_HORIZON_DAYS = 30


@section("my_work")
def my_processes_due_for_review(request) -> Section | None:
    horizon = timezone.localdate() + timedelta(days=REVIEW_HORIZON_DAYS)
    due = Process.objects.owned_by(request.user).review_due(horizon).select_related("org_unit")
    rows = list(due.order_by("next_review_date")[:10])
    if not rows:
        return None
    return Section(
        title=_("My processes due for review"),
        template="processes/sections/review_due.html",
        context={"processes": rows, "today": timezone.localdate()},
        order=30,
        count=len(rows),
    )
