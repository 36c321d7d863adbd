"""The nonconformities API: the same gates, permissions and history as the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from nonconformities.choices import NCStatus, Origin, RootCauseMethod
from nonconformities.models import Nonconformity
from qms.choices import ActionStatus
from tests.api import api
from tests.factories import ActionFactory, NonconformityFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def nc(owner, deputy):
    nc = NonconformityFactory(owner=owner, title="Burrs on bracket edges")
    nc.deputies.set([deputy])
    return nc


def test_a_complaint_is_recorded_and_refused_without_its_date(owner):
    press = ProcessFactory()
    complaint = {
        "title": "Wrong labels", "description": "Labels swapped on two boxes.", "origin": Origin.CUSTOMER_COMPLAINT,
        "party": "Arden Motors", "owner": owner.pk, "processes": [press.pk],
    }  # fmt: skip

    refused = api(owner).post("/api/nonconformities/", complaint, format="json")
    created = api(owner).post(
        "/api/nonconformities/", complaint | {"received_on": (TODAY - timedelta(days=4)).isoformat(),
                                              "responded_on": TODAY.isoformat()}, format="json",
    )  # fmt: skip

    assert refused.status_code == 400 and "received_on" in refused.json()
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["reference"][:3], body["status"], body["response_days"]) == ("NC-", "reported", 4)
    assert Nonconformity.objects.get().history.get().history_user == owner


def test_viewers_create_nothing_and_outsiders_change_nothing(nc, viewer, outsider):
    assert api(viewer).post("/api/nonconformities/", {"title": "x"}, format="json").status_code == 403
    assert api(outsider).patch(f"/api/nonconformities/{nc.pk}/", {"title": "x"}, format="json").status_code == 403
    response = api(outsider).post(f"/api/nonconformities/{nc.pk}/status/", {"status": "cancelled", "note": "no"})
    assert response.status_code == 403


def test_the_gates_hold_through_the_api_and_notes_go_into_history(nc, deputy):
    client = api(deputy)
    url = f"/api/nonconformities/{nc.pk}/"

    refused = client.post(f"{url}status/", {"status": "analysed"}, format="json")
    assert refused.status_code == 400 and "root cause" in str(refused.json())
    closed = client.post(f"{url}status/", {"status": "closed"}, format="json")
    assert closed.status_code == 400

    six = client.patch(url, {"whys": ["Why?"] * 6}, format="json")
    assert six.status_code == 400 and "whys" in six.json()  # five, as the page offers: none is lost there
    etag = client.get(url)["ETag"]
    edited = client.patch(
        url, {"root_cause_method": "five_whys", "whys": ["No first-off check", "Night shift not briefed"],
              "root_cause": "No briefing on shift change."}, format="json", HTTP_IF_MATCH=etag,
    )  # fmt: skip
    assert edited.status_code == 200, edited.json()
    stale = client.patch(url, {"title": "Stale"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412

    moved = client.post(f"{url}status/", {"status": "analysed", "note": "5 whys at the line"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == NCStatus.ANALYSED
    assert Nonconformity.objects.get(pk=nc.pk).history.first().history_change_reason == "5 whys at the line"
    client.post(f"{url}status/", {"status": "corrective_action"}, format="json")
    no_actions = client.post(f"{url}status/", {"status": "effectiveness_review"}, format="json")
    assert no_actions.status_code == 400 and "Raise a corrective action" in str(no_actions.json())
    ActionFactory(source=nc, status=ActionStatus.DONE)
    reviewed = client.post(f"{url}status/", {"status": "effectiveness_review"}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == NCStatus.EFFECTIVENESS_REVIEW


def test_only_an_independent_reviewer_closes_it(nc, owner, deputy, auditor, outsider):
    Nonconformity.objects.filter(pk=nc.pk).update(
        status=NCStatus.EFFECTIVENESS_REVIEW, root_cause_method=RootCauseMethod.FREE_TEXT, root_cause="Worn fixture"
    )
    url = f"/api/nonconformities/{nc.pk}/effectiveness/"
    review = {"effective": True, "note": "No repeat in three months"}

    for person in (owner, deputy, outsider):
        assert api(person).post(url, review, format="json").status_code == 403, person
    response = api(auditor).post(url, review, format="json")

    assert response.status_code == 200 and response.json()["status"] == NCStatus.CLOSED
    assert response.json()["reviewed_by"] == auditor.pk
    frozen = api(owner).patch(f"/api/nonconformities/{nc.pk}/", {"title": "Later"}, format="json")
    assert frozen.status_code == 400
    reason = Nonconformity.objects.get(pk=nc.pk).frozen_reason()
    assert (
        frozen.json()["non_field_errors"] == [reason]
        and reason == "A closed or cancelled nonconformity stays as it was closed."
    )


def test_the_list_filters_like_the_register_in_constant_queries(owner, django_assert_max_num_queries):
    def build(n):
        for _number in range(n):
            made = NonconformityFactory(origin=Origin.SUPPLIER, party="Alu Bar GmbH", processes=[ProcessFactory()])
            made.deputies.add(UserFactory())

    build(3)
    NonconformityFactory(status=NCStatus.CANCELLED)
    with django_assert_max_num_queries(15) as few:
        response = api(owner).get("/api/nonconformities/", {"origin": "supplier"})
    assert len(response.json()["results"]) == 3
    build(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api(owner).get("/api/nonconformities/", {"show": "open"}).json()["results"]) == 23


def test_the_api_root_lists_nonconformities(viewer):
    assert "nonconformities" in api(viewer).get("/api/").json()
