"""Reads of the notifications app: inbox lists, effective preferences, chat robots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from renshi.core import access

from .events import USER_CHANNELS, get_event, registered_events
from .models import Delivery, Notification, NotificationPreference, Webhook


def inbox(user: Any, *, unread_only: bool = False) -> QuerySet:
    qs = access.restrict(Notification, user, access.VIEW).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at=None)
    return qs.order_by("-created_at", "-id")


def channels_for(event_key: str, user_ids: Iterable[int]) -> dict[int, set[str]]:
    """The channels each user receives ``event_key`` on: the event's defaults, changed by the
    user's stored choices. One query for any number of users."""
    event = get_event(event_key)
    result = {pk: set(event.default_channels) for pk in user_ids}
    if not result:
        return result
    rows = NotificationPreference.objects.filter(
        event=event_key, user_id__in=list(result)
    ).values_list("user_id", "channel", "enabled")
    for user_id, channel, enabled in rows:
        if enabled:
            result[user_id].add(channel)
        else:
            result[user_id].discard(channel)
    return result


def preference_grid(user: Any) -> list[dict[str, Any]]:
    """For the preferences page: every registered event with the user's effective channels."""
    stored = {
        (p.event, p.channel): p.enabled
        for p in access.restrict(NotificationPreference, user, access.VIEW)
    }
    grid = []
    for event in registered_events():
        channels = []
        for channel in USER_CHANNELS:
            default = channel in event.default_channels
            channels.append(
                {
                    "channel": channel,
                    "enabled": stored.get((event.key, channel), default),
                    "default": default,
                }
            )
        grid.append({"event": event, "channels": channels})
    return grid


def webhooks(user: Any) -> QuerySet:
    return access.restrict(Webhook, user, access.VIEW).order_by("name", "id")


def webhook_deliveries(user: Any, webhook: Webhook, limit: int = 50) -> list[Delivery]:
    return list(
        access.restrict(Delivery, user, access.VIEW)
        .filter(webhook_id=webhook.pk)
        .order_by("-created_at", "-id")[:limit]
    )
