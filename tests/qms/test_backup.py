"""Backup and restore give back exactly what was backed up: the demo organisation, backed up while
committed, restored into a fresh database and fresh folders, has the same manifest, every table's
rows and checksum and every file byte for byte; a damaged archive is refused; data is replaced only
when asked."""

import shutil
import tarfile
from contextlib import closing
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from objectives.models import ImportJob
from qms.backup import BackupError, Database, PostgresDatabase, SqliteDatabase, backup_restore, backup_verify, files_of
from qms.models import User
from tests.conftest import DEMO_PASSWORD

# Each test runs in a transaction of its own as usual; the archives were made from the committed demo
# before. Serialized, so the database the demo was committed to gets back what migrations put in it.
pytestmark = pytest.mark.django_db(serialized_rollback=True)


@pytest.fixture(scope="module")
def source(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, committed (pg_dump reads it from another process), with a queued import's upload and a
    retention archive file; backed up by the command as a directory and as a .tar. At the end the
    database is emptied and given back the rows its migrations wrote, as a TransactionTestCase does."""
    var = tmp_path_factory.mktemp("var")
    media = var / "media"
    (var / "archive" / "2025").mkdir(parents=True)
    (var / "archive" / "2025" / "outbox.jsonl").write_text('{"to": "quality@example.com"}\n')
    with django_db_blocker.unblock(), override_settings(DEBUG=True, MEDIA_ROOT=media, VAR_DIR=var):
        try:
            call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())
            job = ImportJob(kind="values", name="values.csv", rows=2000, requested_by=User.objects.get(username="lead"))
            job.file.save("values.csv", ContentFile(b"kpi,period,value\n"), save=True)
            out = StringIO()
            call_command("backup", var / "backup", stdout=out)
            call_command("backup", var / "backup.tar", stdout=out)
            assert "Backed up" in out.getvalue()
            yield {"var": var, "media": media, "job": job, "directory": var / "backup", "tar": var / "backup.tar"}
        finally:
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.fixture
def fresh(source, tmp_path):
    """An empty database of the same kind as the test database, and empty folders."""
    if connection.vendor == "sqlite":
        database = SqliteDatabase({"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")})
        yield database
        return
    name = f"{connection.settings_dict['NAME']}_restored"
    server = PostgresDatabase({**connection.settings_dict, "NAME": "postgres"})
    with server.connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PostgresDatabase({**connection.settings_dict, "NAME": name})
    with server.connect() as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def latest_migration(app: str) -> str:
    return max(name for label, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations if label == app)


def folders_in(path: Path) -> dict[str, Path]:
    return {"media": path / "media", "archive": path / "archive"}


def test_a_backup_restored_into_a_fresh_database_has_the_same_manifest_and_files(source, fresh, tmp_path):
    manifest = backup_restore(source["tar"], database=fresh, folders=folders_in(tmp_path))

    same = backup_verify(source["directory"])  # made a moment apart: the same records and files
    assert (same["tables"], same["migrations"]) == (manifest["tables"], manifest["migrations"])
    assert same["files"].keys() == manifest["files"].keys()
    assert [v for k, v in same["files"].items() if k.startswith("files/")] == [
        v for k, v in manifest["files"].items() if k.startswith("files/")
    ]
    restored = fresh.contents()
    assert restored == {"tables": manifest["tables"], "migrations": manifest["migrations"]}
    assert restored == Database.default().contents()  # and the source still holds the same
    assert manifest["tables"]["qms_attachment"]["rows"] > 0
    assert manifest["tables"]["objectives_measurement"]["rows"] > 1000
    assert manifest["migrations"]["objectives"][-1] == latest_migration("objectives")
    # Every file round-trips byte for byte: evidence, issued reports, packs, a queued import's upload,
    # and the retention archive.
    assert files_of(tmp_path / "media") == files_of(source["media"])
    kinds = {name.split("/")[0] for name in files_of(tmp_path / "media")}
    assert {"evidence", "audit-reports", "packs", "imports"} <= kinds
    assert (tmp_path / "media" / source["job"].file.name).read_bytes() == b"kpi,period,value\n"
    assert (tmp_path / "archive" / "2025" / "outbox.jsonl").read_text() == '{"to": "quality@example.com"}\n'


def test_a_damaged_archive_fails_verification_and_is_not_restored(source, fresh, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(source["directory"], damaged)
    evidence = next((damaged / "files" / "media" / "evidence").rglob("*.pdf"))
    evidence.write_bytes(evidence.read_bytes()[:-1] + b"\x00")
    (damaged / "files" / "media" / "planted.txt").write_text("not backed up")

    with pytest.raises(BackupError) as refused:
        backup_verify(damaged)
    with pytest.raises(CommandError, match="The backup is damaged"):
        call_command("restore", damaged, "--check")
    with pytest.raises(BackupError, match="The backup is damaged"):
        backup_restore(damaged, database=fresh, folders=folders_in(tmp_path))

    name = evidence.relative_to(damaged).as_posix()
    assert f"{name}: its content differs from the manifest's (SHA-256)" in str(refused.value)
    assert "files/media/planted.txt: not in the manifest" in str(refused.value)
    assert fresh.tables() == []


def test_a_tampered_tar_archive_fails_verification(source, tmp_path):
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(source["tar"]) as original, tarfile.open(tampered, "w") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("database."):
                data = data[:4096] + bytes([data[4096] ^ 0xFF]) + data[4097:]
            copy.addfile(member, BytesIO(data) if data is not None else None)

    call_command("restore", source["tar"], "--check", stdout=StringIO())
    with pytest.raises(CommandError, match=r"database\.(dump|sqlite3): its content differs"):
        call_command("restore", tampered, "--check")


def test_a_restore_over_data_is_refused_unless_forced_and_then_replaces_it_cleanly(source, fresh, tmp_path):
    folders = folders_in(tmp_path)
    backup_restore(source["directory"], database=fresh, folders=folders)
    stray_file = folders["media"] / "evidence" / "stray.pdf"
    stray_file.write_bytes(b"%PDF-1.7 written after the backup")
    _add_stray_table(fresh)

    with pytest.raises(BackupError, match=r"Not restoring over data: the database \S+ has \d+ tables"):
        backup_restore(source["directory"], database=fresh, folders=folders)
    assert "stray" in fresh.tables() and stray_file.exists()  # refused: nothing touched

    backup_restore(source["directory"], database=fresh, folders=folders, force=True)

    assert "stray" not in fresh.tables() and not stray_file.exists()
    assert files_of(folders["media"]) == files_of(source["media"])


def test_files_left_in_a_folder_are_enough_to_refuse(source, fresh, tmp_path):
    folders = folders_in(tmp_path)
    folders["archive"].mkdir()
    (folders["archive"] / "kept.jsonl").write_text("{}\n")

    with pytest.raises(BackupError, match="archive holds files"):
        backup_restore(source["directory"], database=fresh, folders=folders)
    assert fresh.tables() == []


def test_the_restore_command_refuses_the_apps_own_database_while_it_holds_data(source):
    with pytest.raises(CommandError, match="Not restoring over data"):
        call_command("restore", source["directory"])


def _add_stray_table(database: Database) -> None:
    with closing(database.connect()) as stray:
        stray.execute("CREATE TABLE stray (id integer primary key)")
        stray.commit()
