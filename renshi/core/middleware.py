"""Request context for the audit log, and the client IP from trusted proxies only."""

from __future__ import annotations

import contextlib
import ipaddress
import re

from django.conf import settings
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import translation

from . import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request) -> str | None:
    """REMOTE_ADDR, unless it is a trusted proxy: then the right-most untrusted X-Forwarded-For."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = getattr(settings, "TRUSTED_PROXIES", [])
    if not trusted or not remote or not _in(remote, trusted):
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([p for p in forwarded if p]):
        if not _in(hop, trusted):
            return hop
    return remote


def _in(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


class RequestContextMiddleware:
    """Opens a request context: request id (kept from a trusted proxy's X-Request-ID) and IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(ip=client_ip(request), channel="web")
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        if incoming and _REQUEST_ID.match(incoming) and settings.TRUSTED_PROXIES:
            ctx.request_id = incoming
        if request.path.startswith("/api/"):
            ctx.channel = "api"
        request.request_id = ctx.request_id
        token = context.push(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.pop(token)
        response["X-Request-ID"] = ctx.request_id
        return response


class ActorMiddleware:
    """Records the authenticated user as the actor (DRF token users are set by the API layer)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.current().actor = user
        return self.get_response(request)


class LanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language with the switch (cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; renshi's users work in
    Chinese companies whose browsers often say "en-US", so the company default wins until a
    person switches explicitly."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = settings.LANGUAGE_CODE
        if chosen:
            with contextlib.suppress(LookupError):
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PasswordChangeRequiredMiddleware:
    """A user holding a temporary password (issued by HR) may only change it or log out:
    pages redirect to the password form, the API answers 403 ``password_change_required``.
    (Token-authenticated API calls are refused by renshi.api's authentication as well.)"""

    allowed_names = frozenset({"password_change", "password_change_done", "logout", "set_language"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))
        ):
            match = resolve_or_none(request.path_info)
            if match is None or match.url_name not in self.allowed_names:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "password_change_required",
                                "message": "Change the temporary password first.",
                                "details": {},
                            }
                        },
                        status=403,
                    )
                return redirect("password_change")
        return self.get_response(request)


def resolve_or_none(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
