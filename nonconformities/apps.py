from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NonconformitiesConfig(AppConfig):
    name = "nonconformities"
    verbose_name = _("Nonconformities")

    def ready(self) -> None:
        from . import sections  # noqa: F401  registers the nonconformity sections on shared pages
