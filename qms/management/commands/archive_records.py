from django.conf import settings
from django.core.management.base import BaseCommand

from qms.retention import archive_dir, records_archive


class Command(BaseCommand):
    help = (
        "Move history snapshots and sent e-mail older than RETENTION_ARCHIVE_AFTER_YEARS into a compressed "
        "archive under VAR_DIR/archive, with a SHA-256 manifest. Does nothing when that setting is unset."
    )

    def handle(self, *args, **options):
        if not settings.RETENTION_ARCHIVE_AFTER_YEARS:
            self.stdout.write("RETENTION_ARCHIVE_AFTER_YEARS is not set: every record is kept, nothing archived.")
            return
        run = records_archive()
        if run.path is None:
            self.stdout.write(f"Nothing older than {run.cutoff:%Y-%m-%d} to archive in {archive_dir()}.")
            return
        for label, count in sorted(run.counts.items()):
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(
            self.style.SUCCESS(f"Archived {run.total} rows older than {run.cutoff:%Y-%m-%d} to {run.path}.")
        )
