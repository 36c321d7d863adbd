"""Hostile JSON bodies: nested past any use, or larger than a request may be. Each is a 400 with a
message on every JSON endpoint, signed in or not, never a server error."""

import json

import pytest

from tests.api import api
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db

NESTED = "[" * 50_000 + "]" * 50_000  # 100 KB
DEEP_OBJECT = '{"a":' * 20_000 + "1" + "}" * 20_000


@pytest.mark.parametrize("body", [NESTED, DEEP_OBJECT, '{"title": ' + "[" * 40 + "]" * 40 + "}"])
@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/actions/", "/api/measurements/bulk/", "/api/kpis/"])
def test_json_nested_too_deeply_is_a_400(owner, url, body):
    client = api() if url == "/api/auth/token/" else api(owner)
    KPIFactory(owner=owner)

    response = client.generic("POST", url, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_json_nested_within_reason_is_read(owner):
    """A depth any real request has is read as before (the bulk upload: a list of objects)."""
    kpi = KPIFactory(owner=owner)
    rows = [{"kpi": kpi.reference, "period": "2026-10", "value": "97"}]

    response = api(owner).post("/api/measurements/bulk/", rows, format="json")

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/actions/"])
def test_a_json_body_larger_than_a_request_may_be_is_refused(owner, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api() if url == "/api/auth/token/" else api(owner)
    body = json.dumps({"username": "owner", "password": "x" * 2000, "title": "x" * 2000})

    response = client.generic("POST", url, body, content_type="application/json")

    assert response.status_code in (400, 413)
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]
