from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskKind(models.TextChoices):
    RISK = "risk", _("Risk")
    OPPORTUNITY = "opportunity", _("Opportunity")


class RiskStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    ASSESSED = "assessed", _("Assessed")
    IN_TREATMENT = "in_treatment", _("In treatment")
    MONITORED = "monitored", _("Monitored")
    CLOSED = "closed", _("Closed")


RISK_STATUS_COLOURS = {
    RiskStatus.IDENTIFIED: "secondary",
    RiskStatus.ASSESSED: "info",
    RiskStatus.IN_TREATMENT: "primary",
    RiskStatus.MONITORED: "success",
    RiskStatus.CLOSED: "light border",
}


class Strategy(models.TextChoices):
    # Risks
    AVOID = "avoid", _("Avoid")
    REDUCE = "reduce", _("Reduce")
    TRANSFER = "transfer", _("Transfer")
    ACCEPT = "accept", _("Accept")
    # Opportunities
    PURSUE = "pursue", _("Pursue")
    ENHANCE = "enhance", _("Enhance")
    SHARE = "share", _("Share")
    DECLINE = "decline", _("Decline")


STRATEGIES = {
    RiskKind.RISK: [Strategy.AVOID, Strategy.REDUCE, Strategy.TRANSFER, Strategy.ACCEPT],
    RiskKind.OPPORTUNITY: [Strategy.PURSUE, Strategy.ENHANCE, Strategy.SHARE, Strategy.DECLINE],
}


class Band(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


BAND_COLOURS = {Band.LOW: "success", Band.MEDIUM: "warning", Band.HIGH: "orange", Band.CRITICAL: "danger"}


class Category(models.TextChoices):
    CUSTOMER = "customer", _("Customer and market")
    PRODUCT = "product", _("Product and process")
    SUPPLY = "supply", _("Supply chain")
    PEOPLE = "people", _("People and competence")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure and equipment")
    COMPLIANCE = "compliance", _("Legal and compliance")
    FINANCE = "finance", _("Financial")
    STRATEGY = "strategy", _("Strategic")
