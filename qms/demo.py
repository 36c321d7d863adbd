"""Builders of the core's demo data (qms/demo.yaml): the organisation, its people, and actions in
every state. `demo_action` also serves the apps whose records raise actions (risk treatments)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from processes.models import Process

from .choices import ActionStatus, Role
from .demo_loader import Demo, DemoDataError, builds, parse
from .models import Action, OrgUnit, User
from .services import action_check_effectiveness, action_move, person_deactivate

# The moves that bring a new action to each status, as its owner would make them on its page.
PATHS = {
    ActionStatus.OPEN: [],
    ActionStatus.IN_PROGRESS: [ActionStatus.IN_PROGRESS],
    ActionStatus.DONE: [ActionStatus.IN_PROGRESS, ActionStatus.DONE],
    ActionStatus.VERIFIED_EFFECTIVE: [ActionStatus.IN_PROGRESS, ActionStatus.DONE],
    ActionStatus.NOT_EFFECTIVE: [ActionStatus.IN_PROGRESS, ActionStatus.DONE],
    ActionStatus.CANCELLED: [ActionStatus.CANCELLED],
}


@dataclass(frozen=True, kw_only=True)
class _Organisation:
    name: str
    email_domain: str  # each person's e-mail is username@email_domain


@builds("organisation", "units", "people", order=10)
def seed_people(demo: Demo, *, organisation: dict, units: dict, people: dict) -> dict[str, int]:
    organisation = parse(_Organisation, organisation)
    demo.name = organisation.name
    for key, fields in demo.entries("units", units):
        demo.create(OrgUnit, fields, key=key)
    password = make_password(demo.password)  # hashed once: hashing is slow on purpose
    for username, fields in demo.entries("people", people):
        admin = fields.pop("admin", False)  # the Django admin, the escape hatch for maintaining people
        email = f"{username}@{organisation.email_domain}"
        demo.create(
            User,
            fields,
            key=username,
            username=username,
            email=email,
            password=password,
            is_staff=admin,
            is_superuser=admin,
        )
    return {"people": len(people)}


@builds("leavers", order=90)
def seed_leavers(demo: Demo, *, leavers: dict) -> dict[str, int]:
    quality = demo.first(User, role=Role.QUALITY_MANAGER)
    for username, reason in leavers.items():
        person_deactivate(person=demo.get(User, username), user=quality, reason=reason)
    return {"deactivated former colleague": len(leavers)}


@builds("actions", order=30)
def seed_actions(demo: Demo, *, actions: list) -> dict[str, int]:
    for _number, fields in demo.entries("actions", actions):
        source = fields.pop("source", None)
        raised_by = demo.get(User, fields.pop("raised_by", None))
        action = demo_action(demo, fields, by=raised_by, source=source and demo.get(Process, source))
        demo.add(action.title, action)  # other files name actions by title
    return {"actions": len(actions)}


def demo_action(demo: Demo, fields: dict, *, by: User, **given) -> Action:
    """Raise an action and walk it to its `status` (see walk_action)."""
    status = fields.pop("status", ActionStatus.OPEN)
    move_note, note = fields.pop("note", ""), fields.pop("effectiveness", "")
    checker = fields.pop("checked_by", None)
    if status not in PATHS:
        raise DemoDataError(f"status {status!r} is not one of {', '.join(PATHS)}.")
    action = demo.create(Action, fields, by=by, **given)
    return walk_action(demo, action, status, note=move_note, effectiveness=note, checked_by=checker)


def walk_action(
    demo: Demo, action: Action, status: str, *, note: str = "", effectiveness: str = "", checked_by=None
) -> Action:
    """Walk an action to `status` as its people would: the owner starts it and completes it two
    days before it is due (or before today), and six weeks later someone other than the owner
    checks its effectiveness, with the `effectiveness` note: `checked_by`, else the quality
    manager, or an auditor when the quality manager owns the action. `note` goes with the last
    move (why it was cancelled, say)."""
    if status not in PATHS:
        raise DemoDataError(f"status {status!r} is not one of {', '.join(PATHS)}.")
    for number, step in enumerate(PATHS[status], start=1):
        done_on = min(action.due_date, demo.today) - timedelta(days=2) if step == ActionStatus.DONE else None
        last = number == len(PATHS[status])
        with demo.acting_as(action.owner):
            action_move(action=action, user=action.owner, status=step, note=note if last else "", on=done_on)
    if status in ActionStatus.verified():
        quality = demo.first(User, role=Role.QUALITY_MANAGER)
        if checked_by is None:
            checker = demo.first(User, role=Role.AUDITOR) if action.owner == quality else quality
        else:
            checker = demo.get(User, checked_by)
        checked_on = min(action.completed_on + timedelta(days=42), demo.today)
        with demo.acting_as(checker):
            action_check_effectiveness(
                action=action,
                user=checker,
                effective=status == ActionStatus.VERIFIED_EFFECTIVE,
                note=effectiveness,
                at=min(timezone.make_aware(datetime.combine(checked_on, time(10))), timezone.now()),
            )
    return action
