from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "renshi.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from renshi.core.context_processors import NAV_ITEMS

        from . import permissions  # noqa: F401  (registers access policies and permissions)
        from .events import INBOX, register_event

        register_event("feedback.comment", _("A new comment in a conversation I take part in"))
        register_event(
            "feedback.mention", _("Someone mentions me (@name)"), default_channels=(INBOX,)
        )
        entry = (_("Chat robots"), "notifications:webhook_list", "notifications.view_webhooks")
        if entry not in NAV_ITEMS:
            NAV_ITEMS.append(entry)
