"""Optimistic concurrency for VersionedModel rows: first writer wins, a stale write conflicts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The row changed since the client read it (HTTP 409 in the API, a form error in pages)."""

    def __init__(self, message=None, *, current_version: int | None = None):
        super().__init__(
            message or _("This record was changed by someone else. Reload and try again.")
        )
        self.current_version = current_version


def bump_version(instance: models.Model, *, expected_version: int | None) -> None:
    """Compare-and-set on ``version`` inside the caller's transaction.

    Call after validating and before ``save()``: updates the row's version only if it still
    equals ``expected_version``; otherwise raises ConflictError and nothing is written.
    """
    model = type(instance)
    current = instance.version if expected_version is None else expected_version
    updated = model._base_manager.filter(pk=instance.pk, version=current).update(
        version=models.F("version") + 1
    )
    if not updated:
        stored = (
            model._base_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        )
        raise ConflictError(current_version=stored)
    instance.version = current + 1
