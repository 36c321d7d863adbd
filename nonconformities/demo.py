"""Builder of the demo nonconformities (nonconformities/demo.yaml).

Each is recorded by whoever found it, through the service the pages call; its owner writes the
containment and root cause as on its edit page and walks it through the gates; its corrective
actions are actions raised from it; its effectiveness reviews go through the review service as
the reviewer, on their day; and its evidence files, made at seeding, are attached by its owner.
"""

import io
from dataclasses import dataclass
from datetime import datetime, time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from objectives.models import KPI
from processes.models import Process
from qms.choices import ActionKind, ActionStatus
from qms.demo import demo_action
from qms.demo_loader import Demo, DemoDataError, builds, parse
from qms.models import User
from qms.services import attachment_add

from . import services
from .choices import NCStatus
from .models import Nonconformity

# The moves that bring a recorded nonconformity to each status, as its owner makes them, up to its
# corrective actions: the move to the effectiveness review follows once they are done.
PATHS = {
    NCStatus.REPORTED: [],
    NCStatus.CONTAINED: [NCStatus.CONTAINED],
    NCStatus.ANALYSED: [NCStatus.CONTAINED, NCStatus.ANALYSED],
    NCStatus.CORRECTIVE_ACTION: [NCStatus.CONTAINED, NCStatus.ANALYSED, NCStatus.CORRECTIVE_ACTION],
    NCStatus.EFFECTIVENESS_REVIEW: [NCStatus.CONTAINED, NCStatus.ANALYSED, NCStatus.CORRECTIVE_ACTION],
    NCStatus.CLOSED: [NCStatus.CONTAINED, NCStatus.ANALYSED, NCStatus.CORRECTIVE_ACTION],
    NCStatus.CANCELLED: [NCStatus.CANCELLED],
}  # fmt: skip
# What the owner writes on the edit page as the work goes on, after recording it.
WORKED = ("deputies", "containment", "root_cause_method", "whys", "root_cause")
WORK = ("status", "note", *WORKED, "actions", "reviews", "evidence")


@dataclass(frozen=True, kw_only=True)
class _Review:
    reviewed_on: str
    reviewer: str
    effective: bool
    note: str


@dataclass(frozen=True, kw_only=True)
class _Evidence:
    name: str
    kind: str  # png or pdf
    description: str = ""


@builds("nonconformities", order=60)
def seed_nonconformities(demo: Demo, *, nonconformities: list) -> dict[str, int]:
    made = {"nonconformities": len(nonconformities), "corrective actions": 0, "effectiveness reviews": 0}
    made["evidence files"] = 0
    for _number, fields in demo.entries("nonconformities", nonconformities):
        actions, reviews, files = _seed_nonconformity(demo, fields)
        made["corrective actions"] += actions
        made["effectiveness reviews"] += reviews
        made["evidence files"] += files
    return made


def _seed_nonconformity(demo: Demo, fields: dict) -> tuple[int, int, int]:
    work = {name: fields.pop(name) for name in WORK if name in fields}
    owner = demo.get(User, fields.pop("owner"))
    raised_by = demo.get(User, fields.pop("raised_by", None) or owner.username)
    kpi = fields.pop("kpi", None)
    process_keys = fields.pop("processes", [])
    for name in ("detected_on", "received_on", "responded_on"):
        if name in fields:
            fields[name] = demo.date(fields[name])
    with demo.acting_as(raised_by):
        nc = services.nonconformity_raise(
            user=raised_by,
            owner=owner,
            processes=[demo.get(Process, key) for key in process_keys],
            source=kpi and demo.get(KPI, kpi),
            **fields,
        )
    return work_nonconformity(demo, nc, work, processes=process_keys)


def work_nonconformity(demo: Demo, nc: Nonconformity, fields: dict, *, processes: list[str]) -> tuple[int, int, int]:
    """Walk a recorded nonconformity to its `status` as its owner and reviewers would (the fields of
    WORK: what the owner writes, the corrective actions, the reviews, the evidence files); also for
    those the demo's audit findings raise. Returns how many actions, reviews and files it has."""
    fields = dict(fields)
    status, note = fields.pop("status", NCStatus.REPORTED), fields.pop("note", "")
    actions, evidence = fields.pop("actions", []), fields.pop("evidence", [])
    reviews = [parse(_Review, review) for _number, review in demo.entries("reviews", fields.pop("reviews", []))]
    worked = {name: fields.pop(name) for name in WORKED if name in fields}
    if fields:
        raise DemoDataError(f"unknown field(s) {', '.join(fields)}; the fields are {', '.join(WORK)}.")
    if status not in PATHS:
        raise DemoDataError(f"status {status!r} is not one of {', '.join(PATHS)}.")
    if (status == NCStatus.CLOSED) != bool(reviews and reviews[-1].effective):
        raise DemoDataError("a closed nonconformity's last review is effective, and only a closed one's.")
    nc = Nonconformity.objects.select_related("owner").get(pk=nc.pk)  # as its edit page loads it
    owner = nc.owner
    if worked:
        demo.change(nc, worked, by=owner)
    with demo.acting_as(owner):
        for number, step in enumerate(PATHS[status], start=1):
            last = number == len(PATHS[status]) and status != NCStatus.EFFECTIVENESS_REVIEW
            services.nonconformity_move(nc=nc, user=owner, status=step, note=note if last else "")
    # Work still open is what the last review sent it back for, so it is raised after the reviews.
    still_open = [action for action in actions if action.get("status", ActionStatus.OPEN) in ActionStatus.active()]
    _raise_actions(demo, nc, [action for action in actions if action not in still_open], by=owner, processes=processes)
    if status == NCStatus.EFFECTIVENESS_REVIEW:
        with demo.acting_as(owner):
            services.nonconformity_move(nc=nc, user=owner, status=status, note=note)
    for review in reviews:
        _review(demo, nc, review)
    _raise_actions(demo, nc, still_open, by=owner, processes=processes)
    reached = Nonconformity.objects.get(pk=nc.pk).status
    if reached != status:
        raise DemoDataError(f"its reviews leave it {reached}, not {status}.")
    files = [parse(_Evidence, item) for _number, item in demo.entries("evidence", evidence)]
    if files:
        with demo.acting_as(owner):
            attachment_add(
                record=nc,
                user=owner,
                files=[_evidence_file(nc, item) for item in files],
                description=files[0].description,
            )
    return len(actions), len(reviews), len(files)


def _raise_actions(demo: Demo, nc: Nonconformity, actions: list[dict], *, by: User, processes: list[str]) -> None:
    for _number, action in demo.entries("actions", actions):
        action.setdefault("kind", ActionKind.CORRECTIVE)
        action.setdefault("processes", processes)  # as "Raise a corrective action" sets them
        demo_action(demo, action, by=by, source=nc)


def _review(demo: Demo, nc: Nonconformity, review: _Review) -> None:
    """The owner puts it up for review (again, after one found it not effective), and the reviewer
    reviews it on the day."""
    nc.refresh_from_db()
    if nc.status != NCStatus.EFFECTIVENESS_REVIEW:
        with demo.acting_as(nc.owner):
            services.nonconformity_move(nc=nc, user=nc.owner, status=NCStatus.EFFECTIVENESS_REVIEW)
    reviewer = demo.get(User, review.reviewer)
    at = timezone.make_aware(datetime.combine(demo.date(review.reviewed_on), time(10)))
    with demo.acting_as(reviewer):
        services.nonconformity_review_effectiveness(
            nc=nc, user=reviewer, effective=review.effective, note=review.note, at=min(at, timezone.now())
        )


def _evidence_file(nc: Nonconformity, evidence: _Evidence) -> SimpleUploadedFile:
    """A small picture of what the evidence shows, as a PNG photo or a one-page PDF report."""
    if evidence.kind not in ("png", "pdf"):
        raise DemoDataError(f"evidence kind {evidence.kind!r} is not png or pdf.")
    picture = Image.new("RGB", (640, 420) if evidence.kind == "png" else (595, 842), "white")
    draw = ImageDraw.Draw(picture)
    if evidence.kind == "png":
        draw.rectangle((0, 0, 640, 420), fill=(120, 124, 130))
        draw.ellipse((170, 60, 470, 360), fill=(188, 192, 198), outline=(60, 60, 60), width=6)
        draw.ellipse((260, 150, 380, 270), fill=(40, 40, 44))
        draw.ellipse((365, 160, 425, 220), outline=(220, 30, 30), width=5)
        lines = [nc.reference, evidence.description]
        origin = (16, 380)
    else:
        draw.rectangle((40, 40, 555, 110), outline="black", width=2)
        lines = ["Brightwell Precision - test report", nc.reference, "", evidence.description]
        origin = (56, 56)
    draw.multiline_text(origin, "\n".join(lines), fill="black" if evidence.kind == "pdf" else "white", spacing=6)
    buffer = io.BytesIO()
    picture.save(buffer, "PDF" if evidence.kind == "pdf" else "PNG")
    content_type = "application/pdf" if evidence.kind == "pdf" else "image/png"
    return SimpleUploadedFile(evidence.name, buffer.getvalue(), content_type=content_type)
