from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qms.hub import sections, todos
from qms.models import Action
from qms.overview import organisation_overview


@require_GET
def dashboard(request: HttpRequest):
    context = {"organisation": organisation_overview(request), "todos": todos(request)}
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
