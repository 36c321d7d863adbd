from django.db import models
from django.utils.translation import gettext_lazy as _


class PackStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")

    @classmethod
    def pending(cls) -> list[str]:
        """Still to be made: the pack page polls while a pack is in one of these."""
        return [cls.QUEUED, cls.RENDERING]


PACK_STATUS_COLOURS = {
    PackStatus.QUEUED: "secondary",
    PackStatus.RENDERING: "primary",
    PackStatus.DONE: "success",
    PackStatus.FAILED: "danger",
}
