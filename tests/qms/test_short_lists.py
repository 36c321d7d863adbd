"""A filter's short list of choices (themes, lead auditors) is read with one plain query:
Django's own way reads it through a server-side cursor, three round trips on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qms.choices import Role
from tests.factories import ThemeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page, offered",
    [
        ("objectives:objective_list", "theme"),
        ("audits:audit_list", "auditor"),
    ],
)
def test_a_short_list_of_choices_is_read_with_one_plain_query(client_for, quality, page, offered):
    choices = {
        "theme": ThemeFactory(title="Deliver on time"),
        "auditor": UserFactory(first_name="Ines", last_name="Auditor", role=Role.AUDITOR),
    }

    with CaptureQueriesContext(connection) as queries:
        response = client_for(quality).get(reverse(page))

    assert response.status_code == 200
    assert str(choices[offered]) in response.content.decode()
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DECLARE")]
