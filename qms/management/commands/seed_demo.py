from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qms.demo_loader import DemoDataError, demo_seed
from qms.models import User


class Command(BaseCommand):
    help = (
        "Fill an empty database with a believable demo organisation, read from each app's demo.yaml: people, "
        "processes, actions, objectives and KPIs with three years of values, and risks and opportunities with "
        "their treatments and reviews."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="Password of every demo login (default: demo).")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Pass --force to seed demo data anyway.")
        if User.objects.filter(username="quality").exists():
            self.stdout.write("Demo data is already there; nothing to do.")
            return
        try:
            demo = demo_seed(password=password)
        except DemoDataError as error:
            raise CommandError(f"The demo data has a mistake, nothing was seeded. {error}") from error
        made = ", ".join(f"{count} {what}" for what, count in demo.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {demo.name}: {made}. Logins: lead, quality, owner, auditor, viewer (password: {password})."
            )
        )
