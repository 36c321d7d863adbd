"""Demo data for the core: a mid-size manufacturer's organisation, its people, and actions in every state.

Dates are relative to today, so the demo always looks current. Each app that has demo data keeps it
in its own demo.py; the seed_demo command calls them in order.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .choices import ActionKind, ActionStatus, OrgUnitKind, Role
from .models import Action, OrgUnit, User

COMPANY = "Brightwell Precision"


@dataclass
class Demo:
    """What the seeders build, so later seeders can link to it."""

    today: date
    password: str
    units: dict[str, OrgUnit] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    processes: dict[str, object] = field(default_factory=dict)
    objectives: dict[str, object] = field(default_factory=dict)


UNITS = [
    # key, name, kind, parent key
    ("site", "Leeds plant", OrgUnitKind.SITE, None),
    ("management", "Management", OrgUnitKind.DEPARTMENT, "site"),
    ("quality", "Quality", OrgUnitKind.DEPARTMENT, "site"),
    ("sales", "Sales & customer service", OrgUnitKind.DEPARTMENT, "site"),
    ("engineering", "Engineering", OrgUnitKind.DEPARTMENT, "site"),
    ("purchasing", "Purchasing", OrgUnitKind.DEPARTMENT, "site"),
    ("production", "Production", OrgUnitKind.DEPARTMENT, "site"),
    ("machining", "Machining cell", OrgUnitKind.TEAM, "production"),
    ("assembly", "Assembly", OrgUnitKind.TEAM, "production"),
    ("logistics", "Logistics", OrgUnitKind.DEPARTMENT, "site"),
    ("hr", "People & training", OrgUnitKind.DEPARTMENT, "site"),
    ("maintenance", "Maintenance", OrgUnitKind.DEPARTMENT, "production"),
]

PEOPLE = [
    # username, first, last, job title, role, unit
    ("lead", "Helen", "Carter", "Managing Director", Role.LEADERSHIP, "management"),
    ("quality", "Priya", "Shah", "Quality Manager", Role.QUALITY_MANAGER, "quality"),
    ("owner", "Marco", "Rossi", "Production Manager", Role.PROCESS_OWNER, "production"),
    ("auditor", "Sofia", "Lindqvist", "Internal Auditor", Role.AUDITOR, "quality"),
    ("viewer", "Tom", "Becker", "Finance Analyst", Role.VIEWER, "management"),
    ("ops", "David", "Okafor", "Operations Director", Role.LEADERSHIP, "management"),
    ("sales", "Rachel", "Nguyen", "Sales Manager", Role.PROCESS_OWNER, "sales"),
    ("design", "Lukas", "Weber", "Engineering Manager", Role.PROCESS_OWNER, "engineering"),
    ("buyer", "Aisha", "Khan", "Purchasing Manager", Role.PROCESS_OWNER, "purchasing"),
    ("inspection", "James", "O'Neill", "Quality Engineer", Role.PROCESS_OWNER, "quality"),
    ("logistics", "Elena", "Petrova", "Logistics Manager", Role.PROCESS_OWNER, "logistics"),
    ("service", "Sam", "Patel", "Customer Service Lead", Role.PROCESS_OWNER, "sales"),
    ("hr", "Grace", "Mensah", "HR & Training Manager", Role.PROCESS_OWNER, "hr"),
    ("maint", "Owen", "Hughes", "Maintenance Supervisor", Role.PROCESS_OWNER, "maintenance"),
    ("cnc", "Nina", "Kowalski", "CNC Team Leader", Role.CONTRIBUTOR, "machining"),
    ("assembly", "Ben", "Adeyemi", "Assembly Team Leader", Role.CONTRIBUTOR, "assembly"),
    ("inspector", "Chloe", "Martin", "Quality Inspector", Role.CONTRIBUTOR, "quality"),
    ("planner", "Ravi", "Iyer", "Production Planner", Role.CONTRIBUTOR, "production"),
    ("auditor2", "Hannah", "Schmidt", "Supplier Quality Engineer", Role.AUDITOR, "purchasing"),
    ("engineer", "Kofi", "Asante", "Process Engineer", Role.CONTRIBUTOR, "engineering"),
]


def seed_people(demo: Demo) -> None:
    for key, name, kind, parent in UNITS:
        demo.units[key] = OrgUnit.objects.create(name=name, kind=kind, parent=demo.units.get(parent))
    password = make_password(demo.password)
    for username, first, last, title, role, unit in PEOPLE:
        demo.people[username] = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@brightwell.example",
            job_title=title,
            role=role,
            org_unit=demo.units[unit],
            password=password,
            # The quality manager also gets the Django admin, the escape hatch for maintaining people.
            is_staff=role == Role.QUALITY_MANAGER,
            is_superuser=role == Role.QUALITY_MANAGER,
        )


ACTIONS = [
    # title, kind, owner, processes, due in days, status, raised by, source process key, description
    (
        "Re-train night shift on first-off inspection",
        ActionKind.CORRECTIVE,
        "owner",
        ["production", "inspection"],
        -12,
        ActionStatus.OPEN,
        "auditor",
        "production",
        "Two batches of housings were released without a signed first-off check. Brief the night shift, add the "
        "check to the shift handover sheet, and sample 20 job cards after four weeks.",
    ),
    (
        "Quarantine and re-inspect lot 24-118 brackets",
        ActionKind.CORRECTION,
        "inspection",
        ["inspection"],
        -3,
        ActionStatus.IN_PROGRESS,
        "quality",
        "inspection",
        "Customer reported burrs on the mounting face. Hold remaining stock, 100% inspect, rework or scrap.",
    ),
    (
        "Add second source for 6082 aluminium bar",
        ActionKind.PREVENTIVE,
        "buyer",
        ["purchasing"],
        45,
        ActionStatus.IN_PROGRESS,
        "lead",
        "purchasing",
        "Single-source dependency caused two late deliveries last quarter. Qualify a second mill.",
    ),
    (
        "Update contract review checklist for special processes",
        ActionKind.CORRECTIVE,
        "sales",
        ["sales", "design"],
        20,
        ActionStatus.OPEN,
        "auditor",
        "sales",
        "Anodising requirements were missed at order entry. Add a prompt for special processes and customer specs.",
    ),
    (
        "Calibrate CMM after probe crash",
        ActionKind.CORRECTION,
        "maint",
        ["maintenance", "inspection"],
        -30,
        ActionStatus.DONE,
        "inspection",
        "maintenance",
        "Recalibrate and verify against the reference artefact.",
    ),
    (
        "Introduce poka-yoke fixture on assembly line 2",
        ActionKind.IMPROVEMENT,
        "assembly",
        ["production"],
        60,
        ActionStatus.OPEN,
        "owner",
        "production",
        "Orientation errors on sub-assembly SA-20 recur monthly. Design a fixture that only accepts the right way.",
    ),
    (
        "Root-cause late deliveries to Arden Motors",
        ActionKind.CORRECTIVE,
        "logistics",
        ["delivery", "production"],
        -5,
        ActionStatus.IN_PROGRESS,
        "service",
        "delivery",
        "On-time delivery to our largest customer fell to 86%. Run a 5-why with planning and logistics.",
    ),
    (
        "Publish revised quality policy to all sites",
        ActionKind.IMPROVEMENT,
        "quality",
        ["strategy"],
        -40,
        ActionStatus.VERIFIED_EFFECTIVE,
        "lead",
        "strategy",
        "Policy revised after strategy review; brief all teams and add to induction.",
    ),
    (
        "Fix supplier approval gap for heat treatment",
        ActionKind.CORRECTIVE,
        "buyer",
        ["purchasing"],
        -70,
        ActionStatus.NOT_EFFECTIVE,
        "auditor2",
        "purchasing",
        "A heat treater was used before approval. Add an approval check to the PO release step.",
    ),
    (
        "Replace spindle bearings on Mazak 3",
        ActionKind.PREVENTIVE,
        "maint",
        ["maintenance"],
        10,
        ActionStatus.OPEN,
        "cnc",
        "maintenance",
        "Vibration trend shows bearing wear; plan the swap for the shutdown.",
    ),
    (
        "Competence matrix for CNC setters",
        ActionKind.IMPROVEMENT,
        "hr",
        ["hr", "production"],
        35,
        ActionStatus.IN_PROGRESS,
        "quality",
        "hr",
        "Record who is signed off on which machine and plan cross-training.",
    ),
    (
        "Customer complaint handling time over 10 days",
        ActionKind.CORRECTIVE,
        "service",
        ["service"],
        -1,
        ActionStatus.OPEN,
        "lead",
        "service",
        "Average response time was 13 days. Agree a triage rota.",
    ),
    (
        "Cancelled: move to new ERP module",
        ActionKind.IMPROVEMENT,
        "planner",
        ["production"],
        90,
        ActionStatus.CANCELLED,
        "ops",
        None,
        "Superseded by the group-wide ERP decision.",
    ),
    (
        "Label shelf-life on adhesives",
        ActionKind.CORRECTION,
        "assembly",
        ["production"],
        -15,
        ActionStatus.VERIFIED_EFFECTIVE,
        "inspector",
        "production",
        "Expired adhesive found at line 1.",
    ),
    (
        "Document design review records for project P-77",
        ActionKind.CORRECTIVE,
        "design",
        ["design"],
        14,
        ActionStatus.DONE,
        "auditor",
        "design",
        "Design review minutes were missing for two stages.",
    ),
    (
        "Reduce scrap on turned shafts",
        ActionKind.IMPROVEMENT,
        "engineer",
        ["production"],
        50,
        ActionStatus.IN_PROGRESS,
        "owner",
        "production",
        "Scrap rate 4.2% against a 2% target; run a DOE on feeds.",
    ),
    (
        "Refresh internal auditor training",
        ActionKind.PREVENTIVE,
        "quality",
        ["improvement", "hr"],
        75,
        ActionStatus.OPEN,
        "lead",
        "improvement",
        "Two auditors are due for refresher training on ISO 9001:2015.",
    ),
    (
        "Check torque wrench calibration intervals",
        ActionKind.PREVENTIVE,
        "inspector",
        ["inspection"],
        -8,
        ActionStatus.OPEN,
        "auditor",
        "inspection",
        "Three torque wrenches were found past their calibration date.",
    ),
    (
        "Agree packaging spec with Arden Motors",
        ActionKind.CORRECTIVE,
        "logistics",
        ["delivery"],
        5,
        ActionStatus.OPEN,
        "sales",
        "delivery",
        "Transit damage on two shipments; agree returnable packaging.",
    ),
    (
        "Management review: set 2027 supplier targets",
        ActionKind.IMPROVEMENT,
        "buyer",
        ["purchasing", "strategy"],
        25,
        ActionStatus.OPEN,
        "lead",
        "review",
        "Decision of the last management review.",
    ),
]


def _move(action: Action, status: str, by: User, today: date) -> None:
    """Walk an action along its lifecycle as its people would, so its history reads true."""
    path = {
        ActionStatus.OPEN: [],
        ActionStatus.IN_PROGRESS: [ActionStatus.IN_PROGRESS],
        ActionStatus.DONE: [ActionStatus.IN_PROGRESS, ActionStatus.DONE],
        ActionStatus.VERIFIED_EFFECTIVE: [ActionStatus.IN_PROGRESS, ActionStatus.DONE],
        ActionStatus.NOT_EFFECTIVE: [ActionStatus.IN_PROGRESS, ActionStatus.DONE],
        ActionStatus.CANCELLED: [ActionStatus.CANCELLED],
    }[status]
    for step in path:
        action.move_to(step)
        action._history_user = action.owner
        action.save()
    if status in ActionStatus.verified():
        effective = status == ActionStatus.VERIFIED_EFFECTIVE
        note = (
            "Sampled the following eight weeks of records: no recurrence."
            if effective
            else "The same gap was found again in the follow-up audit; a new corrective action is needed."
        )
        action.record_effectiveness(effective=effective, by=by, note=note)
        action._history_user = by
        action.save()


def seed_actions(demo: Demo) -> None:
    verifier = demo.people["quality"]
    for title, kind, owner, processes, due_in, status, raised_by, source, description in ACTIONS:
        creator = demo.people[raised_by]
        action = Action(
            title=title,
            kind=kind,
            owner=demo.people[owner],
            due_date=demo.today + timedelta(days=due_in),
            description=description,
            created_by=creator,
            updated_by=creator,
        )
        if source in demo.processes:
            action.source = demo.processes[source]
        action._history_user = creator
        action.save()
        action.processes.set([demo.processes[key] for key in processes if key in demo.processes])
        _move(action, status, verifier if owner != "quality" else demo.people["auditor"], demo.today)
    # Give one open action a deputy, so "My work" shows shared ownership.
    first = Action.objects.get(title=ACTIONS[0][0])
    first._history_user = demo.people["owner"]
    first.deputies.add(demo.people["cnc"])


def new_demo(password: str) -> Demo:
    return Demo(today=timezone.localdate(), password=password)
