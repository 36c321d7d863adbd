from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership")
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    PROCESS_OWNER = "process_owner", _("Process owner")
    AUDITOR = "auditor", _("Auditor")
    CONTRIBUTOR = "contributor", _("Contributor")
    VIEWER = "viewer", _("Viewer")


class OrgUnitKind(models.TextChoices):
    SITE = "site", _("Site")
    DEPARTMENT = "department", _("Department")
    TEAM = "team", _("Team")


class ActionKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    CORRECTIVE = "corrective", _("Corrective action")
    PREVENTIVE = "preventive", _("Preventive action")
    IMPROVEMENT = "improvement", _("Improvement")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    VERIFIED_EFFECTIVE = "effective", _("Verified effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def active(cls) -> list[str]:
        """Statuses in which work is still to be done, so a passed due date makes the action overdue."""
        return [cls.OPEN, cls.IN_PROGRESS]

    @classmethod
    def verified(cls) -> list[str]:
        return [cls.VERIFIED_EFFECTIVE, cls.NOT_EFFECTIVE]

    @classmethod
    def closed(cls) -> list[str]:
        """Checked or cancelled: nothing more will happen to the action."""
        return [*cls.verified(), cls.CANCELLED]

    @classmethod
    def current(cls) -> list[str]:
        """Not closed: work to do, or done and awaiting its check. Named, not "not closed", so an
        index on status finds them without reading the closed ones (the action list's count)."""
        return [*cls.active(), cls.DONE]


ACTION_STATUS_COLOURS = {
    ActionStatus.OPEN: "secondary",
    ActionStatus.IN_PROGRESS: "primary",
    ActionStatus.DONE: "info",
    ActionStatus.VERIFIED_EFFECTIVE: "success",
    ActionStatus.NOT_EFFECTIVE: "warning",
    ActionStatus.CANCELLED: "light border",
}
