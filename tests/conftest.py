"""Shared fixtures, including the cast of people every permission test uses:

- quality: the quality manager, who may change everything
- lead: leadership
- owner: a process owner who owns the records under test
- deputy: the owner's named deputy on those records
- auditor: an auditor (reads everything, verifies effectiveness)
- outsider: a contributor who owns none of the records under test
- viewer: reads only
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

import qms.sessions
from qms.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sessions_refreshed_once_a_day(monkeypatch):
    """A session's expiry is pushed forward once a minute (qms.sessions). A query-count test that
    compares two requests would count that write if a slow build between them, on a busy machine,
    took over a minute; in tests the refresh comes once a day instead."""
    monkeypatch.setattr(qms.sessions, "REFRESH_SECONDS", 24 * 3600)


@pytest.fixture(autouse=True)
def _prepared_queries_checked(settings):
    settings.CHECK_PREPARED_QUERIES = True


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    """Each test gets an empty cache of its own. Test processes run side by side: one shared Redis,
    flushed by a test, would drop the sessions and figures another test is counting queries on; and
    a figure cached by an earlier test would save a query and make counts depend on test order."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to the test's own directory, never the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _person(username: str, role: str):
    @pytest.fixture
    def person(db):
        return UserFactory(username=username, role=role)

    return person


quality = _person("quality", Role.QUALITY_MANAGER)
lead = _person("lead", Role.LEADERSHIP)
owner = _person("owner", Role.PROCESS_OWNER)
deputy = _person("deputy", Role.CONTRIBUTOR)
auditor = _person("auditor", Role.AUDITOR)
outsider = _person("outsider", Role.CONTRIBUTOR)
viewer = _person("viewer", Role.VIEWER)


@pytest.fixture
def client_for():
    """A test client signed in as the given user: `client_for(owner).get(...)`."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _celery_runs_tasks_in_process(settings):
    """Tasks run in the test's own process and database transaction, and their errors surface."""
    from qms.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _mail_sent_when_queued(monkeypatch):
    """Queued e-mail (qms.outbox) is sent as it is queued, inside the test's transaction, which never
    commits: tests read django.core.mail.outbox as before. Tests of the outbox itself undo this."""
    import qms.outbox

    monkeypatch.setattr(qms.outbox, "_send_after_commit", qms.outbox.outbox_trigger)


DEMO_PASSWORD = "demo-password"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo organisation, seeded once for the tests of a module that read it: each test runs in
    a savepoint of the transaction that seeded it, and the module's end rolls the seed back. Its
    files go to a media directory of their own, which it gives (a test reading them sets MEDIA_ROOT)."""
    media = tmp_path_factory.mktemp("demo-media")
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings = override_settings(DEBUG=True, PASSWORD_HASHERS=fast_hashing, MEDIA_ROOT=media)
    with django_db_blocker.unblock(), settings, transaction.atomic():
        call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())
        yield media
        transaction.set_rollback(True)
