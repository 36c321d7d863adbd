import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qms.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database, the uploaded files and the retention archive into one archive (a directory, "
        "or a .tar file when PATH ends in .tar) with a manifest of every table's rows and checksum and every "
        "file's SHA-256. The app may keep running: the database is dumped from one snapshot."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Where to write the archive; it must not exist yet.")

    def handle(self, *args, path: Path, **options):
        started = time.perf_counter()
        try:
            manifest = backup_create(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table["rows"] for table in manifest["tables"].values())
        size = sum(entry["size"] for entry in manifest["files"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(manifest['tables'])} tables ({rows:,} rows) and {len(manifest['files']) - 1} files "
                f"to {path}: {size / 1024**2:,.1f} MB in {time.perf_counter() - started:.1f} s."
            )
        )
