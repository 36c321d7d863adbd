"""Evidence packs: requesting one, rendering it once (claimed, so a second run changes nothing), and
the single-record PDFs of an audit report and of a nonconformity, which share the pack's look."""

import hashlib
import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import Audit, IssuedReport
from nonconformities.models import Nonconformity
from qms.clauses import Clause
from qms.history import history_bulk_record
from qms.models import Action, Attachment, User
from qms.services import notification_mail

from .choices import PackStatus
from .models import EvidencePack
from .render import CheckedFile, RenderedPDF, checked_file, template_to_pdf
from .selectors import PackContent, pack_clauses, pack_content

logger = logging.getLogger(__name__)

# A pack of an audit shows the year of records up to the audit's end.
AUDIT_PERIOD = timedelta(days=365)


# Requesting
# ------------------------------------------------------------------------------


@transaction.atomic
def pack_request(
    *,
    user: User,
    audit: Audit | None = None,
    processes=(),
    clauses: list[str] = (),
    period_from: date | None = None,
    period_to: date | None = None,
    render: bool = True,
) -> EvidencePack:
    """Queue a pack for `audit` (its processes and clauses, the year up to its end) or for the chosen
    processes, clauses and period, as of now; its rendering starts once this transaction commits.

    Raises PermissionDenied for those who may not export packs (or may not view the audit) and
    ValidationError for a period or clauses the model refuses."""
    if not EvidencePack.user_can_add(user):
        raise PermissionDenied(_("Evidence packs are exported by auditors and quality managers."))
    if audit is not None:
        if not Audit.objects.restrict(user, "view").filter(pk=audit.pk).exists():
            raise PermissionDenied(_("You may not view this audit."))
        processes, clauses = list(audit.processes.all()), audit.clauses_covered()
        period_to = period_to or audit.planned_end
        period_from = period_from or period_to - AUDIT_PERIOD
    pack = EvidencePack(
        audit=audit,
        clauses=list(clauses),
        period_from=period_from,
        period_to=period_to,
        as_of=timezone.now(),
        requested_by=user,
    )
    pack.full_clean(exclude=["file"])
    pack._history_user = user
    pack.save()
    pack.processes.set(processes)
    if render:
        from .tasks import render_pack

        render_pack.delay_on_commit(pack.pk)
    return pack


# Rendering
# ------------------------------------------------------------------------------


def pack_progress(pack_id: int, percent: int) -> None:
    """How far the rendering has come. Written straight to the row, outside the history (which
    excludes it): progress is not part of the record, and the page polls it."""
    EvidencePack.objects.filter(pk=pack_id, status=PackStatus.RENDERING).update(progress=percent)


def _claim(pack_id: int) -> bool:
    """Take a queued pack for rendering; False when another run has it or it is made already. The
    claim is a conditional UPDATE, which simple-history does not see, so its snapshot is written here:
    by no one (the task acts for nobody), saying what happened."""
    with transaction.atomic():
        claimed = EvidencePack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(
            status=PackStatus.RENDERING, progress=5, started_at=timezone.now()
        )
        if claimed:
            history_bulk_record(
                list(EvidencePack.objects.filter(pk=pack_id)), EvidencePack, update=True, reason=_("Rendering started")
            )
    return bool(claimed)


# Far longer than any pack takes: a pack still waiting or rendering after this was lost by its worker.
STALLED_AFTER = timedelta(hours=1)


def packs_resume_stalled(*, now=None) -> int:
    """Queue again the packs a worker lost: killed while rendering one (it stays "rendering", and
    its redelivered task may not claim it) or never given the message. Their rendering starts over
    from the records as they stood at the pack's date, so the result is the same pack. Returns how
    many were queued again; a run that finds none changes nothing."""
    from .tasks import render_pack

    cutoff = (now or timezone.now()) - STALLED_AFTER
    with transaction.atomic():
        lost = EvidencePack.objects.select_for_update().filter(status=PackStatus.RENDERING, started_at__lt=cutoff)
        lost_ids = list(lost.values_list("pk", flat=True))
        EvidencePack.objects.filter(pk__in=lost_ids).update(status=PackStatus.QUEUED, progress=0, started_at=None)
        history_bulk_record(
            list(EvidencePack.objects.filter(pk__in=lost_ids)),
            EvidencePack,
            update=True,
            reason=_("Queued again: its worker was lost while rendering it"),
        )
    stalled = list(
        EvidencePack.objects.filter(status=PackStatus.QUEUED, requested_at__lt=cutoff).values_list("pk", flat=True)
    )
    for pack_id in stalled:
        render_pack.delay(pack_id)
    return len(stalled)


def pack_render(pack_id: int, *, notify: bool = True) -> EvidencePack:
    """Render a queued pack once and store its PDF.

    1. Claim it (queued → rendering) with a conditional UPDATE: a done, failed or running pack is
       left as it is, so running this twice changes nothing more.
    2. Gather its records as they stood at its date, check its evidence files, render the HTML and
       the PDF, keeping the page on the progress.
    3. Store the PDF under a generated name with its size, SHA-256 and page count, and mark it done;
       on an error, mark it failed with the error.
    4. Tell the requester, once (unless `notify` is off: the demo's seeding tells no one).
    """
    if not _claim(pack_id):
        return EvidencePack.objects.get(pk=pack_id)
    pack = EvidencePack.objects.select_related("audit", "requested_by").get(pk=pack_id)
    try:
        content = pack_content(pack)
        pack_progress(pack.pk, 30)
        files = check_files(content.files)
        pack_progress(pack.pk, 40)
        rendered = template_to_pdf(
            "packs/pdf/pack.html",
            _pack_context(pack, content, files),
            files=list(files.values()),
            images=content.charts,
            progress=lambda percent: pack_progress(pack.pk, percent),
        )
    except Exception as error:  # a pack that cannot be made says why, on its page
        logger.exception("Evidence pack %s failed", pack.pk)
        pack.status, pack.error, pack.finished_at = (
            PackStatus.FAILED,
            f"{type(error).__name__}: {error}",
            timezone.now(),
        )
        pack.save(update_fields=["status", "error", "finished_at"])
    else:
        _store(pack, rendered)
    if notify:
        _notify(pack)
    return pack


def check_files(files: list[Attachment]) -> dict[int, CheckedFile]:
    """The evidence files that can be embedded, by attachment id: each read from the path its record
    names inside MEDIA_ROOT and matching the SHA-256 taken at upload."""
    checked = {}
    for attachment in files:
        found = checked_file(
            attachment.file.name,
            key=f"evidence/{attachment.pk}",
            sha256=attachment.sha256,
            name=f"{attachment.evidence_reference}-{attachment.pk}-{attachment.name}",
            description=attachment.description or attachment.name,
            media_type=attachment.media_type,
        )
        if found is not None:
            checked[attachment.pk] = found
    return checked


def _pack_context(pack: EvidencePack, content: PackContent, files: dict[int, CheckedFile]) -> dict:
    return {
        "pack": pack,
        "content": content,
        "organisation": settings.SITE_NAME,
        "doc_title": pack.title,
        "doc_ref": f"{pack.reference} · {_('records as of')} {timezone.localtime(pack.as_of):%Y-%m-%d %H:%M}",
        "created": pack.as_of,
        "pack_clauses": pack_clauses(pack),
        "all_clause_count": len(Clause.values),
        "embedded": set(files),
        "pictures": {pk for pk, file in files.items() if file.is_image},
    }


def _store(pack: EvidencePack, rendered: RenderedPDF) -> None:
    with transaction.atomic():
        pack.file.save("pack.pdf", ContentFile(rendered.content), save=False)
        pack.size = len(rendered.content)
        pack.sha256 = hashlib.sha256(rendered.content).hexdigest()
        pack.page_count = rendered.pages
        pack.status, pack.progress, pack.finished_at = PackStatus.DONE, 100, timezone.now()
        pack.save(update_fields=["file", "size", "sha256", "page_count", "status", "progress", "finished_at"])


def _notify(pack: EvidencePack) -> None:
    """E-mail the requester that the pack is ready (or failed), once per pack."""
    requester = pack.requested_by
    if not requester.email:
        return
    subject = _("Evidence pack ready: %(pack)s") if pack.is_done else _("Evidence pack failed: %(pack)s")
    notification_mail(
        kind="evidence_pack",
        record=pack,
        key=pack.status,
        recipient=requester,
        subject=subject % {"pack": pack},
        body=render_to_string("emails/evidence_pack.txt", {"pack": pack, "site_url": settings.SITE_URL}),
    )


# Single records
# ------------------------------------------------------------------------------


def audit_report_pdf(audit: Audit, *, report: IssuedReport | None = None) -> RenderedPDF:
    """The audit's report as it stands: summary, strengths, findings by clause, conclusion, and who
    issued it when; as `report`, the version being issued, when given."""
    if report is None:
        doc_ref, created = f"{audit.reference} · {_('printed')} {timezone.localtime():%Y-%m-%d %H:%M}", timezone.now()
    else:
        issued = timezone.localtime(report.issued_at)
        doc_ref = f"{audit.reference} · {_('version')} {report.version} · {_('issued')} {issued:%Y-%m-%d %H:%M}"
        created = report.issued_at
    findings = list(audit.findings.select_related("process").order_by("clause", "number"))
    findings.sort(key=lambda f: (Clause.sort_key(f.clause), f.number))
    context = {
        "audit": audit,
        "findings": findings,
        "team": list(audit.team.all()),
        "auditees": list(audit.auditees.all()),
        "processes": list(audit.processes.all()),
        "organisation": settings.SITE_NAME,
        "doc_title": _("Audit report %(ref)s") % {"ref": audit.reference},
        "doc_ref": doc_ref,
        "created": created,
    }
    return template_to_pdf("packs/pdf/audit_report.html", context)


def audit_report_store(report_id: int) -> IssuedReport:
    """Render an issued version of an audit's report once and store it as evidence.

    1. A version stored already is left as it is: running this again changes nothing.
    2. Render the report as it stands (the task runs as the issue commits; a correction after that
       issues a version of its own). No row is held while WeasyPrint works.
    3. In one short transaction, with the version's row locked: if another run stored it meanwhile,
       keep theirs; otherwise store the PDF under a generated name with its size, SHA-256 and page
       count. The history records it with no user (the task acts for nobody) and says what it did.
    """
    report = IssuedReport.objects.select_related("audit__programme", "audit__owner", "audit__issued_by").get(
        pk=report_id
    )
    if report.is_stored:
        return report
    rendered = audit_report_pdf(report.audit, report=report)
    with transaction.atomic():
        report = IssuedReport.objects.select_for_update().select_related("audit").get(pk=report_id)
        if report.is_stored:
            return report
        report.file.save("report.pdf", ContentFile(rendered.content), save=False)
        report.size, report.page_count = len(rendered.content), rendered.pages
        report.sha256 = hashlib.sha256(rendered.content).hexdigest()
        report.stored_at = timezone.now()
        report._history_user = None
        report._change_reason = _("PDF stored, SHA-256 %(sha)s") % {"sha": report.sha256}
        report.save(update_fields=["file", "size", "page_count", "sha256", "stored_at"])
    return report


def audit_reports_resume(*, now=None) -> int:
    """Queue again the issued reports whose PDF is still not stored an hour after their issue (a
    worker lost the task, or the report was issued before reports were stored). Returns how many."""
    from .tasks import store_audit_report

    cutoff = (now or timezone.now()) - STALLED_AFTER
    pending = list(IssuedReport.objects.pending().filter(issued_at__lt=cutoff).values_list("pk", flat=True))
    for report_id in pending:
        store_audit_report.delay(report_id)
    return len(pending)


def nonconformity_pdf(nonconformity: Nonconformity) -> RenderedPDF:
    """The nonconformity as it stands, with its corrective actions and their effectiveness."""
    actions = list(Action.objects.raised_by(nonconformity).select_related("owner").order_by("due_date", "pk"))
    context = {
        "n": nonconformity,
        "x": {
            "processes": [str(p) for p in nonconformity.processes.all()],
            "reviewed_by": nonconformity.reviewed_by,
            "actions": [_ActionRow(a) for a in actions],
        },
        "organisation": settings.SITE_NAME,
        "doc_title": str(nonconformity),
        "doc_ref": f"{nonconformity.reference} · {_('printed')} {timezone.localtime():%Y-%m-%d %H:%M}",
        "created": timezone.now(),
    }
    return template_to_pdf("packs/pdf/nonconformity.html", context)


class _ActionRow:
    """An action as the pack's action table reads it (reference, title, owner, version)."""

    def __init__(self, action: Action):
        self.version = action
        self.reference, self.title, self.owner = action.reference, action.title, action.owner
        self.anchor = ""
