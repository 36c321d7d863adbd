"""Every process (web, worker, each management command) loads the app; what it loads at start-up is
paid on every command."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOAD_THE_APP = """
import sys
import django
from django.urls import get_resolver

django.setup()
get_resolver().url_patterns  # imports every app's URLs and views
print("matplotlib" in sys.modules)
"""


def test_loading_the_app_does_not_load_matplotlib():
    result = subprocess.run(
        [sys.executable, "-c", LOAD_THE_APP],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "qms.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
