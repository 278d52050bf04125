from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "renshi.metrics"
    label = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from renshi.core.context_processors import nav_add

        from . import permissions  # noqa: F401  (registers access policies and permissions)

        nav_add(_("Metrics"), "metrics:metric_list", "metrics.view", "data")
        nav_add(_("Upload data"), "metrics:upload", "metrics.ingest", "data")
        nav_add(_("Import attendance"), "metrics:attendance_import", "metrics.manage", "data")
        nav_add(_("Connectors"), "metrics:connector_list", "metrics.manage", "data")
