from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "renshi.performance"
    label = "performance"
    verbose_name = _("Performance cycles")

    def ready(self) -> None:
        # access policies, then each part's notification events, alert evaluators, menu entries
        from . import hooks_360, hooks_cards, hooks_plans, hooks_results, permissions  # noqa: F401
