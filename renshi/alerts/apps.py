from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "renshi.alerts"
    label = "alerts"
    verbose_name = _("Pace and alerts")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers access policies and permissions)
