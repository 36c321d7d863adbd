from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    """Where a nonconformity was found."""

    AUDIT_FINDING = "audit_finding", _("Audit finding")
    CUSTOMER_COMPLAINT = "customer_complaint", _("Customer complaint")
    PROCESS = "process", _("Process")
    SUPPLIER = "supplier", _("Supplier")
    KPI_BREACH = "kpi_breach", _("KPI breach")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")


class NCStatus(models.TextChoices):
    """The workflow of ISO 9001 10.2: react, find the cause, act on it, check that it worked."""

    REPORTED = "reported", _("Reported")
    CONTAINED = "contained", _("Contained")
    ANALYSED = "analysed", _("Cause found")
    CORRECTIVE_ACTION = "corrective_action", _("Corrective action")
    EFFECTIVENESS_REVIEW = "effectiveness_review", _("Effectiveness review")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def open(cls) -> list[str]:
        return [s for s in cls.values if s not in (cls.CLOSED, cls.CANCELLED)]


NC_STATUS_COLOURS = {
    NCStatus.REPORTED: "danger",
    NCStatus.CONTAINED: "warning",
    NCStatus.ANALYSED: "info",
    NCStatus.CORRECTIVE_ACTION: "primary",
    NCStatus.EFFECTIVENESS_REVIEW: "secondary",
    NCStatus.CLOSED: "success",
    NCStatus.CANCELLED: "light border",
}


class RootCauseMethod(models.TextChoices):
    FIVE_WHYS = "five_whys", _("5 whys")
    FISHBONE = "fishbone", _("Cause and effect (fishbone)")
    FREE_TEXT = "free_text", _("Free text")
