from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Management reviews")

    def ready(self) -> None:
        from . import sections  # noqa: F401  registers the context sections on shared pages
