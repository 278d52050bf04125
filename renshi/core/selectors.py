"""Reads of the core app: the change log of one object, through the access layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

from . import access
from .models import AuditLog


def audit_log_allowed(user: Any) -> bool:
    """Whether this user may read change logs at all (permission "core.view_audit")."""
    return access.has_perm(user, "core.view_audit")


def audit_entries_for(obj: models.Model, user: Any) -> models.QuerySet:
    """The change log of ``obj`` (newest first) as far as ``user`` may read it.

    The caller checks first that ``obj`` itself is visible (404 otherwise)."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return (
        access.restrict(AuditLog, user, access.VIEW)
        .filter(content_type=content_type, object_id=str(obj.pk))
        .order_by("-timestamp", "-id")
    )


@dataclass
class FieldChange:
    name: str
    label: str
    before: Any
    after: Any
    detail: str = ""  # m2m: "added"/"removed"/"cleared"


@dataclass
class AuditRow:
    entry: AuditLog
    changes: list[FieldChange]


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _fk_targets(model: type[models.Model]) -> dict[str, type[models.Model]]:
    return {
        f.name: f.related_model
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is not None
    }


def describe_entries(
    entries: list[AuditLog], model: type[models.Model], user: Any
) -> list[AuditRow]:
    """Field labels and readable before → after values for a page of log rows.

    Foreign keys (stored as ids) are shown by name when the user may see the target; one query
    per related model for the whole page, so the number of queries does not grow with rows."""
    targets = _fk_targets(model)
    wanted: dict[str, set] = {}
    for entry in entries:
        for name, change in (entry.changes or {}).items():
            if name in targets and isinstance(change, dict):
                for key in ("before", "after"):
                    value = change.get(key)
                    if isinstance(value, int):
                        wanted.setdefault(name, set()).add(value)
    names: dict[tuple[str, int], str] = {}
    by_model: dict[type[models.Model], set] = {}
    for field, ids in wanted.items():
        by_model.setdefault(targets[field], set()).update(ids)
    resolved: dict[type[models.Model], dict[int, str]] = {}
    for related, ids in by_model.items():
        try:
            rows = access.restrict(related, user, access.VIEW).filter(pk__in=ids)
        except ImproperlyConfigured:  # no policy (e.g. the login user): keep the id
            continue
        resolved[related] = {o.pk: str(o) for o in rows}
    for field in wanted:
        for pk, text in resolved.get(targets[field], {}).items():
            names[(field, pk)] = text

    choices = {f.name: dict(f.flatchoices) for f in model._meta.concrete_fields if f.choices}

    def show(field: str, value: Any) -> Any:
        if isinstance(value, int) and (field, value) in names:
            return names[(field, value)]
        if field in choices and value in choices[field]:
            return choices[field][value]
        return value

    result = []
    for entry in entries:
        changes = []
        for name, change in sorted((entry.changes or {}).items()):
            if not isinstance(change, dict):
                changes.append(FieldChange(name, _label(model, name), None, change))
                continue
            if "before" in change or "after" in change:
                changes.append(
                    FieldChange(
                        name,
                        _label(model, name),
                        show(name, change.get("before")),
                        show(name, change.get("after")),
                    )
                )
            else:  # m2m: {"added": [...]} etc.
                for verb, ids in change.items():
                    changes.append(FieldChange(name, _label(model, name), None, ids, verb))
        result.append(AuditRow(entry=entry, changes=changes))
    return result
