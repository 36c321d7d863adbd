"""Evidence files through the API: the same rules as the pages."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from qms import services
from qms.choices import ActionStatus
from qms.models import Action, Attachment
from tests import files
from tests.api import api
from tests.factories import ActionFactory, NonconformityFactory

pytestmark = pytest.mark.django_db


def records(record) -> dict:
    return {"record_type": record._meta.label_lower, "record_id": record.pk}


def attach(record, user, name="scan.pdf", content=files.PDF):
    [attachment] = services.attachment_add(record=record, user=user, files=[files.upload(name, content)])
    return attachment


def test_upload_lists_and_downloads(owner, viewer):
    nonconformity = NonconformityFactory(owner=owner)
    photo = files.image("PNG", size=(64, 48))
    response = api(owner).post(
        "/api/attachments/",
        {**records(nonconformity), "files": [files.upload("a.png", photo), files.upload("b.csv", files.CSV)],
         "description": "From the line"},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    first, second = response.json()
    assert first["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (first["media_type"], second["media_type"]) == ("image/png", "text/plain")
    assert first["record_type"] == "nonconformities.nonconformity" and first["record_id"] == nonconformity.pk

    listed = api(viewer).get("/api/attachments/", records(nonconformity)).json()["results"]
    assert [item["name"] for item in listed] == ["a.png", "b.csv"]
    download = api(viewer).get(first["download_url"], HTTP_ACCEPT="image/png")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == photo
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_list_needs_a_record(owner):
    assert api(owner).get("/api/attachments/").status_code == 400
    assert api(owner).get("/api/attachments/", {"record_type": "qms.user", "record_id": owner.pk}).status_code == 400
    assert api(owner).get("/api/attachments/", {"record_type": "qms.action", "record_id": 99999}).status_code == 404


def test_upload_rules_are_the_pages_rules(owner, viewer, settings):
    action = ActionFactory(owner=owner)
    denied = api(viewer).post("/api/attachments/", {**records(action), "files": [files.upload("a.pdf", files.PDF)]})
    assert denied.status_code == 403

    wrong = api(owner).post("/api/attachments/", {**records(action), "files": [files.upload("a.pdf", files.HTML)]})
    assert wrong.status_code == 400 and "“a.pdf”" in wrong.json()["files"][0]

    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    big = api(owner).post("/api/attachments/", {**records(action), "files": [files.upload("b.txt", b"a" * 2**21)]})
    assert big.status_code == 400 and "larger than 1 MB" in big.json()["files"][0]

    huge = api(owner).post(
        "/api/attachments/", {**records(action), "files": [files.upload("a.pdf", files.PDF)]}, CONTENT_LENGTH=str(2**30)
    )
    assert huge.status_code == 413
    assert not Attachment.objects.exists()
    assert api().get("/api/attachments/", records(action)).status_code in (401, 403)


def test_remove_keeps_the_file_and_respects_frozen_records(owner, viewer):
    action = ActionFactory(owner=owner)
    attachment, other = attach(action, owner), attach(action, owner, "b.txt", files.TEXT)
    url = f"/api/attachments/{attachment.pk}/remove/"
    assert api(viewer).post(url, {"reason": "no"}).status_code == 403
    assert api(owner).post(url, {}).status_code == 400
    response = api(owner).post(url, {"reason": "Superseded"})
    assert response.status_code == 200
    assert [item["id"] for item in api(owner).get("/api/attachments/", records(action)).json()["results"]] == [other.pk]
    assert api(owner).get(f"/api/attachments/{attachment.pk}/").status_code == 404
    assert Attachment.objects.get(pk=attachment.pk).file.storage.exists(attachment.file.name)

    Action.objects.filter(pk=action.pk).update(status=ActionStatus.CANCELLED)
    assert api(owner).post(f"/api/attachments/{other.pk}/remove/", {"reason": "tidy"}).status_code == 403


def test_the_list_costs_the_same_queries_for_1_and_10(owner, django_assert_max_num_queries):
    small, big = ActionFactory(owner=owner), ActionFactory(owner=owner)
    attach(small, owner)
    services.attachment_add(record=big, user=owner, files=[files.upload(f"{i}.txt", files.TEXT) for i in range(10)])
    client = api(owner)
    with django_assert_max_num_queries(10) as few:
        client.get("/api/attachments/", records(small))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/attachments/", records(big)).json()["results"]) == 10


def test_the_schema_describes_the_attachments_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out), stderr=StringIO())
    schema = out.read_text()
    assert "/api/attachments/{id}/download/" in schema and "multipart/form-data" in schema
