from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from objectives.demo import seed_objectives
from processes.demo import seed_process_links, seed_processes
from qms import demo
from qms.models import User
from risks.demo import seed_risks


class Command(BaseCommand):
    help = (
        "Fill an empty database with a believable demo organisation: people, processes, actions, objectives "
        "and KPIs with three years of values, and risks and opportunities with their treatments and reviews."
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
        with transaction.atomic():
            built = demo.new_demo(password)
            demo.seed_people(built)
            seed_processes(built)
            seed_process_links(built)
            demo.seed_actions(built)
            made = seed_objectives(built)
            risks = seed_risks(built)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {demo.COMPANY}: {len(built.people)} people, {len(built.processes)} processes, "
                f"{len(demo.ACTIONS)} actions, {made['themes']} strategic themes, {made['objectives']} objectives, "
                f"{made['kpis']} KPIs with {made['values']} values, and {risks['risks']} risks and "
                f"{risks['opportunities']} opportunities with {risks['treatments']} treatment actions and "
                f"{risks['reviews']} reviews. "
                f"Logins: lead, quality, owner, auditor, viewer (password: {password})."
            )
        )
