from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoalsConfig(AppConfig):
    name = "renshi.goals"
    label = "goals"
    verbose_name = _("Strategy and goals")

    def ready(self) -> None:
        from . import actuals  # noqa: F401, I001  (metric-fed actuals, period provider)
        from . import permissions  # noqa: F401  (registers access policies and permissions)
        from . import notifications  # noqa: F401  (registers the goal events)

        # after actuals: on points_ingested its receiver recomputes the actuals first, then
        # this one enqueues the alert evaluation (receivers run in connection order)
        from . import alerts  # noqa: F401  (alert evaluators, after-ingestion evaluation)
