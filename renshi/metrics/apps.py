from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "renshi.metrics"
    label = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers access policies and permissions)
