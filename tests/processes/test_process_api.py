import gc
import weakref

import pytest
from django.db.models.signals import post_init
from rest_framework import serializers

from processes.api.serializers import ProcessSerializer
from processes.choices import ProcessStatus
from processes.models import HandOff, Process
from tests.api import api
from tests.factories import HandOffFactory, OrgUnitFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def test_quality_manager_creates_a_process_and_reads_it_back_with_its_turtle(quality, owner):
    created = api(quality).post(
        "/api/processes/", {"name": "Calibration", "type": "support", "status": "active", "owner": owner.pk}
    )
    assert created.status_code == 201, created.json()
    process = Process.objects.get()
    process.inputs.create(name="Gauges due", supplier="Gauge register")
    HandOffFactory(source=process, item="Calibrated gauges")

    body = api(owner).get(f"/api/processes/{process.pk}/").json()

    assert body["reference"] == process.reference
    assert body["inputs"] == [{"id": process.inputs.get().pk, "name": "Gauges due", "supplier": "Gauge register"}]
    assert body["handoffs_out"][0]["item"] == "Calibrated gauges"


def test_process_owner_cannot_create_processes(owner):
    response = api(owner).post("/api/processes/", {"name": "X", "type": "core", "owner": owner.pk})

    assert response.status_code == 403
    assert not Process.objects.exists()


def test_owner_edits_but_cannot_retire_their_process(owner):
    process = ProcessFactory(owner=owner)

    assert api(owner).patch(f"/api/processes/{process.pk}/", {"purpose": "Make parts"}).status_code == 200
    refused = api(owner).patch(f"/api/processes/{process.pk}/", {"status": "retired"})

    assert refused.status_code == 400
    assert "quality manager" in refused.json()["status"][0]
    process.refresh_from_db()
    assert process.status == ProcessStatus.ACTIVE


def test_processes_cannot_be_deleted(quality):
    process = ProcessFactory()

    assert api(quality).delete(f"/api/processes/{process.pk}/").status_code == 405
    assert Process.objects.filter(pk=process.pk).exists()


def test_filters_by_type_status_and_owner(viewer, owner):
    mine = ProcessFactory(owner=owner, type="support")
    ProcessFactory(type="core", status=ProcessStatus.RETIRED)

    def refs(query):
        return {p["reference"] for p in api(viewer).get(f"/api/processes/?{query}").json()["results"]}

    assert refs("type=support") == {mine.reference}
    assert refs(f"owner={owner.pk}") == {mine.reference}
    assert len(refs("status=retired")) == 1


def test_hand_off_round_trip_and_validation(owner, outsider):
    source = ProcessFactory(owner=owner)
    target = ProcessFactory()

    assert (
        api(outsider).post("/api/hand-offs/", {"source": source.pk, "target": target.pk, "item": "X"}).status_code
        == 403
    )
    created = api(owner).post("/api/hand-offs/", {"source": source.pk, "target": target.pk, "item": "Drawings"})
    assert created.status_code == 201
    self_loop = api(owner).post("/api/hand-offs/", {"source": source.pk, "target": source.pk, "item": "Loop"})
    assert self_loop.status_code == 400
    duplicate = api(owner).post("/api/hand-offs/", {"source": source.pk, "target": target.pk, "item": "drawings"})
    assert duplicate.status_code == 400
    handoff = HandOff.objects.get()
    assert api(outsider).delete(f"/api/hand-offs/{handoff.pk}/").status_code == 403
    assert api(owner).delete(f"/api/hand-offs/{handoff.pk}/").status_code == 204


def test_map_as_json(viewer):
    a, b = ProcessFactory.create_batch(2)
    ProcessFactory(status=ProcessStatus.RETIRED)
    HandOffFactory(source=a, target=b, item="Orders")

    body = api(viewer).get("/api/processes/map/").json()

    assert {n["id"] for n in body["nodes"]} == {a.pk, b.pk}
    assert body["edges"] == [{"source": a.pk, "target": b.pk, "item": "Orders"}]
    focused = api(viewer).get(f"/api/processes/map/?focus={a.pk}").json()
    assert {n["id"] for n in focused["nodes"]} == {a.pk, b.pk}


def test_process_list_query_count_is_constant(viewer, django_assert_max_num_queries):
    def build(n):
        for process in ProcessFactory.create_batch(n):
            process.inputs.create(name="In", supplier="Out")
            HandOffFactory(source=process)

    build(5)
    with django_assert_max_num_queries(15) as few:
        api(viewer).get("/api/processes/")
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api(viewer).get("/api/processes/")


def test_nested_rows_read_as_their_model_serializers_would_write_them(viewer):
    process = ProcessFactory()
    process.inputs.create(name="Orders", supplier="Customers")
    process.outputs.create(name="Parts", customer="Assembly")
    process.resources.create(kind="equipment", description="Press 4")
    process.documents.create(title="Work instruction", url="https://intranet.example/wi-4")
    HandOffFactory(source=process, item="Parts")
    HandOffFactory(target=process, item="Drawings")

    body = api(viewer).get("/api/processes/").json()["results"][0]

    for name in ("inputs", "outputs", "resources", "documents", "handoffs_in", "handoffs_out"):
        child = type(ProcessSerializer().fields[name].child)
        rows = getattr(process, name).all()
        assert body[name] == serializers.ListSerializer(rows, child=child()).data
        assert body[name], name


def test_a_process_list_frees_the_rows_it_prefetched_as_it_answers(viewer):
    """Prefetched rows point back at their process: left so, a list's thousand hand-offs wait for
    Python's collector, whose passes over them stalled requests. The list lets go of them as it
    answers, so reference counting frees them at once."""
    for process in ProcessFactory.create_batch(3):
        process.inputs.create(name="In", supplier="Out")
        HandOffFactory(source=process)
    client = api(viewer)
    made = []

    def note(sender, instance, **kwargs):
        made.append((type(instance).__name__, weakref.ref(instance)))

    post_init.connect(note, weak=False)
    gc.disable()
    try:
        response = client.get("/api/processes/")
        assert response.status_code == 200
        del response
        left_to_the_collector = [name for name, ref in made if name != "Process" and ref() is not None]
    finally:
        gc.enable()
        post_init.disconnect(note)

    assert {"HandOff", "ProcessInput"} <= {name for name, _ref in made}
    assert left_to_the_collector == []


def test_a_retired_process_takes_no_new_hand_off_through_the_api(owner):
    mine, retired = ProcessFactory(owner=owner), ProcessFactory(status=ProcessStatus.RETIRED)

    response = api(owner).post(
        "/api/hand-offs/", {"source": mine.pk, "target": retired.pk, "item": "Drawings"}, format="json"
    )

    assert response.status_code == 400
    assert "retired" in response.json()["target"][0]
    assert not HandOff.objects.exists()


@pytest.mark.parametrize("query", [{"focus": "abc"}, {"org_unit": "abc"}, {"org_unit": 999999}])
def test_the_map_api_answers_bad_parameters_with_400(viewer, query):
    assert api(viewer).get("/api/processes/map/", query).status_code == 400


def test_an_org_unit_cannot_become_part_of_a_unit_inside_it(quality):
    top = OrgUnitFactory()
    below = OrgUnitFactory(parent=top)

    response = api(quality).patch(f"/api/org-units/{top.pk}/", {"parent": below.pk}, format="json")

    assert response.status_code == 400
    assert "part of itself" in response.json()["parent"][0]
