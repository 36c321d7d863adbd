from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Processes")

    def ready(self) -> None:
        from . import sections  # noqa: F401  registers the processes' sections on shared pages
