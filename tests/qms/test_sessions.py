"""Sessions: a page reads its session (from the cache when Redis is there) and writes it only when it
changed or once a minute; signing in, the lockout and signing out everywhere work with either store."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qms import services, sessions

pytestmark = pytest.mark.django_db

ENGINES = ["qms.sessions.db", "qms.sessions.cached_db"]


@pytest.fixture(params=ENGINES)
def engine(request, settings):
    settings.SESSION_ENGINE = request.param
    return request.param


def session_sql(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"].split()[0] for q in queries.captured_queries if "django_session" in q["sql"]]


@pytest.fixture(autouse=True)
def _refreshed_once_a_minute(_sessions_refreshed_once_a_day, monkeypatch):
    """These tests are of the refresh itself: as in production, once a minute."""
    monkeypatch.setattr(sessions, "REFRESH_SECONDS", 60)


def store(key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def test_a_page_reads_the_session_and_writes_it_once_a_minute(engine, client, owner, monkeypatch):
    clock = [1_800_000_000]
    monkeypatch.setattr(sessions.time, "time", lambda: clock[0])
    client.force_login(owner)
    page = reverse("qms:my_work")
    session_sql(client, page)

    clock[0] += sessions.REFRESH_SECONDS - 1
    reads = session_sql(client, page)
    assert "UPDATE" not in reads and "INSERT" not in reads
    assert reads == ([] if engine.endswith("cached_db") else ["SELECT"])  # the cache answers

    clock[0] += 1
    assert "UPDATE" in session_sql(client, page)  # the idle expiry moves forward
    assert store(client.session.session_key).load()[sessions.REFRESHED] == clock[0]


def test_a_changed_session_is_written_at_once(engine, client, owner):
    client.force_login(owner)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("qms:my_work")).status_code == 302  # signed out, on every worker


def test_signing_in_and_the_lockout_work(engine, owner):
    signed_in = Client()
    answer = signed_in.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"})
    assert answer.status_code == 302
    assert signed_in.get(reverse("qms:my_work")).status_code == 200

    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guesser.post(reverse("login"), {"username": "owner", "password": "wrong guess"})
    locked = guesser.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"})
    assert locked.status_code == 429


def test_deactivating_ends_their_sessions_in_the_table_and_the_cache(
    engine, client, client_for, quality, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    client.get(reverse("qms:my_work"))
    key = client.session.session_key
    other = client_for(quality)

    with django_capture_on_commit_callbacks(execute=True):
        services.person_deactivate(person=owner, user=quality, reason="Left")

    assert store(key).load() == {}
    assert SESSION_KEY in store(other.session.session_key).load()
    assert other.get(reverse("qms:my_work")).status_code == 200
