"""Retention: history and sent e-mail stay in the database unless RETENTION_ARCHIVE_AFTER_YEARS is
set; then what is older moves into a compressed archive with a SHA-256 manifest, once."""

import gzip
import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from qms import retention
from qms.models import Action, OutboxMessage
from qms.outbox import mail_queue
from qms.tasks import archive_old_records
from tests.factories import ActionFactory
from tests.mail import DOWN

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=4 * 365)


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def old_and_new(owner, deputy, settings):
    """An action whose first two snapshots (with their deputy links) are four years old and whose
    latest is today (the first is replaced before any cut-off; the second is what the action said
    until today); a sent e-mail and a failed one from four years ago, and one sent today."""
    action = ActionFactory(owner=owner)
    action.deputies.set([deputy])
    action.title = "Renamed"
    action.save()
    old = list(action.history.order_by("history_date", "history_id")[:2].values_list("history_id", flat=True))
    action.history.filter(history_id__in=old).update(history_date=LONG_AGO)
    action.title = "Renamed again"
    action.save()
    sent = mail_queue(to=["a@example.com"], subject="Old, sent", body="B")
    settings.EMAIL_BACKEND = DOWN
    unsent = mail_queue(to=["b@example.com"], subject="Old, never sent", body="B")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk__in=[sent.pk, unsent.pk]).update(created_at=LONG_AGO, sent_at=None)
    OutboxMessage.objects.filter(pk=sent.pk).update(sent_at=LONG_AGO)
    recent = mail_queue(to=["c@example.com"], subject="Recent", body="B")
    return {"action": action, "old": old, "sent": sent, "unsent": unsent, "recent": recent}


def test_by_default_nothing_is_ever_archived(old_and_new, var_dir, settings):
    assert settings.RETENTION_ARCHIVE_AFTER_YEARS is None
    history = old_and_new["action"].history.count()

    assert archive_old_records.delay().get() == 0
    out = StringIO()
    call_command("archive_records", stdout=out)

    assert "nothing archived" in out.getvalue()
    assert old_and_new["action"].history.count() == history
    assert OutboxMessage.objects.count() == 3 and not (var_dir / "archive").exists()


def test_records_older_than_the_setting_move_into_the_archive_with_a_manifest(old_and_new, var_dir, settings):
    settings.RETENTION_ARCHIVE_AFTER_YEARS = 3
    action = old_and_new["action"]

    assert archive_old_records.delay().get() > 0

    # The snapshot replaced before the cut-off is gone from the database; the one in force at the
    # cut-off stays, so the action's state on any day since is still there.
    assert list(action.history.values_list("title", flat=True)) == ["Renamed again", "Renamed"]
    assert set(OutboxMessage.objects.values_list("subject", flat=True)) == {"Old, never sent", "Recent"}
    # ... and is in the archive, the links of the snapshots with them.
    (archive,) = (var_dir / "archive").glob("*.jsonl.gz")
    rows = retention.archive_read(archive)
    history_rows = [row for row in rows if row["model"] == "qms.historicalaction"]
    assert [row["pk"] for row in history_rows] == old_and_new["old"][:1]
    links = [row for row in rows if row["model"] == "qms.historicalaction_deputies"]
    assert [row["fields"]["history"] for row in links] == old_and_new["old"][:1]
    (outbox_row,) = [row for row in rows if row["model"] == "qms.outboxmessage"]
    assert outbox_row["fields"]["subject"] == "Old, sent"
    # The manifest names the file, its SHA-256 and what it holds; SHA256SUMS lists it for sha256sum -c.
    manifest = json.loads((var_dir / "archive" / archive.name.replace(".jsonl.gz", ".manifest.json")).read_text())
    assert manifest["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest() and manifest["complete"]
    assert manifest["rows"]["qms.HistoricalAction"] == 1 and manifest["rows"]["qms.OutboxMessage"] == 1
    assert (var_dir / "archive" / "SHA256SUMS").read_text() == f"{manifest['sha256']}  {archive.name}\n"


def test_a_second_run_archives_nothing_and_writes_no_file(old_and_new, var_dir, settings):
    settings.RETENTION_ARCHIVE_AFTER_YEARS = 3
    first = retention.records_archive()
    second = retention.records_archive()

    assert first.total > 0 and second.total == 0 and second.path is None
    assert len(list((var_dir / "archive").glob("*.jsonl.gz"))) == 1
    out = StringIO()
    call_command("archive_records", stdout=out)
    assert "Nothing older than" in out.getvalue()


def test_a_large_archive_goes_in_batches_and_reads_back_whole(owner, var_dir, settings):
    settings.RETENTION_ARCHIVE_AFTER_YEARS = 1
    for action in ActionFactory.create_batch(7, owner=owner):
        action.title = "Renamed"
        action.save()
    Action.history.update(history_date=LONG_AGO)

    run = retention.records_archive(batch=3)

    assert run.counts["qms.HistoricalAction"] == 7
    assert set(Action.history.values_list("title", flat=True)) == {"Renamed"}
    assert len([row for row in retention.archive_read(run.path) if row["model"] == "qms.historicalaction"]) == 7


def test_the_file_a_killed_run_left_is_finished_by_the_next_run(owner, var_dir, settings):
    """A run killed while writing a batch leaves a .part file ending in half a gzip member; that
    batch was not deleted, so the next run cuts the half member off, names the file and goes on."""
    settings.RETENTION_ARCHIVE_AFTER_YEARS = 1
    action = ActionFactory(owner=owner, title="Archived after the kill")
    action.title = "Renamed"
    action.save()
    folder = var_dir / "archive"
    folder.mkdir()
    whole = gzip.compress(b'{"model": "qms.historicalaction", "pk": 1, "fields": {}}\n')
    left = folder / "records-20260101T000000000000.jsonl.gz.part"
    left.write_bytes(whole + gzip.compress(b"the batch being written")[:15])
    Action.history.update(history_date=LONG_AGO)

    run = retention.records_archive()

    finished = folder / "records-20260101T000000000000.jsonl.gz"
    assert finished.read_bytes() == whole and not left.exists()
    assert json.loads((folder / "records-20260101T000000000000.manifest.json").read_text())["complete"] is False
    assert run.counts["qms.HistoricalAction"] == 1 and run.path != finished
    assert len((folder / "SHA256SUMS").read_text().splitlines()) == 2


def test_retention_covers_every_history_model_and_their_link_snapshots():
    covered = {model._meta.label for model, _date, _links in retention.retained_models()}
    links = {link._meta.label for _model, _date, snapshots in retention.retained_models() for link in snapshots}

    assert {"qms.HistoricalAction", "risks.HistoricalRisk", "reviews.HistoricalManagementReview"} <= covered
    assert "qms.HistoricalAction_deputies" in links and "qms.HistoricalAction_deputies" not in covered
    assert "qms.OutboxMessage" in covered and not mail.outbox
