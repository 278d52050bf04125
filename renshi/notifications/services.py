"""Writes of the notifications app.

``notification_send`` is the one entry point every app uses. It writes the in-app rows inside
the caller's transaction (so they vanish if the caller rolls back) and schedules the other
channels (e-mail, chat robots) as background tasks that run after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .events import get_event
from .models import Notification


@transaction.atomic
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
    neutral). ``url`` is a local path. Returns the inbox rows created."""
    get_event(event)  # unknown events are a programming error
    actor_id = getattr(actor, "pk", actor)
    ids: list[int] = []
    for r in recipients:
        pk = getattr(r, "pk", r)
        if pk is None or pk == actor_id or pk in ids:
            continue
        ids.append(pk)
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    rows = [
        Notification(
            company_id=company_id,
            recipient_id=pk,
            event=event,
            title=title[:300],
            body=body[:4000],
            url=url,
            target_type=target_type,
            target_id=str(target.pk) if target is not None else "",
            actor_id=actor_id,
        )
        for pk in ids
    ]
    return Notification.objects.bulk_create(rows)
