"""Writes of the API app: personal tokens and integration API keys.

Keyword-only, typed, transactional; permission re-checked inside the transaction.
"""

from __future__ import annotations

import datetime
import re
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from renshi.core import access
from renshi.core.audit import audit_event
from renshi.org.scope import get_scope

from .authentication import hash_secret
from .models import API_KEY_SCOPES, ApiKey

# last_used_at is refreshed at most this often (one UPDATE per key per interval, not per call)
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


# --- personal tokens --------------------------------------------------------------------------


@transaction.atomic
def token_obtain(*, user: Any) -> Token:
    """The user's API token (created on first use). The caller has authenticated the user."""
    if not getattr(user, "is_active", False) or getattr(user, "api_key", None) is not None:
        raise PermissionDenied
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit_event(user, "API token created")
    return token


@transaction.atomic
def token_revoke(*, user: Any) -> int:
    """Delete the user's API token; returns the number of tokens deleted (0 or 1)."""
    deleted, _detail = Token.objects.filter(user=user).delete()
    if deleted:
        audit_event(user, "API token revoked")
    return deleted


# --- integration API keys ---------------------------------------------------------------------


def _clean_scopes(scopes: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(scopes))
    if not wanted:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    unknown = [s for s in wanted if s not in API_KEY_SCOPES]
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(unknown)}}
        )
    return sorted(wanted)


# a metric key (renshi.metrics.models.metric_key_validator) in which ``*`` may stand for any part
METRIC_PATTERN_RE = re.compile(r"^(\*|[a-z*][a-z0-9_*]*)(\.[a-z0-9_*]+)*$")


def _clean_metric_keys(scopes: list[str], metric_keys: list[str] | None) -> list[str]:
    """With "metrics.write": at least one pattern (``crm.*``, ``attendance.rate``, ``*``);
    without it: none kept."""
    if "metrics.write" not in scopes:
        return []
    patterns = []
    for raw in metric_keys or []:
        pattern = str(raw).strip()
        if pattern and pattern not in patterns:
            patterns.append(pattern)
    if not patterns:
        raise ValidationError(
            {"metric_keys": _("Name at least one metric this key may write (e.g. crm.*).")}
        )
    bad = [p for p in patterns if len(p) > 100 or not METRIC_PATTERN_RE.match(p)]
    if bad:
        raise ValidationError(
            {
                "metric_keys": _(
                    "Not a metric key or pattern: %(patterns)s (use lower-case dot-separated "
                    "parts and * as a wildcard, e.g. crm.*)."
                )
                % {"patterns": ", ".join(bad)}
            }
        )
    return sorted(patterns)


@transaction.atomic
def api_key_create(
    *,
    actor: Any,
    name: str,
    scopes: list[str],
    expires_at: datetime.datetime | None = None,
    metric_keys: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for the actor's company. Returns the key and the full secret
    ``<prefix>.<secret>``, which is shown once and never stored."""
    access.require_perm(actor, "api.manage_keys")
    company_id = get_scope(actor).company_id
    if company_id is None:
        raise PermissionDenied
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    clean_scopes = _clean_scopes(scopes)
    clean_metric_keys = _clean_metric_keys(clean_scopes, metric_keys)
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():  # pragma: no cover - 1 in 4 billion
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey(
        company_id=company_id,
        name=name.strip(),
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=clean_scopes,
        metric_keys=clean_metric_keys,
        created_by=actor,
        expires_at=expires_at,
    )
    api_key.full_clean()
    api_key.save()
    return api_key, f"{prefix}.{secret}"


@transaction.atomic
def api_key_revoke(*, actor: Any, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once (kept for the record; revoking twice changes nothing)."""
    access.require_perm(actor, "api.manage_keys")
    api_key = access.get_object_or_404(
        ApiKey.objects.select_for_update(), actor, access.DELETE, pk=api_key.pk
    )
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record that a key was used (at most once per LAST_USED_GRANULARITY; not audited)."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
