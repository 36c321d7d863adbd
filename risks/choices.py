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


# A band reads differently for a threat and for a chance: a risk's bands run from green to red, an
# opportunity's from a pale to a deep green under names of benefit, so a big opportunity never
# looks like an alarm.
BAND_COLOURS = {Band.LOW: "success", Band.MEDIUM: "warning", Band.HIGH: "orange", Band.CRITICAL: "danger"}
OPPORTUNITY_BAND_COLOURS = {Band.LOW: "opp-1", Band.MEDIUM: "opp-2", Band.HIGH: "opp-3", Band.CRITICAL: "opp-4"}
OPPORTUNITY_BAND_LABELS = {
    Band.LOW: _("Minor"),
    Band.MEDIUM: _("Moderate"),
    Band.HIGH: _("Major"),
    Band.CRITICAL: _("Exceptional"),
}


def band_colour(kind: str, band: str) -> str:
    colours = OPPORTUNITY_BAND_COLOURS if kind == RiskKind.OPPORTUNITY else BAND_COLOURS
    return colours.get(band, "secondary")


def band_label(kind: str, band: str) -> str:
    if not band:
        return ""
    return str(OPPORTUNITY_BAND_LABELS[band] if kind == RiskKind.OPPORTUNITY else Band(band).label)


class Category(models.TextChoices):
    CUSTOMER = "customer", _("Customer and market")
    PRODUCT = "product", _("Product and process")
    SUPPLY = "supply", _("Supply chain")
    PEOPLE = "people", _("People and competence")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure and equipment")
    COMPLIANCE = "compliance", _("Legal and compliance")
    FINANCE = "finance", _("Financial")
    STRATEGY = "strategy", _("Strategic")
