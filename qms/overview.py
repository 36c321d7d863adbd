"""The dashboard's picture of the whole organisation: the same for everyone, so it is worked out and
drawn at most once a minute and shared by every web process through the cache as HTML, and a busy
morning neither counts 100,000 actions nor draws the same cards again for each view. Whoever has
just changed a record sees the figures worked out again at once; everyone else within a minute.

What the apps add to it (the "dashboard" slot of qms.hub) must therefore not depend on who looks."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from simple_history.signals import post_create_historical_record

from .choices import ActionStatus
from .hub import sections
from .models import Action

OVERVIEW_SECONDS = 60


def organisation_overview(request: HttpRequest) -> str:
    """The organisation part of the dashboard, drawn (qms/_organisation.html)."""
    overview = cache.get(_overview_key())
    wrote_at = cache.get(_wrote_key(request.user.pk))
    if overview is None or (wrote_at is not None and wrote_at >= overview["figures_at"]):
        figures = _work_out(request)
        overview = {
            "figures_at": figures["figures_at"],
            "html": render_to_string("qms/_organisation.html", figures, request=request),
        }
        cache.set(_overview_key(), overview, OVERVIEW_SECONDS)
    return mark_safe(overview["html"])  # noqa: S308  (drawn by our own template, escaped there)


def _work_out(request: HttpRequest) -> dict:
    figures_at = timezone.now()
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
        "figures_at": figures_at,
    }


def _overview_key() -> str:
    # "html": the entry holds the drawing. An entry of another shape, left by the release before,
    # is never read as this one: web processes of both may run side by side while one replaces
    # the other.
    return f"dashboard:overview:html:{get_language()}"


def _wrote_key(user_id: int | None) -> str:
    return f"dashboard:wrote:{user_id}"


def _note_write(sender, history_instance, **kwargs) -> None:
    user_id = history_instance.history_user_id
    if user_id is not None:
        transaction.on_commit(lambda: cache.set(_wrote_key(user_id), timezone.now(), OVERVIEW_SECONDS))


post_create_historical_record.connect(_note_write, dispatch_uid="qms_overview_read_your_writes")
