"""The change log: every create/update/delete of an AuditedModel becomes an AuditLog row.

Written by three receivers (post_save, post_delete, m2m_changed) — the only place renshi uses
signals, as NetBox does — so no channel (page, API, import, admin, command, task) can forget it.
Bulk operations, which send no signals, call ``audit_bulk`` explicitly.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from . import context
from .models import AuditedModel, AuditLog

SENSITIVE_MARK = "••••"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "<binary>"
    return value


def _snapshot_from(instance: models.Model, get) -> dict[str, Any]:
    exclude = set(getattr(instance, "audit_exclude", ()))
    sensitive = set(getattr(instance, "audit_sensitive", ()))
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        try:
            value = get(field)
        except KeyError:  # deferred when loaded
            continue
        if field.name in sensitive:
            value = hashlib.sha256(str(value or "").encode()).hexdigest()[:16] if value else ""
            data[field.name] = ("sensitive", value)
            continue
        data[field.name] = _jsonable(value)
    return data


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Field values of an instance (FKs as ids); sensitive ones only as a digest."""
    deferred = instance.get_deferred_fields()

    def get(field):
        if field.attname in deferred:
            raise KeyError(field.attname)
        return getattr(instance, field.attname)

    return _snapshot_from(instance, get)


def before_snapshot(instance: models.Model) -> dict[str, Any]:
    """The state last saved or loaded: {} for a new object."""
    saved = getattr(instance, "_audit_before", None)
    if saved is not None:
        return saved
    loaded = getattr(instance, "_audit_loaded", None)
    if loaded is None:
        return {}
    field_names, values = loaded
    if len(values) == len(instance._meta.concrete_fields):
        by_attname = {
            f.attname: v for f, v in zip(instance._meta.concrete_fields, values, strict=True)
        }
    else:
        by_attname = dict(zip(field_names, values, strict=True))
    return _snapshot_from(instance, lambda field: by_attname[field.attname])


def _public(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "sensitive":
        return SENSITIVE_MARK if value[1] else ""
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = {"before": _public(old), "after": _public(new)}
    return changes


def _company_id(instance: models.Model) -> int | None:
    if getattr(instance, "audit_company_field", None) == "pk":
        return instance.pk
    return getattr(instance, "company_id", None)


def _entry(instance, action: str, changes: dict, message: str = "") -> AuditLog:
    ctx = context.current()
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    if actor is not None:
        actor_repr = actor.get_full_name() or actor.get_username()
    elif getattr(ctx.actor, "api_key", None) is not None:  # an integration key has no user row
        actor_repr = f"api-key:{ctx.actor.api_key}"
    else:
        actor_repr = "system"
    return AuditLog(
        actor=actor,
        actor_repr=actor_repr[:200],
        ip=ctx.ip,
        request_id=ctx.request_id,
        channel=ctx.channel,
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        company_id=_company_id(instance),
        message=message[:300],
        changes=changes,
    )


def audit_event(instance: models.Model, message: str, data: dict | None = None) -> AuditLog:
    """A business event that is not a field change (e.g. 'import committed', 'token revoked')."""
    entry = _entry(instance, AuditLog.Action.EVENT, data or {}, message)
    entry.save()
    return entry


def _context_actor() -> tuple[int | None, str]:
    ctx = context.current()
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    if actor is not None:
        return actor.pk, (actor.get_full_name() or actor.get_username())[:200]
    if getattr(ctx.actor, "api_key", None) is not None:
        return None, f"api-key:{ctx.actor.api_key}"[:200]
    return None, "system"


def audit_bulk(
    instances: Iterable[models.Model], *, action: str, befores: dict[Any, dict] | None = None
) -> int:
    """Log bulk_create/bulk_update, which send no signals. Returns the number of rows written.

    Built for 10,000-row operations (imports, scoring a cycle): the request context and content
    types are read once, and the rows go in with one prepared INSERT per 1,000 (no model
    instances, no per-row SQL compilation)."""
    types: dict[type, int] = {}
    rows: list[tuple] = []
    for inst in instances:
        before = (befores or {}).get(inst.pk, {}) if action != AuditLog.Action.CREATE else {}
        after = snapshot(inst)
        changes = diff(before, after)
        if changes or action == AuditLog.Action.CREATE:
            model = type(inst)
            type_id = types.get(model)
            if type_id is None:
                type_id = types[model] = ContentType.objects.get_for_model(
                    inst, for_concrete_model=True
                ).pk
            rows.append((type_id, str(inst.pk), str(inst)[:200], _company_id(inst), changes))
        inst._audit_before = after
    _insert_rows(rows, action)
    return len(rows)


def audit_changes(
    model: type[models.Model], rows: Iterable[tuple[Any, str, int | None, dict]], *, action: str
) -> int:
    """Log changes a caller computed itself — ``(pk, object repr, company id, {field: {"before":
    …, "after": …}})`` per row — for bulk writes of a few known fields (scoring a cycle), where
    snapshotting whole instances would cost more than the write. Values must be JSON-ready."""
    type_id = ContentType.objects.get_for_model(model, for_concrete_model=True).pk
    batch = [
        (type_id, str(pk), str(text)[:200], company_id, changes)
        for pk, text, company_id, changes in rows
        if changes
    ]
    _insert_rows(batch, action)
    return len(batch)


_BULK_COLUMNS = (
    "timestamp",
    "actor",
    "actor_repr",
    "ip",
    "request_id",
    "channel",
    "action",
    "content_type",
    "object_id",
    "object_repr",
    "company_id",
    "message",
    "changes",
)


def _insert_rows(rows: list[tuple], action: str, chunk: int = 1000) -> None:
    """rows: (content type id, object id, object repr, company id, changes)."""
    if not rows:
        return
    ctx = context.current()
    actor_id, actor_repr = _context_actor()
    now = timezone.now()
    meta = AuditLog._meta
    fields = [meta.get_field(name) for name in _BULK_COLUMNS]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    timestamp = meta.get_field("timestamp").get_db_prep_save(now, connection)
    ip = meta.get_field("ip").get_db_prep_save(ctx.ip, connection)
    changes_field = meta.get_field("changes")
    head = (timestamp, actor_id, actor_repr, ip, ctx.request_id, ctx.channel, action)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            params = [
                (
                    *head,
                    type_id,
                    object_id,
                    text,
                    company_id,
                    "",
                    changes_field.get_db_prep_save(changes, connection),
                )
                for type_id, object_id, text, company_id, changes in rows[start : start + chunk]
            ]
            cursor.executemany(sql, params)


def _is_audited(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, AuditedModel)


@receiver(post_save, dispatch_uid="renshi_audit_save")
def _on_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not _is_audited(sender):
        return
    after = snapshot(instance)
    if created:
        _entry(instance, AuditLog.Action.CREATE, diff({}, after)).save()
    else:
        changes = diff(before_snapshot(instance), after)
        if update_fields:
            names = set(update_fields)
            changes = {k: v for k, v in changes.items() if k in names or k + "_id" in names}
        if changes:
            _entry(instance, AuditLog.Action.UPDATE, changes).save()
    instance._audit_before = after


@receiver(post_delete, dispatch_uid="renshi_audit_delete")
def _on_delete(sender, instance, **kwargs):
    if not _is_audited(sender):
        return
    before = before_snapshot(instance) or snapshot(instance)
    _entry(instance, AuditLog.Action.DELETE, diff(before, {})).save()


@receiver(m2m_changed, dispatch_uid="renshi_audit_m2m")
def _on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse or not isinstance(instance, AuditedModel):
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    field_name = next(
        (f.name for f in instance._meta.many_to_many if f.remote_field.through is sender), "m2m"
    )
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    changes = {field_name: {verb: sorted(pk_set or [])}}
    _entry(instance, AuditLog.Action.UPDATE, changes).save()
