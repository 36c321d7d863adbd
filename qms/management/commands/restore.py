import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qms.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restore an archive made by `backup` into the database DATABASE_URL names and into MEDIA_ROOT (and "
        "VAR_DIR/archive), then check that every table, row count and file matches the archive's manifest. "
        "Stop the web app, the worker and beat first. With --check, only verify the archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The archive: a directory or a .tar file.")
        parser.add_argument(
            "--check", action="store_true", help="Only verify the archive's files against its manifest; change nothing."
        )
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that has tables and folders that hold files."
        )

    def handle(self, *args, path: Path, check: bool, force: bool, **options):
        started = time.perf_counter()
        try:
            manifest = backup_verify(path) if check else backup_restore(path, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table["rows"] for table in manifest["tables"].values())
        what = f"{len(manifest['tables'])} tables ({rows:,} rows) and {len(manifest['files']) - 1} files"
        elapsed = f"{time.perf_counter() - started:.1f} s"
        if check:
            self.stdout.write(self.style.SUCCESS(f"{path} is intact: {what}, backed up {manifest['created_at']}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Restored {what} from {path} in {elapsed}; all match the backup."))
