from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "renshi.alerts"
    label = "alerts"
    verbose_name = _("Pace and alerts")

    def ready(self) -> None:
        from renshi.core.context_processors import nav_add
        from renshi.notifications.events import register_event

        from . import permissions  # noqa: F401  (registers access policies and permissions)

        register_event("alerts.opened", _("New pace alert"))
        register_event("alerts.escalated", _("Pace alert escalated to you"))
        nav_add(_("Alerts"), "alerts:alert_list", "alerts.view", "data")
