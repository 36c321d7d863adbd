from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qms.choices import ActionStatus
from qms.hub import sections, todos
from qms.models import Action

# The organisation's figures are the same for everyone: worked out at most once a minute and shared
# by every web process through the cache, so a busy morning does not count 100,000 actions per view.
OVERVIEW_SECONDS = 60


def organisation_overview(request: HttpRequest) -> dict:
    key = f"dashboard:overview:{get_language()}"
    overview = cache.get(key)
    if overview is None:
        # One pass over the actions by status (on the status index), and the overdue ones counted on
        # the partial index of open actions by due date: not a second scan of every action.
        by_status = dict(Action.objects.values_list("status").annotate(n=Count("pk")).order_by())
        overview = {
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
            "figures_at": timezone.now(),
        }
        cache.set(key, overview, OVERVIEW_SECONDS)
    return overview


@require_GET
def dashboard(request: HttpRequest):
    context = {**organisation_overview(request), "todos": todos(request)}
    return TemplateResponse(request, "qms/dashboard.html", context)


@require_GET
def my_work(request: HttpRequest):
    context = {"sections": sections("my_work", request), "can_add_action": Action.user_can_add(request.user)}
    return TemplateResponse(request, "qms/my_work.html", context)


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and the broker, when one is configured) answers; 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["broker"] = "ok"
        except redis.RedisError:
            checks["broker"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
