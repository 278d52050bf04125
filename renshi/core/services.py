"""Core writes: password change side effects."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .audit import audit_event


@transaction.atomic
def user_password_changed(*, user: Any) -> None:
    """After a password change: API tokens die (sessions other than the current one are
    invalidated by Django's session auth hash)."""
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    audit_event(user, "password changed", {"api_tokens_revoked": deleted})
