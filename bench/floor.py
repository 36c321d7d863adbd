"""The floor of the page benchmarks: one query and a tiny template, behind the app's own middleware.

Only the benchmark's settings (bench/settings_bench.py) serve it, at /bench/floor/, in front of the
app's own URLs; the app's URLconf never includes it.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from qms.models import Action
from qms.urls import handler400  # noqa: F401  (the app's own 400 page, looked up on this URLconf)
from qms.urls import urlpatterns as app_urlpatterns

TEMPLATE = engines["django"].from_string("<!doctype html><title>Floor</title><p>{{ reference }}</p>\n")


def floor(request):
    """One indexed query and a tiny template: what any page costs before its own work."""
    reference = Action.objects.order_by("pk").values_list("reference", flat=True).first()
    return HttpResponse(TEMPLATE.render({"reference": reference}))


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *app_urlpatterns]
