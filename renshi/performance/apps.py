from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "renshi.performance"
    label = "performance"
    verbose_name = _("Performance cycles")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers access policies and permissions)

        # each part registers its notification events, alert evaluators and menu entries
        from . import hooks_cards, hooks_plans, hooks_results  # noqa: F401
