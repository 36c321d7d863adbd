from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QmsConfig(AppConfig):
    name = "qms"
    verbose_name = _("QMS core")

    def ready(self) -> None:
        from . import (
            lookups,  # noqa: F401  an id too large for any integer column matches nothing in __in
            overview,  # noqa: F401  whoever changes a record sees the dashboard's figures worked out again
            sections,  # noqa: F401  registers the core's sections on the process hub and My work
            twofactor,  # noqa: F401  holds people whose role requires a second factor to enrolling
        )
