"""Builder of the demo audit programme (audits/demo.yaml): three years of programmes, the quality
manager's intervals, and audits walked to their state as their people would on the audit page.

Each audit is planned by its lead auditor; its checklist is built from its scope and answered by
them on the audit's days; findings are recorded from their questions, raise their nonconformity or
improvement action through the same services as the page's buttons, carry a small photo made here
as evidence, and are answered by the first auditee; the report is issued on the audit's last day.
"""

import calendar
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from nonconformities.demo import work_nonconformity
from processes.models import Process
from qms.demo_loader import Demo, DemoDataError, builds, parse
from qms.models import User
from qms.services import attachment_add

from . import services
from .choices import AuditStatus, FindingKind, Result
from .models import Audit, AuditProgramme, ChecklistItem

YEARS = {"last": -1, "this": 0, "next": 1}
DONE = (AuditStatus.REPORTED, AuditStatus.CLOSED)


@dataclass(frozen=True, kw_only=True)
class _Interval:
    process: str
    months: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class _Answer:
    match: str
    result: str
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class _Finding:
    kind: str
    clause: str
    process: str
    title: str
    description: str
    evidence: str
    raise_: bool = False
    due: str | None = None
    response: str = ""
    photo: str = ""
    from_: str = ""
    nonconformity: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class _Audit:
    key: str
    year: str
    start: str
    days: int
    title: str
    processes: list
    clauses: list
    owner: str
    status: str
    team: list = field(default_factory=list)
    auditees: list = field(default_factory=list)
    answered: int | None = None
    answers: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    report: dict = field(default_factory=dict)


@builds("programmes", "intervals", "audits", order=60)
def seed_audits(demo: Demo, programmes: dict, intervals: list, audits: list) -> dict[str, int]:
    made = {"audit programmes": 0, "audits": 0, "checklist answers": 0, "findings": 0}
    quality = None
    for key, fields in demo.entries("programmes", programmes):
        if key not in YEARS:
            raise DemoDataError(f"a programme is for the last, this or next year, not {key!r}.")
        owner = demo.get(User, fields.get("owner"))
        quality = quality or owner
        year = demo.today.year + YEARS[key]
        fields["title"] = str(fields.get("title", "")).format(year=year)
        demo.create(AuditProgramme, fields, by=owner, key=key, year=year)
        made["audit programmes"] += 1
    for _number, fields in demo.entries("intervals", intervals):
        interval = parse(_Interval, fields)
        with demo.acting_as(quality):
            services.interval_set(
                process=demo.get(Process, interval.process),
                user=quality,
                months=interval.months,
                reason=interval.reason,
            )
    for _number, fields in demo.entries("audits", audits):
        answers, findings = _seed_audit(demo, parse(_Audit, fields))
        made["audits"] += 1
        made["checklist answers"] += answers
        made["findings"] += findings
    return made


def _dates(demo: Demo, entry: _Audit) -> tuple[date, date]:
    """First and last day: a month and day of last or next year, or a date relative to today kept
    inside this year."""
    year = demo.today.year + YEARS[entry.year]
    if entry.year == "this":
        start = min(max(demo.date(entry.start), date(year, 1, 1)), date(year, 12, 31))
    else:
        try:
            month, day = (int(part) for part in str(entry.start).split("-"))
            start = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            raise DemoDataError(f"start of a {entry.year} year audit is a month and day such as 03-10.") from None
    return start, min(start + timedelta(days=entry.days - 1), date(year, 12, 31))


def _at(day: date, hour: int) -> datetime:
    return min(timezone.make_aware(datetime.combine(day, time(hour))), timezone.now())


def _seed_audit(demo: Demo, entry: _Audit) -> tuple[int, int]:
    if entry.status not in AuditStatus.values or entry.status == AuditStatus.CANCELLED:
        raise DemoDataError(f"status {entry.status!r} is not planned, prepared, in_progress, reported or closed.")
    lead = demo.get(User, entry.owner)
    start, end = _dates(demo, entry)
    team = [demo.get(User, key) for key in entry.team]
    processes = [demo.get(Process, key) for key in entry.processes]
    if errors := services.independence_errors(owner=lead, team=team, processes=processes):
        raise DemoDataError(" ".join(message for messages in errors.values() for message in messages))
    audit = demo.create(
        Audit,
        {"processes": entry.processes, "team": entry.team, "auditees": entry.auditees},
        by=lead,
        key=entry.key,
        owner=lead,
        programme=demo.get(AuditProgramme, entry.year),
        title=entry.title,
        clauses=entry.clauses,
        criteria="ISO 9001:2015, the process descriptions and the customer requirements that apply.",
        planned_start=start,
        planned_end=end,
    )
    if entry.status == AuditStatus.PLANNED:
        return 0, 0
    with demo.acting_as(lead):
        services.checklist_build(audit=audit, user=lead)
        if entry.status == AuditStatus.PREPARED:
            services.audit_move(audit=audit, user=lead, status=AuditStatus.PREPARED)
            return 0, 0
        answered = _answer(demo, audit, entry, lead, start)
        findings = _record_findings(demo, audit, entry, lead, end)
        if entry.status in DONE:
            audit = Audit.objects.get(pk=audit.pk)
            services.audit_report_save(audit=audit, user=lead, **_report(entry))
            services.audit_issue_report(audit=audit, user=lead, on=_at(end, 16))
        if entry.status == AuditStatus.CLOSED:
            services.audit_move(audit=audit, user=lead, status=AuditStatus.CLOSED, note="Findings followed up")
    return answered, findings


def _answer(demo: Demo, audit: Audit, entry: _Audit, lead: User, start: date) -> int:
    """Answer the checklist in order: the questions the data names as it says, the others conform."""
    items = list(audit.checklist.order_by("position"))
    count = len(items) if entry.status in DONE or entry.answered is None else entry.answered
    answers = [parse(_Answer, fields) for _number, fields in demo.entries("answers", entry.answers)]
    for answer in answers:
        if answer.result not in Result.values:
            raise DemoDataError(f"result {answer.result!r} is not one of {', '.join(Result.values)}.")
        if not _matching(items, answer.match):
            raise DemoDataError(f"no question of {audit.reference} mentions {answer.match!r}.")
    for index, item in enumerate(items[:count]):
        answer = next((a for a in answers if answer_matches(item, a.match)), None)
        result, notes = (answer.result, answer.notes) if answer else (Result.CONFORMS, "Seen as described.")
        services.checklist_answer(item=item, user=lead, result=result, notes=notes, at=_at(start, 9 + index % 8))
    return count


def answer_matches(item: ChecklistItem, match: str) -> bool:
    return match.lower() in item.question.lower()


def _matching(items: list[ChecklistItem], match: str) -> ChecklistItem | None:
    return next((item for item in items if answer_matches(item, match)), None)


def _record_findings(demo: Demo, audit: Audit, entry: _Audit, lead: User, end: date) -> int:
    items = list(audit.checklist.order_by("position"))
    auditee = audit.auditees.order_by("pk").first()
    for _number, fields in demo.entries("findings", entry.findings):
        fields = {("raise_" if k == "raise" else "from_" if k == "from" else k): v for k, v in fields.items()}
        spec = parse(_Finding, fields)
        item = _matching(items, spec.from_) if spec.from_ else None
        if spec.from_ and item is None:
            raise DemoDataError(f"no question of {audit.reference} mentions {spec.from_!r}.")
        finding = services.finding_record(
            audit=audit,
            user=lead,
            checklist_item=item,
            kind=spec.kind,
            clause=spec.clause,
            process=demo.get(Process, spec.process),
            title=spec.title,
            description=spec.description,
            evidence=spec.evidence,
        )
        if spec.raise_ and spec.kind in FindingKind.nonconformities():
            nc = services.finding_raise_nonconformity(finding=finding, user=lead, detected_on=end)
            work_nonconformity(demo, nc, _after(demo, end, spec.nonconformity), processes=[spec.process])
        elif spec.nonconformity:
            raise DemoDataError(f"{finding.reference} raises no nonconformity to work.")
        elif spec.raise_:
            services.finding_raise_action(finding=finding, user=lead, due_date=demo.date(spec.due or "+60d"))
        if spec.photo:
            attachment_add(record=finding, user=lead, files=[_photo(finding.reference)], description=spec.photo)
        if spec.response:
            if auditee is None:
                raise DemoDataError(f"{audit.reference} has no auditee to answer {finding.reference}.")
            with demo.acting_as(auditee):
                services.finding_respond(finding=finding, user=auditee, response=spec.response, at=_at(end, 17))
    return len(entry.findings)


def _after(demo: Demo, end: date, work: dict) -> dict:
    """The work on a finding's nonconformity with its dates (actions' `due_date`, reviews'
    `reviewed_on`: +40d) counted from the audit's last day instead of today; no review after today."""

    def day(value) -> date:
        return end + (demo.date(value) - demo.today)

    work = dict(work)
    work["actions"] = [{**action, "due_date": day(action["due_date"])} for action in work.get("actions", [])]
    work["reviews"] = [
        {**review, "reviewed_on": min(day(review["reviewed_on"]), demo.today)} for review in work.get("reviews", [])
    ]
    return work


def _report(entry: _Audit) -> dict[str, str]:
    if set(entry.report) != {"summary", "strengths", "conclusion"}:
        raise DemoDataError("a reported audit's report has a summary, strengths and a conclusion.")
    return entry.report


def _photo(reference: str) -> SimpleUploadedFile:
    """A small PNG standing in for a photo taken on the shop floor: a tool with its label."""
    image = Image.new("RGB", (320, 200), (214, 219, 223))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 80, 290, 120), fill=(90, 98, 107))
    draw.rectangle((250, 60, 300, 140), fill=(60, 66, 72))
    draw.rectangle((60, 40, 170, 75), fill=(255, 255, 255), outline=(200, 40, 40), width=3)
    draw.text((68, 48), "CAL DUE 31/01", fill=(200, 40, 40))
    draw.text((10, 175), reference, fill=(33, 37, 41))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{reference.lower()}-photo.png", buffer.getvalue(), content_type="image/png")
