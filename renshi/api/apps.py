from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "renshi.api"
    label = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        from . import (
            permissions,  # noqa: F401  (registers the ApiKey access policy)
            schema,  # noqa: F401  (OpenAPI description of the API-key scheme)
        )
