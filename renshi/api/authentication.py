"""API authentication: personal tokens and integration API keys.

``TokenAuthentication`` is DRF's (``Authorization: Token <key>``), plus recording the user as
the audit actor (the session middleware cannot see token users).

``ApiKeyAuthentication`` reads ``Authorization: Api-Key <prefix>.<secret>``: the key is found
by its prefix and the SHA-256 of the secret is compared in constant time. Revoked or expired
keys, and keys of unknown prefixes, answer 401. The request's user is an ``ApiKeyPrincipal``,
not a User row; ``renshi.org.scope`` turns it into a company-wide read scope limited by the key's
scopes, and ``renshi.api.permissions.ApiKeyScope`` closes every view that does not name one.
"""

from __future__ import annotations

import hashlib
import hmac

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from renshi.core import context

from .models import ApiKey

KEYWORD = "Api-Key"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyPrincipal:
    """The caller behind an API key: authenticated, but not a person (pk is None)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.username = f"api-key:{api_key.prefix}"

    def __str__(self) -> str:
        return self.username

    def get_username(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return str(self.api_key)

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perm_list, obj=None) -> bool:
        return False

    def has_module_perms(self, app_label) -> bool:
        return False


def _set_actor(user) -> None:
    ctx = context.current()
    ctx.actor = user
    ctx.channel = "api"


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            if result[0].must_change_password:  # a temporary password: web page first
                raise exceptions.AuthenticationFailed(_("Change the temporary password first."))
            _set_actor(result[0])
        return result


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid API key header."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key header.")) from None
        prefix, sep, secret = raw.partition(".")
        if not sep or not prefix or not secret:
            raise exceptions.AuthenticationFailed(_("Invalid API key header."))
        api_key = ApiKey.objects.filter(prefix=prefix).first()
        # compare even when the prefix is unknown, so timing does not tell which prefixes exist
        stored = api_key.secret_hash if api_key is not None else "0" * 64
        matches = hmac.compare_digest(stored.encode(), hash_secret(secret).encode())
        if api_key is None or not matches:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not api_key.is_usable:
            raise exceptions.AuthenticationFailed(_("This API key is revoked or expired."))
        if not api_key.scopes:
            # a key without scopes must never fall back to an unrestricted company scope
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        from .services import api_key_mark_used

        api_key_mark_used(api_key=api_key)
        principal = ApiKeyPrincipal(api_key)
        _set_actor(principal)
        return (principal, api_key)

    def authenticate_header(self, request) -> str:
        return self.keyword
