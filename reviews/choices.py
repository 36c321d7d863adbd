from django.db import models
from django.utils.translation import gettext_lazy as _


class IssueSide(models.TextChoices):
    EXTERNAL = "external", _("External")
    INTERNAL = "internal", _("Internal")


class IssueCategory(models.TextChoices):
    # External (PESTLE, and the market the organisation sells into)
    POLITICAL = "political", _("Political")
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")
    TECHNOLOGICAL = "technological", _("Technological")
    LEGAL = "legal", _("Legal and regulatory")
    ENVIRONMENTAL = "environmental", _("Environmental")
    MARKET = "market", _("Market and competition")
    # Internal
    VALUES = "values", _("Values and culture")
    KNOWLEDGE = "knowledge", _("Knowledge and skills")
    PERFORMANCE = "performance", _("Performance")
    RESOURCES = "resources", _("Resources and infrastructure")
    ORGANISATION = "organisation", _("Organisation and governance")


CATEGORIES = {
    IssueSide.EXTERNAL: [
        IssueCategory.POLITICAL,
        IssueCategory.ECONOMIC,
        IssueCategory.SOCIAL,
        IssueCategory.TECHNOLOGICAL,
        IssueCategory.LEGAL,
        IssueCategory.ENVIRONMENTAL,
        IssueCategory.MARKET,
    ],
    IssueSide.INTERNAL: [
        IssueCategory.VALUES,
        IssueCategory.KNOWLEDGE,
        IssueCategory.PERFORMANCE,
        IssueCategory.RESOURCES,
        IssueCategory.ORGANISATION,
    ],
}


class Effect(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    BOTH = "both", _("Positive and negative")


EFFECT_COLOURS = {Effect.POSITIVE: "success", Effect.NEGATIVE: "danger", Effect.BOTH: "warning"}


class ContextStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


CONTEXT_STATUS_COLOURS = {ContextStatus.ACTIVE: "success", ContextStatus.RETIRED: "light border"}


class PartyKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    SUPPLIER = "supplier", _("Supplier or external provider")
    EMPLOYEE = "employee", _("Employees")
    OWNER = "owner", _("Owner or shareholder")
    REGULATOR = "regulator", _("Regulator or authority")
    CERTIFICATION_BODY = "certification_body", _("Certification body")
    COMMUNITY = "community", _("Community and neighbours")
    OTHER = "other", _("Other")


class StatementKind(models.TextChoices):
    POLICY = "policy", _("Quality policy")
    SCOPE = "scope", _("QMS scope")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


STATEMENT_STATUS_COLOURS = {
    StatementStatus.DRAFT: "warning",
    StatementStatus.APPROVED: "success",
    StatementStatus.SUPERSEDED: "light border",
}


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PREPARED = "prepared", _("Prepared")
    IN_MEETING = "in_meeting", _("In meeting")
    ISSUED = "issued", _("Minutes issued")


REVIEW_STATUS_COLOURS = {
    ReviewStatus.PLANNED: "secondary",
    ReviewStatus.PREPARED: "info",
    ReviewStatus.IN_MEETING: "warning",
    ReviewStatus.ISSUED: "success",
}


class ReviewInput(models.TextChoices):
    """The inputs a management review considers (ISO 9001 9.3.2), in the order the pack and the
    meeting take them, named by their letter."""

    A = "a", _("a) Actions from earlier reviews")
    B = "b", _("b) Changes in internal and external issues")
    C1 = "c1", _("c1) Customer satisfaction and feedback")
    C2 = "c2", _("c2) Quality objectives")
    C3 = "c3", _("c3) Process performance and conformity")
    C4 = "c4", _("c4) Nonconformities and corrective actions")
    C5 = "c5", _("c5) Monitoring and measurement results")
    C6 = "c6", _("c6) Audit results")
    C7 = "c7", _("c7) External providers")
    D = "d", _("d) Adequacy of resources")
    E = "e", _("e) Actions on risks and opportunities")
    F = "f", _("f) Opportunities for improvement")


class OutputKind(models.TextChoices):
    """What a review decides (ISO 9001 9.3.3); each decision becomes an action."""

    IMPROVEMENT = "improvement", _("Improvement opportunity")
    QMS_CHANGE = "qms_change", _("Change to the QMS")
    RESOURCE_NEED = "resource_need", _("Resource need")
