"""Evidence files on the pages: upload (size limit before reading, type by content, hash as it
streams), download (who may, always as an attachment), removal after asking, the include on any
record's page, and its query count."""

import hashlib
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db.models import Q
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from audits.choices import FindingKind
from audits.models import Finding
from qms import services
from qms.choices import ActionStatus
from qms.models import Action, Attachment
from tests import files
from tests.factories import ActionFactory, AuditFactory, NonconformityFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def upload_url(record) -> str:
    return reverse("qms:attachment_list", args=[record._meta.label_lower, record.pk])


def download_url(attachment) -> str:
    return reverse("qms:attachment_download", args=[attachment.pk])


def attach(record, user, name="scan.pdf", content=files.PDF):
    [attachment] = services.attachment_add(record=record, user=user, files=[files.upload(name, content)])
    return attachment


HTMX = {"HTTP_HX_REQUEST": "true"}


# Upload
# ------------------------------------------------------------------------------


def test_upload_several_files_with_htmx_lists_them(client_for, owner):
    action = ActionFactory(owner=owner)
    photo = files.image("JPEG", size=(120, 90))
    response = client_for(owner).post(
        upload_url(action),
        {"files": [files.upload("line-3.jpg", photo), files.upload("cert.pdf", files.PDF)], "description": "Audit"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Attached 2 files." in response.text
    assert "line-3.jpg" in response.text and "cert.pdf" in response.text
    stored = Attachment.objects.of(action).get(name="line-3.jpg")
    # Taken as it streamed in, and the file stored is the file sent.
    assert stored.sha256 == hashlib.sha256(photo).hexdigest()
    assert Path(stored.file.path).read_bytes() == photo


def test_upload_without_javascript_returns_to_the_record(client_for, owner):
    action = ActionFactory(owner=owner)
    response = client_for(owner).post(upload_url(action), {"files": [files.upload("cert.pdf", files.PDF)]})
    assert response.status_code == 302 and response.url == action.get_absolute_url()
    assert Attachment.objects.of(action).count() == 1


def test_a_refused_file_shows_why_and_attaches_nothing(client_for, owner):
    action = ActionFactory(owner=owner)
    response = client_for(owner).post(
        upload_url(action), {"files": [files.upload("ok.pdf", files.PDF), files.upload("x.pdf", files.HTML)]}, **HTMX
    )
    assert response.status_code == 422
    assert "Nothing was attached." in response.text and "“x.pdf”" in response.text
    assert not Attachment.objects.exists()


def test_no_file_chosen_is_a_clear_error(client_for, owner):
    response = client_for(owner).post(upload_url(ActionFactory(owner=owner)), {"files": []})
    assert response.status_code == 422
    assert "Choose the files to attach." in response.text


def test_oversize_file_is_refused_without_storing_it(client_for, owner, settings, monkeypatch):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    action = ActionFactory(owner=owner)
    written = []

    class Counted(TemporaryUploadedFile):
        def write(self, data):
            written.append(len(data))
            return self.file.write(data)

    monkeypatch.setattr("qms.uploads.TemporaryUploadedFile", Counted)
    big = files.upload("big.txt", b"a" * (3 * 1024 * 1024))
    response = client_for(owner).post(upload_url(action), {"files": [big]}, **HTMX)
    assert response.status_code == 422
    assert "“big.txt”: It is larger than 1 MB" in response.text
    assert sum(written) <= 1024 * 1024  # stopped at the limit, the rest only read past
    assert not Attachment.objects.exists()


def test_a_request_larger_than_any_upload_is_refused_before_reading_it(client_for, owner, monkeypatch):
    action = ActionFactory(owner=owner)
    monkeypatch.setattr("qms.views.attachments.install_upload_handler", pytest.fail)  # never parsed
    response = client_for(owner).post(
        upload_url(action), {"files": [files.upload("a.pdf", files.PDF)]}, CONTENT_LENGTH=str(500 * 1024 * 1024), **HTMX
    )
    assert response.status_code == 422
    assert "more than one upload may hold" in response.text


def test_too_many_files_at_once(client_for, owner, settings):
    settings.EVIDENCE_MAX_FILES = 2
    response = client_for(owner).post(
        upload_url(ActionFactory(owner=owner)), {"files": [files.upload(f"{i}.txt", files.TEXT) for i in range(3)]}
    )
    assert response.status_code == 422
    assert "Attach at most 2 files at once." in response.text
    assert not Attachment.objects.exists()


def test_only_who_may_change_the_record_may_upload(client_for, owner, viewer, outsider):
    action = ActionFactory(owner=owner)
    for person in (viewer, outsider):
        response = client_for(person).post(upload_url(action), {"files": [files.upload("a.pdf", files.PDF)]})
        assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_upload_needs_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(upload_url(ActionFactory(owner=owner)), {"files": [files.upload("a.pdf", files.PDF)]})
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_unknown_kinds_and_records_are_404(client_for, owner):
    client = client_for(owner)
    assert client.get(reverse("qms:attachment_list", args=["qms.user", owner.pk])).status_code == 404
    assert client.get(reverse("qms:attachment_list", args=["qms.action", 999999])).status_code == 404
    assert client.get(reverse("qms:attachment_list", args=["risks.risk", 1])).status_code == 404


# Download
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "media_type"), files.ACCEPTED, ids=[a[0] for a in files.ACCEPTED])
def test_every_type_downloads_as_an_attachment(client_for, owner, viewer, name, content, media_type):
    attachment = attach(ActionFactory(owner=owner), owner, name, content)
    response = client_for(viewer).get(download_url(attachment))  # everyone who may view the record
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"].split(";")[0] == media_type
    assert "html" not in response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_download_is_conditional_on_the_hash(client_for, owner):
    attachment = attach(ActionFactory(owner=owner), owner)
    client = client_for(owner)
    etag = client.get(download_url(attachment))["ETag"]
    assert etag == f'"{attachment.sha256}"'
    assert client.get(download_url(attachment), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_anonymous_is_sent_to_sign_in(owner):
    attachment = attach(ActionFactory(owner=owner), owner)
    for url in (download_url(attachment), upload_url(attachment.record)):
        response = Client().get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_file_of_a_record_the_user_may_not_view_is_404(client_for, owner, outsider, monkeypatch):
    attachment = attach(ActionFactory(owner=owner), owner)
    hidden = Action.permission_scope

    def only_own(cls, user, action):  # a rule under which others' actions are invisible
        scope = hidden.__func__(cls, user, action)
        return scope & Q(owner=user) if action == "view" else scope

    monkeypatch.setattr(Action, "permission_scope", classmethod(only_own))
    assert client_for(owner).get(download_url(attachment)).status_code == 200
    assert client_for(outsider).get(download_url(attachment)).status_code == 404
    assert client_for(outsider).get(upload_url(attachment.record)).status_code == 404
    assert client_for(outsider).get(reverse("qms:attachment_remove", args=[attachment.pk])).status_code == 404


def test_a_removed_file_is_no_longer_served(client_for, owner):
    attachment = attach(ActionFactory(owner=owner), owner)
    services.attachment_remove(attachment=attachment, user=owner, reason="Wrong file")
    assert client_for(owner).get(download_url(attachment)).status_code == 404


def test_media_is_never_served_by_path(client_for, owner, settings):
    attachment = attach(ActionFactory(owner=owner), owner)
    assert not getattr(settings, "WHITENOISE_ROOT", None)
    assert Path(settings.MEDIA_ROOT).resolve() != Path(settings.STATIC_ROOT).resolve()
    client = client_for(owner)
    for prefix in ("/media/", "/", "/static/../media/"):
        assert client.get(f"{prefix}{attachment.file.name}").status_code == 404
    with pytest.raises(ValueError, match="no URL"):
        attachment.file.url  # noqa: B018


# Removal
# ------------------------------------------------------------------------------


def test_removal_asks_first_then_keeps_the_file(client_for, owner):
    action = ActionFactory(owner=owner)
    attachment = attach(action, owner)
    url = reverse("qms:attachment_remove", args=[attachment.pk])
    client = client_for(owner)
    asked = client.get(url, **HTMX)
    assert asked.status_code == 200 and "Remove “scan.pdf”?" in asked.text and attachment.sha256 in asked.text
    assert client.post(url, {"reason": ""}).status_code == 422
    response = client.post(url, {"reason": "Superseded by the signed copy"})
    assert response.status_code == 302 and response.url == action.get_absolute_url()
    attachment.refresh_from_db()
    assert attachment.is_removed and Path(attachment.file.path).is_file()
    history = client.get(action.get_history_url()).text
    assert "removed evidence file" in history and "Superseded by the signed copy" in history
    assert "attached evidence file" in history


def test_removal_is_refused_on_a_frozen_record_and_to_readers(client_for, owner, viewer):
    action = ActionFactory(owner=owner)
    attachment = attach(action, owner)
    url = reverse("qms:attachment_remove", args=[attachment.pk])
    assert client_for(viewer).get(url).status_code == 403
    Action.objects.filter(pk=action.pk).update(status=ActionStatus.CANCELLED)
    assert client_for(owner).post(url, {"reason": "tidy"}).status_code == 403
    assert not Attachment.objects.get(pk=attachment.pk).is_removed


# The include
# ------------------------------------------------------------------------------


def test_the_record_page_shows_files_and_controls_by_permission(client_for, owner, viewer):
    action = ActionFactory(owner=owner)
    attachment = attach(action, owner, "photo.png", files.image())
    remove = reverse("qms:attachment_remove", args=[attachment.pk])
    page = client_for(owner).get(action.get_absolute_url()).text
    assert "photo.png" in page and f'src="{download_url(attachment)}"' in page  # thumbnail, permission-checked
    assert attachment.sha256 in page and upload_url(action) in page and remove in page
    seen = client_for(viewer).get(action.get_absolute_url()).text
    assert "photo.png" in seen and upload_url(action) not in seen and remove not in seen
    Action.objects.filter(pk=action.pk).update(status=ActionStatus.CANCELLED)
    closed = client_for(owner).get(action.get_absolute_url()).text
    assert upload_url(action) in closed and remove not in closed


def test_the_nonconformity_page_includes_the_files(client_for, owner, viewer):
    nonconformity = NonconformityFactory(owner=owner)
    attachment = attach(nonconformity, owner, "complaint.txt", files.TEXT)
    page = client_for(viewer).get(nonconformity.get_absolute_url()).text
    assert "complaint.txt" in page and download_url(attachment) in page


def test_the_include_works_for_a_finding(auditor, viewer):
    audit = AuditFactory(owner=auditor)
    finding = Finding.objects.create(
        audit=audit, number=1, kind=FindingKind.MINOR_NC, clause="7.1.5", process=ProcessFactory(),
        title="Gauge overdue", description="Gauge G-14 past its calibration date", evidence="Label seen",
    )  # fmt: skip
    attach(finding, auditor, "gauge.jpg", files.image("JPEG"))
    for person, may_upload in ((auditor, True), (viewer, False)):
        request = RequestFactory().get(audit.get_absolute_url())
        request.user = person
        html = render_to_string("components/attachments.html", {"record": finding}, request=request)
        assert "gauge.jpg" in html
        assert (upload_url(finding) in html) is may_upload
        ct = ContentType.objects.get_for_model(Finding).pk
        assert f'id="evidence-{ct}-{finding.pk}"' in html


def test_the_empty_state(client_for, owner, viewer):
    action = ActionFactory(owner=owner)
    assert "No files yet." in client_for(owner).get(action.get_absolute_url()).text
    assert "No files have been attached." in client_for(viewer).get(action.get_absolute_url()).text


def test_the_files_cost_the_same_queries_for_1_and_10(client_for, owner, django_assert_max_num_queries):
    small, big = ActionFactory(owner=owner), ActionFactory(owner=owner)
    attach(small, owner)
    photos = [files.upload(f"{i}.png", files.image(colour=f"#{i}0{i}0{i}0")) for i in range(10)]
    services.attachment_add(record=big, user=owner, files=photos)
    client = client_for(owner)
    with django_assert_max_num_queries(40) as few:
        client.get(small.get_absolute_url())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(big.get_absolute_url()).text.count("evidence-thumb") == 10
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(upload_url(big))
