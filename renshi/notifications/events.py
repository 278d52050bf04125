"""The catalogue of notification events.

Apps declare the events they send when they are ready (``register_event``), with a label for
the preferences page and the channels a user gets by default. Quiet defaults: the in-app inbox
always; e-mail only where an event names it; chat robots (DingTalk, WeCom, Feishu, generic
webhook) are per company, configured by HR, and subscribe to events themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

INBOX, EMAIL = "inbox", "email"
USER_CHANNELS = (INBOX, EMAIL)


@dataclass(frozen=True)
class Event:
    key: str  # "alerts.opened", "goals.comment", "notifications.mention", ...
    label: str  # lazy translation, shown on the preferences page
    default_channels: frozenset[str] = frozenset({INBOX})


_events: dict[str, Event] = {}


def register_event(key: str, label, *, default_channels=(INBOX,)) -> Event:
    event = Event(key=key, label=label, default_channels=frozenset(default_channels))
    _events[key] = event
    return event


def get_event(key: str) -> Event:
    try:
        return _events[key]
    except KeyError:
        raise LookupError(f"Unknown notification event {key!r}; register it first") from None


def registered_events() -> list[Event]:
    return sorted(_events.values(), key=lambda e: e.key)
