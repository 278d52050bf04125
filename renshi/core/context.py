"""Per-request context (actor, client IP, request id) for audit rows.

Set by ``RequestContextMiddleware``/``ActorMiddleware`` for web requests; commands and tasks
use ``actor_context(...)`` so their changes are attributed too.
"""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str | None = None
    actor: Any = None  # a User, or None for system changes
    channel: str = "system"  # web, api, command, task, system


_current: ContextVar[RequestContext | None] = ContextVar("renshi_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext()


@contextlib.contextmanager
def actor_context(*, actor: Any = None, channel: str = "command", ip: str | None = None):
    token = _current.set(RequestContext(actor=actor, channel=channel, ip=ip))
    try:
        yield current()
    finally:
        _current.reset(token)


def push(ctx: RequestContext):
    return _current.set(ctx)


def pop(token) -> None:
    _current.reset(token)
