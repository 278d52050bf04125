from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "renshi.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from renshi.core.context_processors import nav_add

        from . import permissions  # noqa: F401  (registers access policies and permissions)
        from .events import INBOX, register_event

        register_event("feedback.comment", _("A new comment in a conversation I take part in"))
        register_event(
            "feedback.mention", _("Someone mentions me (@name)"), default_channels=(INBOX,)
        )
        nav_add(
            _("Chat robots"),
            "notifications:webhook_list",
            "notifications.view_webhooks",
            "settings",
        )
