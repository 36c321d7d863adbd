import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")
application = get_wsgi_application()


def settle_worker() -> None:
    """Keep Python's collector from stalling requests. What loading the app made (modules, models,
    URL patterns: some 150,000 objects) lives as long as the worker: frozen, it is left out of the
    collector's full passes. And the youngest objects are collected after 10,000 allocations instead
    of 700: a request allocates tens of thousands that reference counting frees anyway, and at the
    default a full pass over what requests keep (templates, caches) came every 20 requests or so,
    stalling one by up to 0.13 s (bench/pages.py: 22 full passes in 420 requests; 1 at 10,000)."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


settle_worker()
