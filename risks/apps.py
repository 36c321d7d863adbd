from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    name = "risks"
    verbose_name = _("Risks and opportunities")

    def ready(self) -> None:
        from . import sections  # noqa: F401  registers the risk sections on shared pages
