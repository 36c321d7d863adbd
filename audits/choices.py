from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PREPARED = "prepared", _("Prepared")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORTED = "reported", _("Reported")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def open(cls) -> list[str]:
        """Audits still to be held or reported."""
        return [cls.PLANNED, cls.PREPARED, cls.IN_PROGRESS]


AUDIT_STATUS_COLOURS = {
    AuditStatus.PLANNED: "secondary",
    AuditStatus.PREPARED: "info",
    AuditStatus.IN_PROGRESS: "primary",
    AuditStatus.REPORTED: "success",
    AuditStatus.CLOSED: "dark",
    AuditStatus.CANCELLED: "light border",
}


class Result(models.TextChoices):
    """What the auditor found for one checklist question."""

    CONFORMS = "conforms", _("Conforms")
    MINOR_NC = "minor_nc", _("Minor nonconformity")
    MAJOR_NC = "major_nc", _("Major nonconformity")
    OBSERVATION = "observation", _("Observation")
    OFI = "ofi", _("Opportunity for improvement")
    NOT_AUDITED = "not_audited", _("Not audited")


RESULT_COLOURS = {
    Result.CONFORMS: "success",
    Result.MINOR_NC: "warning",
    Result.MAJOR_NC: "danger",
    Result.OBSERVATION: "info",
    Result.OFI: "primary",
    Result.NOT_AUDITED: "secondary",
}


class FindingKind(models.TextChoices):
    MAJOR_NC = "major_nc", _("Major nonconformity")
    MINOR_NC = "minor_nc", _("Minor nonconformity")
    OBSERVATION = "observation", _("Observation")
    OFI = "ofi", _("Opportunity for improvement")

    @classmethod
    def nonconformities(cls) -> list[str]:
        """Findings that raise a nonconformity."""
        return [cls.MAJOR_NC, cls.MINOR_NC]


FINDING_COLOURS = {
    FindingKind.MAJOR_NC: "danger",
    FindingKind.MINOR_NC: "warning",
    FindingKind.OBSERVATION: "info",
    FindingKind.OFI: "success",
}


class QuestionOrigin(models.TextChoices):
    """Where a checklist question came from: the clause's template, or the process's own turtle."""

    TEMPLATE = "template", _("Clause question")
    INPUT = "input", _("Process input")
    OUTPUT = "output", _("Process output")
    RESOURCE = "resource", _("Process resource")
    DOCUMENT = "document", _("Method or criteria")
    HANDOFF = "handoff", _("Hand-off")
    KPI = "kpi", _("KPI")
    RISK = "risk", _("Risk or opportunity")
    OWN = "own", _("Added by the auditor")
