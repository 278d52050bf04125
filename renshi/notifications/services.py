"""Writes of the notifications app.

``notification_send`` is the one entry point every app uses. It writes the in-app rows inside
the caller's transaction (so they vanish if the caller rolls back), records a ``Delivery`` for
each other channel (e-mail per recipient who wants it, one per subscribed chat robot) and
enqueues the background task that sends them once the transaction commits. A constant number
of queries whatever the number of recipients.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.concurrency import bump_version
from renshi.org.scope import get_scope

from .events import EMAIL, INBOX, USER_CHANNELS, get_event, registered_events
from .models import Delivery, Notification, NotificationPreference, Webhook
from .selectors import channels_for

logger = logging.getLogger(__name__)

TASK_CHUNK = 100
TEST_EVENT = "notifications.test"


def _enqueue(delivery_ids: list[int]) -> None:
    """After commit: hand the deliveries to the background task (the periodic retry picks up
    anything an enqueue failure leaves behind)."""
    from .tasks import deliveries_send

    for start in range(0, len(delivery_ids), TASK_CHUNK):
        chunk = delivery_ids[start : start + TASK_CHUNK]
        try:
            deliveries_send.enqueue(chunk)
        except Exception:  # the rows stay pending; deliveries_retry sends them
            logger.exception("could not enqueue %s notification deliveries", len(chunk))


@dataclass(frozen=True)
class Message:
    """One recipient's notification in ``notification_send_each``."""

    recipient: Any  # a User or a user id
    title: str
    body: str = ""
    url: str = ""
    target: models.Model | None = None


def _check_url(url: str) -> None:
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError("notification urls are local paths")


def notification_send(
    *,
    company_id: int,
    recipients: Iterable[Any],
    event: str,
    title: str,
    body: str = "",
    url: str = "",
    target: models.Model | None = None,
    actor: Any = None,
) -> list[Notification]:
    """Notify users (``User`` instances or user ids; duplicates and ``None`` are dropped, and so
    is the actor: nobody is notified of their own action). ``title``/``body`` are final text
    (translate them in the recipient's language before calling, or keep them short and
    neutral). ``url`` is a local path. Returns the inbox rows created.

    Each user gets the channels they chose for the event (the event's defaults otherwise):
    an inbox row, and/or an e-mail. Active chat robots of the company subscribed to the event
    get one message per call."""
    message = Message(recipient=None, title=title, body=body, url=url, target=target)
    return notification_send_each(
        company_id=company_id,
        event=event,
        messages=[replace(message, recipient=r) for r in recipients],
        actor=actor,
        broadcast=message,
    )


@transaction.atomic
def notification_send_each(
    *,
    company_id: int,
    event: str,
    messages: Iterable[Message],
    actor: Any = None,
    broadcast: Message | None = None,
) -> list[Notification]:
    """Like ``notification_send``, but each recipient gets their own text and link (e.g. "2 new
    alerts" to one head, "Alert: <goal>" to one employee). A recipient listed twice keeps the
    first message; the actor is dropped. ``broadcast`` is the one message the company's chat
    robots get for the call (none when omitted). A constant number of queries."""
    get_event(event)  # unknown events are a programming error
    actor_id = getattr(actor, "pk", actor)
    chosen: dict[int, Message] = {}
    for m in messages:
        pk = getattr(m.recipient, "pk", m.recipient)
        if pk is None or pk == actor_id or pk in chosen:
            continue
        _check_url(m.url)
        chosen[pk] = m
    if broadcast is not None:
        _check_url(broadcast.url)
    ids = list(chosen)
    channels = channels_for(event, ids) if ids else {}
    rows = []
    for pk in ids:
        if INBOX not in channels[pk]:
            continue
        m = chosen[pk]
        rows.append(
            Notification(
                company_id=company_id,
                recipient_id=pk,
                event=event,
                title=str(m.title)[:300],
                body=str(m.body)[:4000],
                url=m.url,
                target_type=(
                    ContentType.objects.get_for_model(m.target) if m.target is not None else None
                ),
                target_id=str(m.target.pk) if m.target is not None else "",
                actor_id=actor_id,
            )
        )
    created = Notification.objects.bulk_create(rows) if rows else []
    by_recipient = {n.recipient_id: n for n in created}
    now = timezone.now().isoformat()

    def payload(m: Message) -> dict:
        return {
            "event": event,
            "title": str(m.title)[:300],
            "body": str(m.body)[:4000],
            "url": m.url,
            "created_at": now,
        }

    deliveries = [
        Delivery(
            company_id=company_id,
            channel=Delivery.Channel.EMAIL,
            event=event,
            recipient_id=pk,
            notification=by_recipient.get(pk),
            payload=payload(chosen[pk]),
        )
        for pk in ids
        if EMAIL in channels[pk]
    ]
    if broadcast is not None:
        deliveries += _webhook_deliveries(company_id, event, payload(broadcast))
    if deliveries:
        deliveries = Delivery.objects.bulk_create(deliveries)
        delivery_ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue(delivery_ids))
    return created


def _webhook_deliveries(company_id: int, event: str, payload: dict) -> list[Delivery]:
    hooks = Webhook.objects.filter(company_id=company_id, active=True).only("id", "events")
    return [
        Delivery(
            company_id=company_id,
            channel=Delivery.Channel.WEBHOOK,
            event=event,
            webhook_id=hook.pk,
            payload=payload,
        )
        for hook in hooks
        if event in (hook.events or [])
    ]


# --- the inbox ------------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (idempotent)."""
    notification = access.get_object_or_404(
        Notification.objects.select_for_update(), actor, access.CHANGE, pk=notification.pk
    )
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return (
        access.restrict(Notification, actor, access.CHANGE)
        .filter(read_at=None)
        .update(read_at=timezone.now())
    )


# --- preferences --------------------------------------------------------------------------------


@transaction.atomic
def preferences_update(*, actor: Any, enabled: set[tuple[str, str]]) -> None:
    """Set the actor's channels: ``enabled`` holds the (event, channel) pairs that are on;
    every other registered pair is off. Only choices that differ from an event's default are
    stored (a row per change, audited)."""
    if get_scope(actor).is_api_key or not getattr(actor, "pk", None):
        raise PermissionDenied
    stored = {
        (p.event, p.channel): p
        for p in access.restrict(NotificationPreference, actor, access.CHANGE).select_for_update()
    }
    for event in registered_events():
        for channel in USER_CHANNELS:
            key = (event.key, channel)
            on = key in enabled
            default = channel in event.default_channels
            row = stored.get(key)
            if on == default:
                if row is not None:
                    row.delete()
            elif row is None:
                NotificationPreference.objects.create(
                    user=actor, event=event.key, channel=channel, enabled=on
                )
            elif row.enabled != on:
                row.enabled = on
                row.save()


# --- chat robots ----------------------------------------------------------------------------------

WEBHOOK_FIELDS = ("kind", "name", "url", "secret", "events", "active")


def _validate_webhook(webhook: Webhook) -> None:
    errors: dict[str, list[str]] = {}
    known = {e.key for e in registered_events()}
    unknown = [e for e in webhook.events or [] if e not in known]
    if unknown:
        errors["events"] = [_("Unknown events: %s") % ", ".join(unknown)]
    if not webhook.url.startswith("https://") and not webhook.url.startswith("http://"):
        errors["url"] = [_("Enter the robot's full webhook address (https://…).")]
    if webhook.kind == Webhook.Kind.GENERIC and not webhook.secret:
        errors["secret"] = [_("A generic webhook needs a signing secret.")]
    if errors:
        raise ValidationError(errors)
    webhook.full_clean(exclude=["created_by", "company"])


@transaction.atomic
def webhook_create(
    *,
    actor: Any,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    events: list[str] | None = None,
    active: bool = True,
) -> Webhook:
    access.require_perm(actor, "notifications.manage_webhooks")
    scope = get_scope(actor)
    webhook = Webhook(
        company_id=scope.company_id,
        kind=kind,
        name=(name or "").strip(),
        url=(url or "").strip(),
        secret=(secret or "").strip(),
        events=list(events or []),
        active=active,
        created_by=actor,
    )
    _validate_webhook(webhook)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(*, actor: Any, webhook: Webhook, version: int | None, **changes: Any) -> Webhook:
    """Change a robot. An empty ``url``/``secret`` keeps the stored one (forms never show
    them). A stale ``version`` raises ConflictError and nothing is written."""
    webhook = access.get_object_or_404(
        Webhook.objects.select_for_update(), actor, access.CHANGE, pk=webhook.pk
    )
    unknown = set(changes) - set(WEBHOOK_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    for key, value in changes.items():
        if key in ("url", "secret"):
            value = (value or "").strip()
            if not value:
                continue
        if key == "name":
            value = (value or "").strip()
        if key == "events":
            value = list(value or [])
        setattr(webhook, key, value)
    _validate_webhook(webhook)
    bump_version(webhook, expected_version=version)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, actor: Any, webhook: Webhook) -> None:
    webhook = access.get_object_or_404(Webhook, actor, access.DELETE, pk=webhook.pk)
    webhook.delete()


@transaction.atomic
def webhook_test(*, actor: Any, webhook: Webhook) -> Delivery:
    """Queue a test message to one robot (sent in the background like every message)."""
    webhook = access.get_object_or_404(Webhook, actor, access.CHANGE, pk=webhook.pk)
    delivery = Delivery.objects.create(
        company_id=webhook.company_id,
        channel=Delivery.Channel.WEBHOOK,
        event=TEST_EVENT,
        webhook=webhook,
        payload={
            "event": TEST_EVENT,
            "title": _("Test message from renshi"),
            "body": _("If you can read this, the chat robot %(name)s works.")
            % {"name": webhook.name},
            "url": "/",
            "created_at": timezone.now().isoformat(),
        },
    )
    pk = delivery.pk
    transaction.on_commit(lambda: _enqueue([pk]))
    return delivery
