"""Throttles: per user, per API key (keys have no user row) and per IP for anonymous callers.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` at request time (so tests and
deployments can change them without re-importing).
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings

from renshi.core.middleware import client_ip


class _LiveRates:
    def get_ident(self, request):
        # DRF's default trusts any X-Forwarded-For (spoofable); use the trusted-proxy rule.
        return client_ip(request) or "unknown"

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:  # pragma: no cover - configuration error
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}") from None


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    pass


class PrincipalRateThrottle(_LiveRates, throttling.UserRateThrottle):
    """One bucket per user, and one per API key (their principal has no pk)."""

    def get_cache_key(self, request, view):
        user = request.user
        if user is None or not user.is_authenticated:
            return None  # the anonymous throttle handles these
        api_key = getattr(user, "api_key", None)
        ident = f"key{api_key.pk}" if api_key is not None else f"user{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenRateThrottle(_LiveRates, throttling.SimpleRateThrottle):
    """The token endpoint: per client IP, whoever the caller claims to be."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
