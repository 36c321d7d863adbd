import pytest
from django.db import DatabaseError


@pytest.mark.django_db
def test_healthz_answers_200_without_signing_in(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_checks_the_broker_when_one_is_configured(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable(client, settings, monkeypatch):
    from qms.views import dashboard

    def broken_cursor():
        raise DatabaseError("connection refused")

    settings.REDIS_URL = ""
    monkeypatch.setattr(dashboard.connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_healthz_answers_probes_that_call_by_address_not_by_the_public_name(client, settings):
    """The container's healthcheck and load balancers call http://127.0.0.1:8000/healthz (or the
    container's address), while ALLOWED_HOSTS names the public host; every other page still refuses
    a host it does not serve."""
    settings.REDIS_URL = ""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["qms.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

    probe = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert probe.status_code == 200
    assert probe.json()["status"] == "ok"
    assert probe["Cache-Control"].startswith("max-age=0")
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/healthz", HTTP_HOST="qms.example.com").status_code == 200
