from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")
    RANGE = "range", _("Within a range")


class Nature(models.TextChoices):
    OUTCOME = "outcome", _("Outcome (customer or quality result)")
    ACTIVITY = "activity", _("Activity")


class ReviewTopic(models.TextChoices):
    """What a KPI tells management review about, besides its process (ISO 9001 9.3.2 c)."""

    NONE = "", _("Its process's performance")
    CUSTOMER = "customer", _("Customer satisfaction and feedback")
    SUPPLIER = "supplier", _("Performance of external providers")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    FORMULA = "formula", _("Calculated by a formula")


class KPIStatus(models.TextChoices):
    """Ordered worst first, so sorting by `severity` shows what needs attention at the top."""

    OFF_TARGET = "off_target", _("Off target")
    OVERDUE = "overdue", _("Overdue")
    WARNING = "warning", _("Warning")
    ON_TARGET = "on_target", _("On target")
    NO_DATA = "no_data", _("No data")

    @classmethod
    def judged(cls) -> list[str]:
        """Statuses that come from a value, as opposed to a missing one."""
        return [cls.ON_TARGET, cls.WARNING, cls.OFF_TARGET]


KPI_STATUS_COLOURS = {
    KPIStatus.ON_TARGET: "success",
    KPIStatus.WARNING: "warning",
    KPIStatus.OFF_TARGET: "danger",
    KPIStatus.OVERDUE: "dark",
    KPIStatus.NO_DATA: "secondary",
}


class ObjectiveStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACHIEVED = "achieved", _("Achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OBJECTIVE_STATUS_COLOURS = {
    ObjectiveStatus.ACTIVE: "primary",
    ObjectiveStatus.ACHIEVED: "success",
    ObjectiveStatus.NOT_ACHIEVED: "danger",
    ObjectiveStatus.WITHDRAWN: "light border",
}
