"""Errors say what happened and where to go, in the product's own pages."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory
from django.views.defaults import server_error

from qms.views.errors import bad_request
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def test_a_refused_change_explains_itself_in_the_product_layout(client_for, viewer, owner):
    action = ActionFactory(owner=owner)

    response = client_for(viewer).get(action.get_edit_url())

    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not do this" in page
    assert "You may view this record but not change it." in page  # the reason the view gave
    assert 'class="app-sidebar' in page and 'href="/my-work/"' in page


def test_a_missing_record_is_a_styled_404(client_for, owner):
    response = client_for(owner).get("/actions/999999/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing here" in page and 'class="app-sidebar' in page


def test_a_missing_page_for_someone_signed_out_offers_to_sign_in(client):
    response = client.get("/accounts/no-such-page/")

    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()
    assert 'href="/accounts/login/"' in response.content.decode()


def test_the_500_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "/static/css/app.css" in page


def test_a_bad_request_says_why_in_the_product_layout(client_for, owner):
    action = ActionFactory(owner=owner)

    response = client_for(owner).get(f"/actions/{action.pk}/history/", {"before": "last week"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "This address cannot be read" in page and 'class="app-sidebar' in page
    assert "“before” must be a date and time with its time zone." in page


def test_django_s_own_reasons_for_a_400_stay_unsaid(rf):
    request = rf.get("/")
    request.user = AnonymousUser()
    response = bad_request(request, SuspiciousOperation("Invalid HTTP_HOST header: 'evil'"))

    assert response.status_code == 400 and "evil" not in response.content.decode()
