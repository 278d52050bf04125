from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "renshi.metrics"
    label = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from renshi.core.context_processors import NAV_ITEMS

        from . import permissions  # noqa: F401  (registers access policies and permissions)

        item = (_("Metrics"), "metrics:metric_list", "metrics.view")
        if item not in NAV_ITEMS:
            NAV_ITEMS.append(item)
