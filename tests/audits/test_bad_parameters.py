"""Ids typed into query strings (not digits, other scripts' digits, beyond a bigint) give a 404 or
are ignored, never a server error."""

import pytest
from django.urls import reverse

from qms.params import record_id
from tests.api import api

pytestmark = pytest.mark.django_db

TOO_BIG = "99999999999999999999"


@pytest.mark.parametrize(
    "value, expected",
    [("7", 7), (7, 7), ("abc", None), ("", None), ("0", None), ("²", None), ("٣", None), (TOO_BIG, None),
     (str(2**63 - 1), 2**63 - 1), (str(2**63), None), ("-3", None), (" 7", None), (None, None)],
)  # fmt: skip
def test_record_id_reads_ascii_digits_within_a_bigint(value, expected):
    assert record_id(value) == expected


@pytest.mark.parametrize(
    "query", ["programme=abc", f"programme={TOO_BIG}", f"processes={TOO_BIG}", "processes=%C2%B2", "processes=abc"]
)
def test_a_new_audit_ignores_bad_ids(auditor, client_for, query):
    client = client_for(auditor)
    assert client.get(f"{reverse('audits:audit_add')}?{query}").status_code == 200
    assert client.post(f"{reverse('audits:audit_add')}?{query}", {"processes": ["²", TOO_BIG]}).status_code == 422


@pytest.mark.parametrize("item", ["abc", TOO_BIG, "%C2%B2"])
def test_a_finding_from_a_bad_checklist_item_is_not_found(audit, auditor, client_for, item):
    url = reverse("audits:finding_add", args=[audit.pk])
    assert client_for(auditor).get(f"{url}?item={item}").status_code == 404


@pytest.mark.parametrize("value", ["abc", TOO_BIG, "%C2%B2"])
def test_the_findings_list_ignores_or_refuses_a_bad_audit(audit, auditor, client_for, value):
    assert client_for(auditor).get(f"{reverse('audits:finding_list')}?audit={value}").status_code == 200
    assert api(auditor).get(f"/api/findings/?audit={value}").status_code == 400
