"""The REST API: authentication, the same permission rules as the pages, clear JSON errors."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from processes.choices import ProcessStatus
from processes.models import Process
from qms.api.pagination import KeysetPagination
from qms.api.serializers import ActionSerializer
from qms.choices import ActionStatus
from qms.models import Action, ApiToken, OrgUnit
from qms.models.tokens import key_digest
from tests.api import api
from tests.factories import ActionFactory, AuditFactory, ProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(owner, deputy):
    return ActionFactory(owner=owner, deputies=[deputy], title="Fix the torque spec")


def test_anonymous_requests_get_a_json_401():
    response = api().get("/api/actions/")

    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/json"
    assert "credentials" in response.json()["detail"]


def test_a_token_from_username_and_password_authenticates(owner, action):
    issued = api().post("/api/auth/token/", {"username": "owner", "password": "correct-horse-battery"})
    assert issued.status_code == 200
    assert ApiToken.objects.get(user=owner).digest == key_digest(issued.json()["token"])

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    body = client.get("/api/actions/").json()

    assert [a["reference"] for a in body["results"]] == [action.reference]


def test_a_wrong_password_gets_no_token(owner):
    refused = api().post("/api/auth/token/", {"username": "owner", "password": "guess"})

    assert refused.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("owner", True), ("deputy", True), ("quality", True), ("outsider", False), ("viewer", False), ("lead", False)],
)
def test_who_may_change_an_action(request, action, person, allowed):
    user = request.getfixturevalue(person)
    history_before = action.history.count()

    response = api(user).patch(f"/api/actions/{action.pk}/", {"title": "Changed"}, format="json")

    action.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.json()
        assert action.title == "Changed"
        assert action.history.first().history_user == user
    else:
        assert response.status_code == 403
        assert "not change" in response.json()["detail"]
        assert action.title == "Fix the torque spec"
        assert action.history.count() == history_before


def test_a_viewer_cannot_create_actions(viewer):
    response = api(viewer).post(
        "/api/actions/",
        {"title": "X", "kind": "corrective", "owner": viewer.pk, "due_date": str(timezone.localdate())},
        format="json",
    )

    assert response.status_code == 403
    assert not Action.objects.exists()


def test_create_records_the_creator_and_links_processes(owner):
    process = ProcessFactory()

    response = api(owner).post(
        "/api/actions/",
        {
            "title": "Add a poka-yoke to the press",
            "kind": "preventive",
            "owner": owner.pk,
            "processes": [process.pk],
            "due_date": str(timezone.localdate() + timedelta(days=30)),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    created = Action.objects.get()
    assert response.json()["reference"] == created.reference
    assert created.created_by == owner
    assert list(created.processes.all()) == [process]


def test_a_past_due_date_is_refused_with_the_field_named(owner):
    response = api(owner).post(
        "/api/actions/",
        {"title": "Late", "kind": "correction", "owner": owner.pk, "due_date": "2001-01-01"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["due_date"] == ["The due date cannot be in the past."]
    assert not Action.objects.exists()


def test_actions_cannot_be_deleted(quality, action):
    response = api(quality).delete(f"/api/actions/{action.pk}/")

    assert response.status_code == 405
    assert Action.objects.filter(pk=action.pk).exists()


def test_status_follows_the_lifecycle(owner, action):
    url = f"/api/actions/{action.pk}/status/"

    assert api(owner).post(url, {"status": "in_progress"}).json()["status"] == "in_progress"
    done = api(owner).post(url, {"status": "done", "note": "Spec updated"}).json()
    assert done["status"] == "done"
    assert done["completed_on"] == str(timezone.localdate())

    illegal = api(owner).post(url, {"status": "open"})
    assert illegal.status_code == 400
    assert "cannot become open" in illegal.json()["status"][0]
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_an_outsider_cannot_move_an_action(outsider, action):
    response = api(outsider).post(f"/api/actions/{action.pk}/status/", {"status": "cancelled"})

    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_effectiveness_is_checked_independently_of_the_owner(owner, auditor, action):
    url = f"/api/actions/{action.pk}/effectiveness/"
    verdict = {"effective": True, "note": "No torque escapes in 3 months"}

    not_done = api(auditor).post(url, verdict)
    assert not_done.status_code == 400
    assert "Only a done action" in not_done.json()["status"][0]

    action.move_to(ActionStatus.DONE)
    action.save()
    by_owner = api(owner).post(url, verdict)
    assert by_owner.status_code == 403
    assert "not the owner" in by_owner.json()["detail"]

    checked = api(auditor).post(url, verdict)
    assert checked.status_code == 200
    assert checked.json()["status"] == ActionStatus.VERIFIED_EFFECTIVE
    assert checked.json()["verified_by"] == auditor.pk


def test_users_are_read_only(quality, viewer):
    assert api(viewer).get("/api/users/").status_code == 200
    assert api(quality).post("/api/users/", {"username": "x"}).status_code == 405


def test_org_units_are_maintained_by_quality_managers_only(quality, owner):
    refused = api(owner).post("/api/org-units/", {"name": "Plant 2", "kind": "site"})
    assert refused.status_code == 403

    created = api(quality).post("/api/org-units/", {"name": "Plant 2", "kind": "site"})
    assert created.status_code == 201
    assert OrgUnit.objects.get().name == "Plant 2"


def test_a_unit_still_in_use_cannot_be_removed(quality):
    unit = OrgUnit.objects.create(name="Plant 1", kind="site")
    UserFactory(org_unit=unit)

    response = api(quality).delete(f"/api/org-units/{unit.pk}/")

    assert response.status_code == 409
    assert "still referenced" in response.json()["detail"]


def test_a_unit_in_an_audits_scope_cannot_be_removed(quality):
    unit = OrgUnit.objects.create(name="Plant 1", kind="site")
    audit = AuditFactory()
    audit.org_units.add(unit)

    response = api(quality).delete(f"/api/org-units/{unit.pk}/")

    assert response.status_code == 409
    assert list(audit.org_units.all()) == [unit]


def test_filters_mine_overdue_status_and_process(owner, outsider):
    process = ProcessFactory()
    mine = ActionFactory(owner=owner, processes=[process])
    late = ActionFactory(owner=outsider)
    Action.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    started = ActionFactory(owner=outsider, status=ActionStatus.IN_PROGRESS)

    def refs(query):
        return {a["reference"] for a in api(owner).get(f"/api/actions/?{query}").json()["results"]}

    assert refs("mine=true") == {mine.reference}
    assert refs("overdue=true") == {late.reference}
    assert refs("status=in_progress") == {started.reference}
    assert refs(f"process={process.pk}") == {mine.reference}


def test_pages_follow_a_cursor_in_creation_order_and_page_size_is_bounded(viewer):
    made = [action.reference for action in ActionFactory.create_batch(7)]
    client = api(viewer)

    seen, url, pages = [], "/api/actions/?page_size=3", 0
    while url:
        body = client.get(url).json()
        seen += [a["reference"] for a in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == made and pages == 3
    assert "count" not in body  # counting every row on every page is what made deep pages slow

    assert len(client.get("/api/actions/?page_size=100000").json()["results"]) == 7  # bounded, not refused
    assert KeysetPagination.max_page_size == 500


def test_a_deep_page_reads_no_more_than_the_first(viewer):
    ActionFactory.create_batch(6)
    client = api(viewer)
    with CaptureQueriesContext(connection) as first:
        body = client.get("/api/actions/?page_size=2").json()
    third = client.get(body["next"]).json()["next"]
    with CaptureQueriesContext(connection) as later:
        assert len(client.get(third).json()["results"]) == 2
    assert len(later.captured_queries) == len(first.captured_queries)
    assert not any("OFFSET" in q["sql"] or "COUNT(" in q["sql"] for q in later.captured_queries)


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--file", str(out), stderr=StringIO())

    schema = out.read_text()
    assert "/api/actions/{id}/effectiveness/" in schema
    assert "/api/processes/" in schema


def test_schema_and_docs_are_served_to_signed_in_users(viewer):
    assert api().get("/api/schema/").status_code in (401, 403)
    assert api(viewer).get("/api/schema/").status_code == 200
    assert api(viewer).get("/api/docs/").status_code == 200


@pytest.mark.parametrize("url", ["/api/actions/", "/api/users/", "/api/processes/"])
def test_api_lists_cost_the_same_queries_for_5_and_50_rows(owner, django_assert_max_num_queries, url):
    def build(n):
        for process in ProcessFactory.create_batch(n, owner=UserFactory()):
            ActionFactory(owner=owner, processes=[process], deputies=[UserFactory()])

    build(5)
    with django_assert_max_num_queries(10) as few:
        assert api(owner).get(url).status_code == 200
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api(owner).get(url).status_code == 200


def test_the_api_root_lists_every_apps_endpoints(viewer):
    body = api(viewer).get("/api/").json()

    for name in ("actions", "users", "processes", "kpis", "measurements", "objectives", "risks"):
        assert body[name].endswith(f"/api/{name}/"), name


def test_a_record_keeps_its_link_to_a_retired_process_but_takes_no_new_one(owner):
    kept, retired_elsewhere = ProcessFactory(), ProcessFactory(status=ProcessStatus.RETIRED)
    action = ActionFactory(owner=owner, processes=[kept])
    Process.objects.filter(pk=kept.pk).update(status=ProcessStatus.RETIRED)
    body = api(owner).get(f"/api/actions/{action.pk}/").json()

    unchanged = api(owner).put(f"/api/actions/{action.pk}/", body | {"title": "Renamed"}, format="json")
    new_link = api(owner).patch(
        f"/api/actions/{action.pk}/", {"processes": [kept.pk, retired_elsewhere.pk]}, format="json"
    )

    assert unchanged.status_code == 200, unchanged.json()
    assert unchanged.json()["processes"] == [kept.pk]
    assert new_link.status_code == 400
    assert "processes" in new_link.json()


def test_an_update_with_a_stale_etag_is_refused_and_a_fresh_one_saves(owner):
    action = ActionFactory(owner=owner, title="Old title")
    read = api(owner).get(f"/api/actions/{action.pk}/")
    etag = read["ETag"]
    Action.objects.filter(pk=action.pk).update(title="Changed meanwhile", updated_at=timezone.now())

    stale = api(owner).patch(f"/api/actions/{action.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    fresh_etag = api(owner).get(f"/api/actions/{action.pk}/")["ETag"]
    fresh = api(owner).patch(f"/api/actions/{action.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH=fresh_etag)

    assert stale.status_code == 412
    assert fresh.status_code == 200 and fresh.json()["title"] == "Mine"
    assert fresh["ETag"] != fresh_etag


@pytest.mark.django_db(transaction=True)
def test_options_on_a_record_describes_it_outside_a_transaction(quality):
    """DRF's OPTIONS reads the record as a PUT would, with no transaction around it: the row lock
    of an update must not be asked for there (PostgreSQL refuses select_for_update outside one)."""
    action = ActionFactory()

    response = api(quality).options(f"/api/actions/{action.pk}/")

    assert response.status_code == 200
    assert "PUT" in response.json()["actions"]


@pytest.mark.parametrize("url", ["/api/actions/", "/api/audits/"])
def test_lists_read_only_the_ids_of_the_people_and_processes_they_write_as_ids(quality, url):
    person, process = UserFactory(), ProcessFactory(purpose="Turn bar stock into shafts")
    ActionFactory(deputies=[person], processes=[process])
    AuditFactory(processes=[process]).team.add(person)

    with CaptureQueriesContext(connection) as queries:
        body = api(quality).get(url).json()

    # The ids come from the link tables, one query a relation, without a person's password hash or
    # a process's purpose.
    links = [q["sql"] for q in queries.captured_queries if '_processes"' in q["sql"] or '_deputies"' in q["sql"]]
    assert links and not [sql for sql in links if '"password"' in sql or '"purpose"' in sql]
    assert [process.pk] in [row["processes"] for row in body["results"]]


def test_a_list_writes_each_records_ids_in_the_related_records_order(quality):
    """The page's ids (qms.api.views.attach_page_ids) are in the order the record's own page gives."""
    zoe, adam, mia = (UserFactory(first_name=name) for name in ("Zoe", "Adam", "Mia"))
    later, earlier = ProcessFactory(), ProcessFactory()
    first = ActionFactory(deputies=[zoe, adam, mia], processes=[later, earlier])
    ActionFactory(deputies=[mia])
    ActionFactory()

    rows = {row["id"]: row for row in api(quality).get("/api/actions/").json()["results"]}
    one = api(quality).get(f"/api/actions/{first.pk}/").json()

    assert rows[first.pk]["deputies"] == one["deputies"] == [adam.pk, mia.pk, zoe.pk]
    assert rows[first.pk]["processes"] == one["processes"] == sorted([later.pk, earlier.pk])
    assert sorted(len(row["deputies"]) for row in rows.values()) == [0, 1, 3]


def test_a_record_serializers_fields_are_built_once_and_copied_for_each_use():
    """RecordSerializer keeps the fields it builds from the model; each serializer gets its own
    copies, so one request changing a field (a queryset, read_only) changes no other."""
    first, second = ActionSerializer(), ActionSerializer()

    assert list(first.fields) == list(second.fields) and "title" in first.fields
    assert not any(first.fields[name] is second.fields[name] for name in first.fields)
    first.fields["title"].read_only = True
    assert not second.fields["title"].read_only and not ActionSerializer().fields["title"].read_only
