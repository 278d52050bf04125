"""Sending one Delivery: e-mail through Django's mail backend, chat robots through httpx.

Runs in background tasks only (``tasks.py``). A delivery is tried once per call; a failure is
recorded (masked) and scheduled again with exponential back-off (1, 5, 25, 125 minutes), and
after ``MAX_ATTEMPTS`` the row is ``dead``. A row is claimed with a guarded status update
before the send, so it is never sent twice once it is marked sent, even when the on-commit task
and the periodic retry reach it at the same time.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .masking import mask_url, scrub, secrets_of
from .models import Delivery, Webhook
from .signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    dingtalk_signed_url,
    feishu_sign,
    generic_signature,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 5, 25, 125)  # after attempt 1, 2, 3, 4; attempt 5 failing → dead
LEASE = datetime.timedelta(minutes=2)  # a "sending" row older than this is retried
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
RETRY_BATCH = 200


class DeliveryError(Exception):
    """A send that did not work (message already masked)."""


def backoff(attempts: int) -> datetime.timedelta:
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return datetime.timedelta(minutes=BACKOFF_MINUTES[index])


def absolute_url(url: str) -> str:
    """SITE_URL + a local path (relative when SITE_URL is not set); never another host."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return ""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + url


# --- messages per platform ----------------------------------------------------------------------


def _text(payload: dict[str, Any]) -> str:
    lines = [payload.get("title", "")]
    if payload.get("body"):
        lines.append(payload["body"])
    link = absolute_url(payload.get("url", ""))
    if link:
        lines.append(link)
    return "\n".join(lines)


def build_message(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON body a platform expects (before signing)."""
    title = payload.get("title", "")
    body = payload.get("body", "")
    link = absolute_url(payload.get("url", ""))
    if kind == Webhook.Kind.DINGTALK:
        text = f"### {title}\n\n{body}".rstrip()
        if link:
            text += f"\n\n[{_('Open in renshi')}]({link})"
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if kind == Webhook.Kind.WECOM:
        text = f"**{title}**\n{body}".rstrip()
        if link:
            text += f"\n[{_('Open in renshi')}]({link})"
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == Webhook.Kind.FEISHU:
        return {"msg_type": "text", "content": {"text": _text(payload)}}
    return {
        "event": payload.get("event", ""),
        "title": title,
        "body": body,
        "url": link or payload.get("url", ""),
        "created_at": payload.get("created_at", ""),
    }


def prepare_request(
    webhook: Webhook, payload: dict[str, Any], *, now: float | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """(url, body bytes, headers) of the signed request for this robot."""
    now = time.time() if now is None else now
    message = build_message(webhook.kind, payload)
    url = webhook.url
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if webhook.kind == Webhook.Kind.DINGTALK and webhook.secret:
        url = dingtalk_signed_url(url, webhook.secret, int(now * 1000))
    elif webhook.kind == Webhook.Kind.FEISHU and webhook.secret:
        ts = int(now)
        message = {"timestamp": str(ts), "sign": feishu_sign(webhook.secret, ts), **message}
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    if webhook.kind == Webhook.Kind.GENERIC and webhook.secret:
        ts = int(now)
        headers[TIMESTAMP_HEADER] = str(ts)
        headers[SIGNATURE_HEADER] = generic_signature(webhook.secret, ts, body)
    return url, body, headers


def _check_response(kind: str, response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise DeliveryError(f"HTTP {response.status_code}")
    if kind == Webhook.Kind.GENERIC:
        return
    try:
        data = response.json()
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    if kind in (Webhook.Kind.DINGTALK, Webhook.Kind.WECOM):
        code, message = data.get("errcode", 0), data.get("errmsg", "")
    else:  # Feishu: {"code": 0, "msg": "success"} (older: {"StatusCode": 0})
        code = data.get("code", data.get("StatusCode", 0))
        message = data.get("msg", data.get("StatusMessage", ""))
    if code not in (0, None):
        raise DeliveryError(f"error {code}: {message}")


def send_webhook(webhook: Webhook, payload: dict[str, Any]) -> None:
    secrets = secrets_of(webhook.url, webhook.secret)
    url, body, headers = prepare_request(webhook, payload)
    try:
        with httpx.Client(
            timeout=TIMEOUT,
            follow_redirects=False,
            trust_env=getattr(settings, "NOTIFICATIONS_HTTP_TRUST_ENV", True),
        ) as client:
            response = client.post(url, content=body, headers=headers)
        _check_response(webhook.kind, response)
    except DeliveryError as exc:
        raise DeliveryError(scrub(str(exc), secrets + secrets_of(url))) from None
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}"
        raise DeliveryError(scrub(detail, secrets + secrets_of(url))) from None


def _email_address(user) -> str:
    if user is None or not user.is_active:
        return ""
    if user.email:
        return user.email
    from renshi.org.models import Employee

    return Employee.objects.filter(user_id=user.pk).values_list("email", flat=True).first() or ""


def send_email(delivery: Delivery) -> None:
    address = _email_address(delivery.recipient)
    if not address:
        raise DeliveryError(_("The recipient has no e-mail address."))
    payload = delivery.payload
    try:
        send_mail(payload.get("title", "")[:200], _text(payload), None, [address])
    except Exception as exc:  # SMTP errors of all kinds; the address is not a secret
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:500]) from None


# --- one attempt ----------------------------------------------------------------------------------


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


RETRYABLE = (Delivery.Status.PENDING, Delivery.Status.FAILED, Delivery.Status.SENDING)


def attempt(delivery_id: int) -> str:
    """Try one delivery once if it is due. Returns its status afterwards ("skipped" when
    another worker holds it, it is not due, or it was sent/given up already)."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status__in=RETRYABLE)
        .filter(_due(now))
        .update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("webhook", "recipient").get(pk=delivery_id)
    target = ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            if delivery.channel == Delivery.Channel.EMAIL:
                target = f"user {delivery.recipient_id}"
                send_email(delivery)
            else:
                webhook = delivery.webhook
                if webhook is None or not webhook.active:
                    raise DeliveryError(_("The chat robot is switched off."))
                target = mask_url(webhook.url)
                send_webhook(webhook, delivery.payload)
    except DeliveryError as exc:
        return _failed(delivery, str(exc), target)
    except Exception as exc:  # a bug must not leave the row "sending" for ever
        secrets = (
            secrets_of(delivery.webhook.url, delivery.webhook.secret) if delivery.webhook else []
        )
        return _failed(delivery, scrub(f"{type(exc).__name__}: {exc}", secrets), target)
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return Delivery.Status.SENT


def _failed(delivery: Delivery, error: str, target: str) -> str:
    now = timezone.now()
    if delivery.attempts >= MAX_ATTEMPTS:
        status, next_at = Delivery.Status.DEAD, None
    else:
        status, next_at = Delivery.Status.FAILED, now + backoff(delivery.attempts)
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=status, next_attempt_at=next_at, last_error=error[:500]
    )
    logger.warning(
        "notification delivery %s (%s %s) attempt %s failed, now %s: %s",
        delivery.pk,
        delivery.channel,
        target,
        delivery.attempts,
        status,
        error,
    )
    return status


def due_ids(limit: int = RETRY_BATCH) -> list[int]:
    now = timezone.now()
    return list(
        Delivery.objects.filter(status__in=RETRYABLE)
        .filter(_due(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def retry_due(limit: int = RETRY_BATCH) -> int:
    """Attempt every due delivery (the periodic task). Returns how many were sent."""
    return sum(attempt(pk) == Delivery.Status.SENT for pk in due_ids(limit))
