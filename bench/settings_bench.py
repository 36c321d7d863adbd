"""Settings of the benchmarks: the app's own, run as in production (DEBUG off), over plain HTTP on
localhost, with the floor view in front of the app's URLs (bench/floor.py).

Used by bench/pages.py and bench/load.py with bench/ on the Python path:
DJANGO_SETTINGS_MODULE=settings_bench.
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("SITE_URL", "http://127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from qms.settings import *  # noqa: E402, F403

ROOT_URLCONF = "floor"
# Plain HTTP on localhost: cookies without the Secure flag, static files without a manifest.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
