"""Evidence files as the service takes them: the type by content only, hostile names, the hash,
storage under generated names, removal that keeps the file, and the history of both."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qms import services
from qms.choices import ActionStatus
from qms.filetypes import identify
from qms.history import record_history
from qms.models import Attachment
from qms.uploads import attachment_disposition, clean_file_name
from tests import files
from tests.factories import ActionFactory, AuditFactory, NonconformityFactory

pytestmark = pytest.mark.django_db


def attach(record, user, *uploads, description=""):
    return services.attachment_add(record=record, user=user, files=list(uploads), description=description)


# The type, by content
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "media_type"), files.ACCEPTED, ids=[a[0] for a in files.ACCEPTED])
def test_allowed_kinds_are_recognised_by_content(name, content, media_type):
    assert identify(files.upload(name, content)).media_type == media_type


REFUSED = [
    ("an HTML page named .pdf", "report.pdf", files.HTML, "markup"),
    ("an SVG image", "logo.svg", files.SVG, "markup"),
    ("a GIF that is also a page", "pixel.gif", files.GIF_POLYGLOT, "markup"),
    ("a valid PNG with a script in its first kilobyte", "photo.png", files.png_with_script(), "markup"),
    ("a PNG header over garbage", "photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "damaged"),
    ("a PDF without its end", "scan.pdf", files.PDF[:40], "damaged"),
    ("a zip archive", "evidence.zip", files.plain_zip(), "archive"),
    ("a Word file with macros", "report.docx", files.docm(), "macros"),
    ("a zip bomb dressed as Word", "report.docx", files.zip_bomb(), "zip_bomb"),
    ("an executable", "tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "type"),
    ("text in Latin-1", "notes.txt", "Prüfer: Jürgen".encode("latin-1"), "type"),
    ("an empty file", "empty.pdf", b"", "empty"),
]


@pytest.mark.parametrize(("case", "name", "content", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_by_content_whatever_the_name(case, name, content, code):
    with pytest.raises(ValidationError) as refused:
        identify(files.upload(name, content, content_type="application/pdf"))
    assert refused.value.code == code


def test_a_pdf_named_png_is_kept_as_the_pdf_it_is(owner):
    action = ActionFactory(owner=owner)
    [attachment] = attach(action, owner, files.upload("photo.png", files.PDF, content_type="image/png"))
    assert attachment.media_type == "application/pdf"
    assert attachment.name == "photo.png.pdf"  # downloads open as what they are
    assert attachment.file.name.endswith(".pdf")


def test_one_refused_file_attaches_none_and_names_it(owner):
    action = ActionFactory(owner=owner)
    with pytest.raises(ValidationError) as refused:
        attach(action, owner, files.upload("ok.pdf", files.PDF), files.upload("page.pdf", files.HTML))
    assert "“page.pdf”" in refused.value.message_dict["files"][0]
    assert not Attachment.objects.exists()
    assert not list(Path(Attachment._meta.get_field("file").storage.location).rglob("*.pdf"))


def test_a_file_over_the_limit_is_refused(owner, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    action = ActionFactory(owner=owner)
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        attach(action, owner, files.upload("big.txt", b"a" * (1024 * 1024 + 1)))


# Names
# ------------------------------------------------------------------------------

NAMES = [
    ("../../etc/passwd", "passwd.txt"),
    ("..\\..\\windows\\win.ini", "win.ini.txt"),
    ('say "hi".txt', 'say "hi".txt'),
    ("line\nbreak\r\n.txt", "line break.txt"),
    ("evil\u202etxt.exe", "evil txt.exe.txt"),  # a right-to-left override would show "exe.txt"
    ("Prüfbericht März ✓.txt", "Prüfbericht März ✓.txt"),
    ("...", "file.txt"),
    ("", "file.txt"),
]


@pytest.mark.parametrize(("given", "shown"), NAMES)
def test_names_are_cleaned_for_showing_and_downloading(given, shown):
    assert clean_file_name(given, identify(files.upload("x", files.TEXT))) == shown


def test_a_long_name_is_bounded_and_keeps_its_extension():
    name = clean_file_name("a" * 300 + ".pdf", identify(files.upload("x", files.PDF)))
    assert len(name) == 150
    assert name.endswith("a.pdf")


def test_the_stored_name_is_never_the_uploaded_one(owner):
    action = ActionFactory(owner=owner)
    [attachment] = attach(action, owner, files.upload("../../etc/passwd", files.TEXT))
    stored = Path(attachment.file.path)
    assert attachment.name == "passwd.txt"
    assert "passwd" not in attachment.file.name
    assert stored.is_file() and Path(attachment.file.storage.location) in stored.parents


@pytest.mark.parametrize("name", ['say "hi".txt', "Prüfbericht März.pdf", "a;b=c\\d.txt", "x" * 150, "%22%0d%0a.txt"])
def test_content_disposition_is_an_attachment_with_a_safe_name(name):
    header = attachment_disposition(name)
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and '"' not in fallback and "\\" not in fallback
    assert header.split("filename*=UTF-8''", 1)[1].isascii()
    assert "\r" not in header and "\n" not in header and ";" not in fallback


# Hash, size and who
# ------------------------------------------------------------------------------


def test_sha256_and_size_are_those_of_the_file(owner):
    action = ActionFactory(owner=owner)
    content = files.image("JPEG", size=(300, 200))
    [attachment] = attach(action, owner, files.upload("p.jpg", content), description="  Line 3, before  ")
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.size == len(content)
    assert attachment.description == "Line 3, before"
    assert attachment.uploaded_by == owner
    with attachment.file.open("rb") as stored:
        assert stored.read() == content


# Who may attach and remove
# ------------------------------------------------------------------------------


def test_only_who_may_change_the_record_attaches(owner, deputy, outsider, viewer, quality):
    action = ActionFactory(owner=owner, deputies=[deputy])
    for person in (owner, deputy, quality):
        attach(action, person, files.upload("a.txt", files.TEXT))
    for person in (outsider, viewer):
        with pytest.raises(PermissionDenied):
            attach(action, person, files.upload("a.txt", files.TEXT))
    assert Attachment.objects.of(action).count() == 3


def test_a_finding_is_governed_by_its_audit(auditor, outsider):
    from audits.choices import FindingKind
    from audits.models import Finding
    from tests.factories import ProcessFactory

    audit = AuditFactory(owner=auditor)
    finding = Finding.objects.create(
        audit=audit, number=1, kind=FindingKind.OBSERVATION, clause="8.5", process=ProcessFactory(),
        title="Labels", description="Labels faded", evidence="Seen at line 3",
    )  # fmt: skip
    [attachment] = attach(finding, auditor, files.upload("label.png", files.image()))
    assert attachment.record == finding
    with pytest.raises(PermissionDenied):
        attach(finding, outsider, files.upload("label.png", files.image()))
    audit.team.add(outsider)  # the audit's rule lets its team write in it
    attach(finding, outsider, files.upload("label.png", files.image()))


def test_removal_keeps_the_file_and_says_who_when_why(owner):
    action = ActionFactory(owner=owner)
    [attachment] = attach(action, owner, files.upload("wrong.pdf", files.PDF))
    path = Path(attachment.file.path)
    with pytest.raises(ValidationError):
        services.attachment_remove(attachment=attachment, user=owner, reason=" ")
    services.attachment_remove(attachment=attachment, user=owner, reason="Wrong certificate")
    attachment.refresh_from_db()
    assert attachment.removed_by == owner and attachment.removal_reason == "Wrong certificate"
    assert path.is_file()
    assert list(Attachment.objects.of(action)) == [attachment]
    assert not Attachment.objects.of(action).current().exists()
    assert list(Attachment.objects.of(action).as_of(attachment.uploaded_at)) == [attachment]  # packs made before
    assert not Attachment.objects.of(action).as_of(attachment.removed_at).exists()
    with pytest.raises(ValidationError, match="removed already"):
        services.attachment_remove(attachment=attachment, user=owner, reason="again")


def test_a_frozen_record_keeps_its_files(owner, quality):
    action = ActionFactory(owner=owner)
    [attachment] = attach(action, owner, files.upload("a.pdf", files.PDF))
    action.status = ActionStatus.CANCELLED
    action.save()
    with pytest.raises(PermissionDenied, match="closed"):
        services.attachment_remove(attachment=attachment, user=quality, reason="tidy up")
    attach(action, owner, files.upload("late.pdf", files.PDF))  # late evidence is still taken, dated


def test_history_tab_lists_files_attached_and_removed(owner):
    nonconformity = NonconformityFactory(owner=owner)
    [attachment] = attach(nonconformity, owner, files.upload("photo.png", files.image()), description="Line 3")
    services.attachment_remove(attachment=attachment, user=owner, reason="Photo of the wrong line")
    entries = [e for e in record_history(nonconformity) if e.part == "evidence file"]
    removed, added = entries
    assert (added.verb, added.subject, added.user) == ("attached", "photo.png", owner)
    assert {c.label: c.new for c in added.changes}["SHA-256"] == attachment.sha256
    assert {c.label: c.new for c in added.changes}["type"] == "PNG image"
    assert (removed.verb, removed.subject, removed.reason) == ("removed", "photo.png", "Photo of the wrong line")


@pytest.mark.parametrize("factory", [ActionFactory, NonconformityFactory])
def test_a_records_page_offers_the_upload_to_whoever_may_change_it_asking_once(client_for, owner, viewer, factory):
    """The evidence panel takes the page's answer to "may this person change the record" instead of
    asking the database again."""
    record = factory(owner=owner)
    table = record._meta.db_table

    for person, offered in ((owner, True), (viewer, False)):
        client = client_for(person)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(record.get_absolute_url()).content.decode()
        checks = [q for q in queries.captured_queries if q["sql"].startswith(f'SELECT 1 AS "a" FROM "{table}"')]
        assert ('type="file"' in page) is offered
        assert len(checks) == (1 if offered else 0)  # a viewer is refused without a query
