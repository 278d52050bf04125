from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo company (``manage.py demo``). Top layer: it may use every app, none uses it."""

    name = "renshi.demo"
    label = "demo"
    verbose_name = _("Demo company")
