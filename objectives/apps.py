from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectivesConfig(AppConfig):
    name = "objectives"
    verbose_name = _("Objectives and KPIs")

    def ready(self) -> None:
        from . import sections  # noqa: F401  registers the KPI sections on shared pages
