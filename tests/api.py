"""The API client the API tests share."""

from rest_framework.test import APIClient


def api(user=None) -> APIClient:
    """A REST client signed in as `user` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
