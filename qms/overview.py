"""Parts of pages that are the same for everyone who may do the same, such as the dashboard's picture
of the whole organisation: drawn at most once a minute and shared by every web process through the
cache as HTML, so a busy morning neither counts 100,000 actions nor draws the same cards again for
each view. Whoever has just changed a record sees them drawn again at once; everyone else within
a minute.

What the apps add to the dashboard (the "dashboard" slot of qms.hub) must therefore not depend on
who looks."""

from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from simple_history.signals import post_create_historical_record

from .choices import ActionStatus
from .history import bulk_history_recorded
from .hub import sections
from .models import Action

SHARED_SECONDS = 60


def shared_drawing(request: HttpRequest, name: str, draw: Callable[[datetime], str], *, vary: tuple = ()) -> SafeString:
    """What `draw(at)` draws at the time `at`, shared by everyone in the same language who may do the
    same things on it (`vary`), drawn again after a minute or when the person asking wrote since."""
    # "shared": entries of this shape. An entry of another shape, left by the release before, is
    # never read as one: web processes of both may run side by side while one replaces the other.
    key = ":".join(["shared", name, get_language(), *(str(value) for value in vary)])
    drawn = cache.get(key)
    wrote_at = cache.get(_wrote_key(request.user.pk))
    if drawn is None or (wrote_at is not None and wrote_at >= drawn["at"]):
        at = timezone.now()
        drawn = {"at": at, "html": draw(at)}
        cache.set(key, drawn, SHARED_SECONDS)
    return mark_safe(drawn["html"])  # noqa: S308  (drawn by our own templates, escaped there)


def organisation_overview(request: HttpRequest) -> SafeString:
    """The organisation part of the dashboard (qms/_organisation.html)."""
    return shared_drawing(
        request,
        "dashboard",
        lambda at: render_to_string(
            "qms/_organisation.html", {**_work_out(request), "figures_at": at}, request=request
        ),
    )


def _work_out(request: HttpRequest) -> dict:
    # One pass over the actions by status (on the status index), and the overdue ones counted on the
    # partial index of open actions by due date: not a second scan of every action.
    by_status = dict(Action.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "counts": {
            "active": sum(by_status.get(status, 0) for status in ActionStatus.active()),
            "overdue": Action.objects.overdue(timezone.localdate()).count(),
            "awaiting_check": by_status.get(ActionStatus.DONE, 0),
            "effective": by_status.get(ActionStatus.VERIFIED_EFFECTIVE, 0),
            "not_effective": by_status.get(ActionStatus.NOT_EFFECTIVE, 0),
        },
        "status_rows": [(status, by_status.get(status.value, 0)) for status in ActionStatus],
        "status_total": sum(by_status.values()) or 1,
        "sections": sections("dashboard", request),
    }


def _wrote_key(user_id: int | None) -> str:
    return f"dashboard:wrote:{user_id}"


def _note_write(sender, history_instance, **kwargs) -> None:
    _wrote(history_instance.history_user_id)


def _note_bulk_write(sender, user_id: int | None, **kwargs) -> None:
    _wrote(user_id)


def _wrote(user_id: int | None) -> None:
    if user_id is not None:
        transaction.on_commit(lambda: cache.set(_wrote_key(user_id), timezone.now(), SHARED_SECONDS))


post_create_historical_record.connect(_note_write, dispatch_uid="qms_overview_read_your_writes")
bulk_history_recorded.connect(_note_bulk_write, dispatch_uid="qms_overview_read_your_bulk_writes")
