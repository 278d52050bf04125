"""Encrypted-at-rest text field (Fernet, AES-128-CBC + HMAC-SHA256, from `cryptography`).

Why hand-written: the maintained packages for this either pin older Django versions or pull in
their own key management; this is ~50 lines on top of `cryptography.fernet.MultiFernet`, which
does the cryptography. Keys come from settings.FIELD_ENCRYPTION_KEYS (first encrypts, all
decrypt, so keys rotate); without keys a key is derived from SECRET_KEY (development only).
The value is never queryable: filter on it is refused.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def derived_key(secret: str) -> str:
    """The development key derived from SECRET_KEY (list it in RENSHI_FIELD_KEYS to rotate
    away from it)."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(("renshi-field:" + secret).encode()).digest()
    ).decode()


@functools.cache
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in (keys or (derived_key(secret),))])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key: fail loudly, never show ciphertext as data
        raise ImproperlyConfigured(
            "Encrypted field cannot be decrypted with the configured keys"
        ) from exc


class EncryptedTextField(models.TextField):
    """Stores ciphertext; Python sees plaintext. Empty string stays empty (not encrypted)."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull", "exact"):
            return None
        return super().get_lookup(lookup_name)


def mask(value: str | None, *, keep_start: int = 0, keep_end: int = 4) -> str:
    """'110101199003071234' -> '1101**********1234' (keep_start=4)."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]
