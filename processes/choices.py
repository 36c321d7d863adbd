from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessType(models.TextChoices):
    MANAGEMENT = "management", _("Management")
    CORE = "core", _("Core (operational)")
    SUPPORT = "support", _("Support")


class ProcessStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


PROCESS_STATUS_COLOURS = {
    ProcessStatus.DRAFT: "secondary",
    ProcessStatus.ACTIVE: "success",
    ProcessStatus.RETIRED: "light border",
}


class ResourceKind(models.TextChoices):
    PEOPLE = "people", _("People")
    EQUIPMENT = "equipment", _("Equipment and infrastructure")
    ENVIRONMENT = "environment", _("Work environment")
    INFORMATION = "information", _("Information and knowledge")
