"""Audit writes: the quality manager's audit intervals, an audit's steps and report, its checklist
(built from the clauses in scope and the processes' own turtle), its findings and what they
raise, and the reminders. Each checks the one permission rule and records its history."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from nonconformities.choices import Origin, Severity
from nonconformities.services import nonconformity_raise
from objectives.models import KPI
from processes.models import Process
from qms.choices import ActionKind
from qms.clauses import Clause
from qms.models import Action, User
from qms.services import notification_mail
from risks.models import Risk

from .choices import AuditStatus, FindingKind, QuestionOrigin, Result
from .models import Audit, ChecklistItem, Finding, IssuedReport, ProcessAuditInterval, QuestionTemplate
from .selectors import independence_conflicts

BATCH = 500
IMPROVEMENT_DUE_DAYS = 90


def _lock(audit: Audit) -> Audit:
    """The audit as stored, its row held for this transaction."""
    return Audit.objects.select_for_update().get(pk=audit.pk)


def _may_change(audit: Audit, user: User) -> None:
    if not audit.user_can_change(user):
        raise PermissionDenied(
            _("Only the lead auditor, the audit team and quality managers change %(ref)s.") % {"ref": audit.reference}
        )
    if audit.is_frozen:
        raise PermissionDenied(_("%(ref)s is closed: it stays as it was closed.") % {"ref": audit.reference})


# The programme
# ------------------------------------------------------------------------------


@transaction.atomic
def interval_set(*, process: Process, user: User, months: int, reason: str) -> ProcessAuditInterval:
    """The quality manager decides how often `process` is audited, overriding the proposal, and why."""
    if not user.administers_qms:
        raise PermissionDenied(_("Audit intervals are set by quality managers."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this interval instead of the proposal.")})
    interval = ProcessAuditInterval.objects.select_for_update().filter(process=process).first()
    interval = interval or ProcessAuditInterval(process=process)
    interval.months, interval.reason, interval.set_by = months, reason.strip(), user
    interval.full_clean()
    interval._history_user, interval._change_reason = user, reason.strip()
    interval.save()
    return interval


@transaction.atomic
def interval_clear(*, process: Process, user: User) -> None:
    """Go back to the proposal for `process`; the history keeps the interval that was set."""
    if not user.administers_qms:
        raise PermissionDenied(_("Audit intervals are set by quality managers."))
    for interval in ProcessAuditInterval.objects.select_for_update().filter(process=process):
        interval._history_user, interval._change_reason = user, _("Back to the proposal")
        interval.delete()


# Planning
# ------------------------------------------------------------------------------


def independence_errors(*, owner: User | None, team, processes) -> dict[str, list[str]]:
    """Nobody audits a process they own or deputise: the errors by field ("owner", "team"), each
    naming the person and why."""
    team = list(team)
    people = {person.pk: person for person in [*team, *([owner] if owner else [])]}
    conflicts = independence_conflicts(list(people), [p.pk for p in processes])
    errors: dict[str, list[str]] = {}
    for name, members in (("owner", [owner] if owner else []), ("team", team)):
        for person in members:
            if person.pk in conflicts:
                errors.setdefault(name, []).append(
                    _("%(person)s cannot audit their own work: %(why)s.")
                    % {"person": person, "why": ", ".join(conflicts[person.pk])}
                )
    return errors


@transaction.atomic
def audit_move(*, audit: Audit, user: User, status: str, note: str = "") -> Audit:
    """Move an audit along planned → prepared → in progress, back to planned, to closed once
    reported, or cancel it with a reason the history keeps."""
    audit = _lock(audit)
    if not audit.user_can_move(user):
        raise PermissionDenied(
            _("The lead auditor, the deputies and quality managers move %(ref)s.") % {"ref": audit.reference}
        )
    if status not in audit.allowed_transitions():
        raise ValidationError(
            _("%(ref)s is %(status)s: it cannot move to %(to)s.")
            % {
                "ref": audit.reference,
                "status": audit.get_status_display().lower(),
                "to": AuditStatus(status).label.lower() if status in AuditStatus.values else status,
            }
        )
    if status == AuditStatus.CANCELLED and not note.strip():
        raise ValidationError({"reason": _("Say why the audit is cancelled: the history keeps the reason.")})
    audit.status = status
    audit._change_reason, audit._history_user = note.strip(), user
    audit.save()
    return audit


def _start(audit: Audit, user: User) -> None:
    """Answering the checklist or recording a finding starts an audit that was only planned."""
    if audit.status in (AuditStatus.PLANNED, AuditStatus.PREPARED):
        audit.status = AuditStatus.IN_PROGRESS
        audit._change_reason, audit._history_user = _("Started: the first result was recorded"), user
        audit.save()


@transaction.atomic
def audit_report_save(*, audit: Audit, user: User, summary: str, strengths: str, conclusion: str) -> Audit:
    """Write the report's text; once issued it stands as issued."""
    audit = _lock(audit)
    _may_change(audit, user)
    if audit.is_issued:
        raise PermissionDenied(_("The report of %(ref)s is issued: it stands as issued.") % {"ref": audit.reference})
    audit.summary, audit.strengths, audit.conclusion = summary, strengths, conclusion
    audit._history_user = user
    audit.save()
    return audit


def report_problems(audit: Audit) -> list[str]:
    """What stops the report from being issued: an empty checklist or questions without a
    result, a missing summary or conclusion. Empty when it may be issued."""
    problems = []
    counts = audit.checklist.aggregate(total=Count("pk"), unanswered=Count("pk", filter=Q(result="")))
    unanswered = counts["unanswered"]
    if not counts["total"]:
        problems.append(_("The checklist is empty: build it or add the questions asked."))
    if unanswered:
        problems.append(
            _("%(n)d checklist question(s) have no result: answer them or mark them not audited.") % {"n": unanswered}
        )
    if not audit.summary.strip():
        problems.append(_("Write the report's summary."))
    if not audit.conclusion.strip():
        problems.append(_("Write the report's conclusion."))
    return problems


@transaction.atomic
def audit_issue_report(*, audit: Audit, user: User, on: datetime | None = None) -> Audit:
    """The lead auditor issues the report: the audit becomes reported and its findings stand as
    issued (corrections need a reason the history keeps). `on` is when, for the demo's past."""
    audit = _lock(audit)
    if not audit.user_can_issue(user):
        raise PermissionDenied(_("The lead auditor issues the report of %(ref)s.") % {"ref": audit.reference})
    if problems := report_problems(audit):
        raise ValidationError(problems)
    audit.status = AuditStatus.REPORTED
    audit.issued_by, audit.issued_at = user, on or timezone.now()
    audit._change_reason, audit._history_user = _("Report issued"), user
    audit.save()
    report_version_issue(audit=audit, user=user, reason=_("Report issued"), on=audit.issued_at)
    return audit


def report_version_issue(*, audit: Audit, user: User, reason: str, on: datetime | None = None) -> IssuedReport:
    """Issue the next version of the report as it stands: its PDF is rendered and stored once this
    transaction commits (packs.services.audit_report_store), and the earlier versions stay as they
    were stored. Called with the audit's row locked."""
    last = audit.issued_reports.aggregate(last=Max("version"))["last"] or 0
    report = IssuedReport(audit=audit, version=last + 1, issued_by=user, issued_at=on or timezone.now(), reason=reason)
    report._history_user, report._change_reason = user, reason
    report.save()
    # Imported here: packs builds on audits (its pack gathers audits), not the other way round.
    from packs.tasks import store_audit_report

    store_audit_report.delay_on_commit(report.pk)
    return report


# The checklist
# ------------------------------------------------------------------------------


def _turtle_questions(process: Process) -> list[tuple[str, str, str, str]]:
    """(origin, clause, question, what to look at) for each item of the process's turtle, its
    hand-offs, KPIs and open risks, so the auditor walks this process rather than a generic list."""
    name = process.name
    questions = []
    for item in process.inputs.all():
        questions.append(
            (
                QuestionOrigin.INPUT,
                "8.4",
                _("How is “%(input)s” from %(supplier)s received and checked before %(process)s uses it?")
                % {"input": item.name, "supplier": item.supplier, "process": name},
                _("Incoming checks, what happens when it is late or wrong, a recent example."),
            )
        )
    for item in process.outputs.all():
        questions.append(
            (
                QuestionOrigin.OUTPUT,
                "8.6",
                _(
                    "Who releases “%(output)s” to %(customer)s, against which requirements, and where is "
                    "the release recorded?"
                )
                % {"output": item.name, "customer": item.customer},
                _("Sample two or three recent releases and follow them back to their checks."),
            )
        )
    for item in process.resources.all():
        questions.append(
            (
                QuestionOrigin.RESOURCE,
                "7.1",
                _("Is “%(resource)s” available and fit for use, and how is it kept so?")
                % {"resource": item.description},
                _("Calibration or maintenance records, training, spare capacity."),
            )
        )
    for item in process.documents.all():
        questions.append(
            (
                QuestionOrigin.DOCUMENT,
                "7.5",
                _("Is “%(document)s” current, and is the work done as it says?") % {"document": item.title},
                _("Compare the version in use at the workplace with the released one; watch the work."),
            )
        )
    for handoff in process.handoffs_in.all():
        questions.append(
            (
                QuestionOrigin.HANDOFF,
                "4.4",
                _("What does %(process)s need from %(source)s in “%(item)s”, and does it arrive complete and on time?")
                % {"process": name, "source": handoff.source.name, "item": handoff.item},
                _("Ask both sides; look for what is missing or chased."),
            )
        )
    for handoff in process.handoffs_out.all():
        questions.append(
            (
                QuestionOrigin.HANDOFF,
                "4.4",
                _("How does %(process)s hand “%(item)s” to %(target)s, and how do they know it is complete?")
                % {"process": name, "target": handoff.target.name, "item": handoff.item},
                _("The hand-over record, and what happened the last time something was missing."),
            )
        )
    for kpi in KPI.objects.measured().filter(processes=process).order_by("reference"):
        questions.append(
            (
                QuestionOrigin.KPI,
                "9.1",
                _(
                    "%(ref)s %(kpi)s: what do the latest values say, who looks at them, and what was done "
                    "when they were off target?"
                )
                % {"ref": kpi.reference, "kpi": kpi.name},
                _("The trend, the last review of it, actions raised from it."),
            )
        )
    for risk in Risk.objects.open().filter(processes=process).order_by("reference"):
        questions.append(
            (
                QuestionOrigin.RISK,
                "6.1",
                _("%(ref)s %(risk)s: are the planned controls in place, and do they work?")
                % {"ref": risk.reference, "risk": risk.title},
                _("Evidence of each control; the treatment actions and their effectiveness."),
            )
        )
    return questions


@transaction.atomic
def checklist_build(*, audit: Audit, user: User) -> int:
    """Add to the checklist the questions of the clauses in scope (their templates) and, for each
    process in scope, the questions of its own turtle. Questions already there are not added again,
    so building after the scope changed adds only what is new. Returns how many were added."""
    audit = _lock(audit)
    _may_change(audit, user)
    if audit.is_issued:
        raise PermissionDenied(_("The report of %(ref)s is issued: its checklist stands.") % {"ref": audit.reference})
    have = set(audit.checklist.values_list("process_id", "question"))
    position = audit.checklist.aggregate(last=Max("position"))["last"] or 0
    new = []
    templates = QuestionTemplate.objects.filter(is_active=True, clause__in=audit.clauses)
    for template in sorted(templates, key=lambda t: (Clause.sort_key(t.clause), t.order, t.pk)):
        new.append(
            ChecklistItem(
                audit=audit,
                clause=template.clause,
                origin=QuestionOrigin.TEMPLATE,
                question=template.text,
                guidance=template.guidance,
            )
        )
    processes = audit.processes.prefetch_related(
        "inputs", "outputs", "resources", "documents", "handoffs_in__source", "handoffs_out__target"
    ).order_by("reference")
    for process in processes:
        for origin, clause, question, guidance in _turtle_questions(process):
            new.append(
                ChecklistItem(
                    audit=audit,
                    process=process,
                    clause=clause,
                    origin=origin,
                    question=question[:400],
                    guidance=guidance,
                )
            )
    added = 0
    for item in new:
        if (item.process_id, item.question) in have:
            continue
        have.add((item.process_id, item.question))
        position += 1
        item.position = position
        item._history_user = user
        item.save()
        added += 1
    return added


def _item_locked(item: ChecklistItem) -> ChecklistItem:
    return ChecklistItem.objects.select_for_update().select_related("audit").get(pk=item.pk)


@transaction.atomic
def checklist_answer(
    *, item: ChecklistItem, user: User, result: str, notes: str = "", at: datetime | None = None
) -> ChecklistItem:
    """Record the result of one question and the notes: who answered and when are kept. `at` is
    when it was answered when that was before now (the demo's past)."""
    item = _item_locked(item)
    audit = _lock(item.audit)
    _may_change(audit, user)
    if audit.is_issued:
        raise PermissionDenied(_("The report of %(ref)s is issued: its checklist stands.") % {"ref": audit.reference})
    if result and result not in Result.values:
        raise ValidationError({"result": _("Choose one of the results.")})
    _start(audit, user)
    item.result, item.notes = result, notes.strip()
    item.answered_by, item.answered_at = (user, at or timezone.now()) if result else (None, None)
    item._history_user = user
    item.save()
    return item


@transaction.atomic
def checklist_add(*, audit: Audit, user: User, question: str, clause: str = "", process=None) -> ChecklistItem:
    """The auditor's own question, at the end of the checklist."""
    audit = _lock(audit)
    _may_change(audit, user)
    if audit.is_issued:
        raise PermissionDenied(_("The report of %(ref)s is issued: its checklist stands.") % {"ref": audit.reference})
    position = audit.checklist.aggregate(last=Max("position"))["last"] or 0
    item = ChecklistItem(
        audit=audit,
        position=position + 1,
        clause=clause,
        process=process,
        origin=QuestionOrigin.OWN,
        question=question.strip(),
    )
    item.full_clean()
    item._history_user = user
    item.save()
    return item


@transaction.atomic
def checklist_remove(*, item: ChecklistItem, user: User, reason: str = "") -> None:
    """Take a question off the checklist; the audit's History tab keeps it and the reason. A
    question a finding was recorded from stays."""
    item = _item_locked(item)
    audit = _lock(item.audit)
    _may_change(audit, user)
    if audit.is_issued:
        raise PermissionDenied(_("The report of %(ref)s is issued: its checklist stands.") % {"ref": audit.reference})
    if item.findings.exists():
        raise ValidationError(_("A finding was recorded from this question: it stays on the checklist."))
    item._history_user, item._change_reason = user, reason.strip()
    item.delete()


# Findings
# ------------------------------------------------------------------------------


@transaction.atomic
def finding_record(*, audit: Audit, user: User, raise_nonconformity: bool = False, **fields) -> Finding:
    """Record a finding of `audit` (kind, clause, process, title, description, evidence, and the
    checklist question it came from, if any); a nonconformity finding raises its nonconformity at
    once with `raise_nonconformity`."""
    audit = _lock(audit)
    _may_change(audit, user)
    if audit.is_issued:
        raise PermissionDenied(
            _("The report of %(ref)s is issued: its findings stand as issued.") % {"ref": audit.reference}
        )
    number = (audit.findings.aggregate(last=Max("number"))["last"] or 0) + 1
    finding = Finding(audit=audit, number=number, created_by=user, **fields)
    finding.full_clean(exclude=["number"])
    if finding.checklist_item_id and finding.checklist_item.audit_id != audit.pk:
        raise ValidationError({"checklist_item": _("Choose a question of this audit's checklist.")})
    _start(audit, user)
    finding._history_user = user
    finding.save()
    if raise_nonconformity and finding.is_nonconformity:
        finding.nonconformity = finding_raise_nonconformity(finding=finding, user=user)
    return finding


FINDING_FIELDS = ("kind", "clause", "process", "title", "description", "evidence")


@transaction.atomic
def finding_correct(*, finding: Finding, user: User, reason: str = "", **changes) -> Finding:
    """Change a finding. Once the report is issued the finding stands as issued: a correction then
    needs a reason, which the history keeps."""
    finding = Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    if not finding.user_can_change(user):
        raise PermissionDenied(_("Only the audit team and quality managers change its findings."))
    if finding.audit.is_issued and not reason.strip():
        raise ValidationError({"reason": _("The report is issued: say why the finding is corrected.")})
    if finding.nonconformity_id and changes.get("kind", finding.kind) not in FindingKind.nonconformities():
        raise ValidationError(
            {
                "kind": _("This finding raised %(nc)s: it stays a nonconformity.")
                % {"nc": finding.nonconformity.reference}
            }
        )
    before = [getattr(finding, name) for name in FINDING_FIELDS]
    for name, value in changes.items():
        if name not in FINDING_FIELDS:
            raise ValueError(name)
        setattr(finding, name, value)
    finding.full_clean()
    finding._history_user, finding._change_reason = user, reason.strip()
    finding.save()
    if finding.audit.is_issued and before != [getattr(finding, name) for name in FINDING_FIELDS]:
        # The issued report stays as it was stored; the correction issues a new version.
        report_version_issue(
            audit=_lock(finding.audit),
            user=user,
            reason=_("%(finding)s corrected: %(reason)s") % {"finding": finding.reference, "reason": reason.strip()},
        )
    return finding


@transaction.atomic
def finding_respond(*, finding: Finding, user: User, response: str, at: datetime | None = None) -> Finding:
    """An auditee answers a finding of their audit (how they see it, what they will do); `at` as
    for checklist_answer."""
    finding = Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    if not finding.user_can_respond(user):
        raise PermissionDenied(_("The auditees of %(ref)s answer its findings.") % {"ref": finding.audit.reference})
    if not response.strip():
        raise ValidationError({"auditee_response": _("Write the answer.")})
    finding.auditee_response, finding.responded_by, finding.responded_at = response.strip(), user, at or timezone.now()
    finding._history_user = user
    finding.save()
    return finding


@transaction.atomic
def finding_raise_nonconformity(*, finding: Finding, user: User, detected_on: date | None = None):
    """Raise the nonconformity of a major or minor nonconformity finding, owned by the process's
    owner, once."""
    finding = Finding.objects.select_for_update().select_related("audit", "process").get(pk=finding.pk)
    if not finding.user_can_change(user):  # the audit team, while the audit is neither closed nor cancelled
        raise PermissionDenied(
            _("Only the audit team and quality managers raise nonconformities from the findings of an open audit.")
        )
    if not finding.is_nonconformity:
        raise ValidationError(_("Only a major or minor nonconformity finding raises a nonconformity."))
    if finding.nonconformity_id:
        raise ValidationError(
            _("%(finding)s raised %(nc)s already.")
            % {"finding": finding.reference, "nc": finding.nonconformity.reference}
        )
    nc = nonconformity_raise(
        user=user,
        owner=finding.process.owner,
        title=finding.title,
        description=f"{finding.description}\n\n{_('Evidence')}: {finding.evidence}",
        origin=Origin.AUDIT_FINDING,
        severity=Severity.MAJOR if finding.kind == FindingKind.MAJOR_NC else Severity.MINOR,
        processes=[finding.process],
        source=finding,
        detected_on=detected_on or timezone.localdate(),
    )
    finding.nonconformity = nc
    finding._history_user, finding._change_reason = user, _("Raised %(nc)s") % {"nc": nc.reference}
    finding.save()
    return nc


@transaction.atomic
def finding_raise_action(*, finding: Finding, user: User, due_date: date | None = None) -> Action:
    """Raise an improvement action from an opportunity for improvement, owned by the process's owner."""
    finding = Finding.objects.select_for_update().select_related("audit", "process").get(pk=finding.pk)
    if not finding.user_can_change(user):  # the audit team, while the audit is neither closed nor cancelled
        raise PermissionDenied(
            _("Only the audit team and quality managers raise actions from the findings of an open audit.")
        )
    if finding.kind != FindingKind.OFI:
        raise ValidationError(_("An improvement action is raised from an opportunity for improvement."))
    if finding.action_id:
        raise ValidationError(
            _("%(finding)s raised %(action)s already.")
            % {"finding": finding.reference, "action": finding.action.reference}
        )
    action = Action(
        owner=finding.process.owner,
        title=finding.title,
        description=finding.description,
        kind=ActionKind.IMPROVEMENT,
        due_date=due_date or timezone.localdate() + timedelta(days=IMPROVEMENT_DUE_DAYS),
    )
    action.source = finding
    action.full_clean(exclude=["reference"])
    action._history_user = user
    action.save()
    action.processes.set([finding.process])
    finding.action = action
    finding._history_user, finding._change_reason = user, _("Raised %(action)s") % {"action": action.reference}
    finding.save()
    return action


# Reminders
# ------------------------------------------------------------------------------


def _send(kind: str, audit: Audit, key: str, person: User, subject: str, template: str) -> bool:
    """Queue one reminder, once: False when it was queued before."""
    return notification_mail(
        kind=kind,
        record=audit,
        key=key,
        recipient=person,
        subject=subject,
        body=render_to_string(template, {"audit": audit, "person": person, "site_url": settings.SITE_URL}),
    )


def audits_remind_upcoming(*, today: date | None = None) -> int:
    """E-mail the team and the auditees of each audit starting within AUDIT_REMINDER_DAYS, once
    per audit, person and start date. Returns how many were queued (qms.outbox sends them)."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.AUDIT_REMINDER_DAYS)
    audits = (
        Audit.objects.filter(
            status__in=[AuditStatus.PLANNED, AuditStatus.PREPARED], planned_start__gte=today, planned_start__lte=soon
        )
        .select_related("owner")
        .prefetch_related("team", "auditees")
    )
    sent = 0
    for audit in audits.in_batches(BATCH):
        people = {p.pk: p for p in [audit.owner, *audit.team.all(), *audit.auditees.all()] if p.is_active and p.email}
        for person in people.values():
            key = f"{audit.planned_start.isoformat()}:{person.pk}"
            subject = _("Audit %(ref)s starts on %(day)s: %(title)s") % {
                "ref": audit.reference,
                "day": audit.planned_start.isoformat(),
                "title": audit.title,
            }
            sent += _send("audit_upcoming", audit, key, person, subject, "audits/emails/upcoming.txt")
    return sent


def audits_remind_report_overdue(*, today: date | None = None) -> int:
    """E-mail the lead auditor of each audit whose report is overdue, once per audit and end date."""
    today = today or timezone.localdate()
    sent = 0
    for audit in Audit.objects.report_overdue(today).select_related("owner").in_batches(BATCH):
        if not (audit.owner.is_active and audit.owner.email):
            continue
        subject = _("Report overdue: %(audit)s") % {"audit": audit}
        sent += _send(
            "audit_report_overdue",
            audit,
            audit.planned_end.isoformat(),
            audit.owner,
            subject,
            "audits/emails/report_overdue.txt",
        )
    return sent
