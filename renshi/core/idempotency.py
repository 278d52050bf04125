"""``Idempotency-Key`` for API writes: a resend of the same request gets the same answer.

Usage inside a DRF view (any write)::

    return idempotency.run(request, lambda: self._do_the_work(request))

* no header → the handler runs as usual;
* first use of a key (per principal: an integration key's prefix or a user id) → a placeholder
  row is claimed in its own short transaction, the handler runs, and its answer (status and
  JSON body) is stored — unless it is a server error (5xx) or raised, then the claim is dropped
  so the client may retry;
* same key, same body (SHA-256 of the canonical JSON) → the stored answer is replayed with the
  header ``Idempotent-Replayed: true`` and nothing runs again;
* same key, different body → 422 ``idempotency_key_reused``;
* same key while the first request is still running → 409 ``idempotency_in_progress``.

Rows older than ``RETENTION`` (24 h) are purged on every claim (indexed DELETE) and by
``purge_expired()``, so a key may be reused after a day.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
RETENTION = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = 200
IN_PROGRESS = 0  # status_code of a claimed record whose request has not finished


def principal_of(user: Any) -> str:
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return f"key:{api_key.prefix}"
    return f"user:{getattr(user, 'pk', None)}"


def request_hash(method: str, path: str, data: Any) -> str:
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def _error(status: int, code: str, message: str) -> Response:
    return Response({"error": {"code": code, "message": message, "details": {}}}, status=status)


def purge_expired(now: datetime.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def lookup(principal: str, key: str) -> IdempotencyRecord | None:
    cutoff = timezone.now() - RETENTION
    return IdempotencyRecord.objects.filter(
        principal=principal, key=key, created_at__gte=cutoff
    ).first()


def replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        return _error(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was already used with a different request body."),
        )
    if record.status_code == IN_PROGRESS:
        return _error(
            409,
            "idempotency_in_progress",
            _("A request with this Idempotency-Key is still being processed. Retry later."),
        )
    response = Response(record.response, status=record.status_code)
    response[REPLAY_HEADER] = "true"
    return response


def claim(principal: str, key: str, digest: str) -> IdempotencyRecord | None:
    """Insert the placeholder; None when another request holds the key already."""
    purge_expired()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                principal=principal, key=key, request_hash=digest, status_code=IN_PROGRESS
            )
    except IntegrityError:
        return None


def store(record: IdempotencyRecord, response: Response) -> None:
    record.status_code = response.status_code
    record.response = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    record.save(update_fields=["status_code", "response"])


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def run(request: Any, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` at most once per (principal, Idempotency-Key) — see the module docstring.

    The handler must manage its own transaction (the claim is committed before it runs, so
    a concurrent duplicate sees it)."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        return handler()
    if len(key) > MAX_KEY_LENGTH:
        return _error(
            400,
            "invalid_idempotency_key",
            _("The Idempotency-Key header is longer than %(max)s characters.")
            % {"max": MAX_KEY_LENGTH},
        )
    principal = principal_of(request.user)
    digest = request_hash(request.method, request.path, request.data)
    existing = lookup(principal, key)
    if existing is not None:
        return replay(existing, digest)
    record = claim(principal, key, digest)
    if record is None:  # a concurrent request claimed it between lookup and claim
        existing = lookup(principal, key)
        if existing is None:  # pragma: no cover - purged in between
            return _error(409, "idempotency_in_progress", _("Retry later."))
        return replay(existing, digest)
    try:
        response = handler()
    except BaseException:
        release(record)
        raise
    if response.status_code >= 500:
        release(record)
    else:
        store(record, response)
    return response
