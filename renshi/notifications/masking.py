"""Keep secrets out of logs: chat-robot URLs carry their access token (DingTalk and WeCom in the
query, Feishu in the path), so a URL is only ever shown or logged masked."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

MASK = "***"
# a path segment this long is a token (Feishu's hook id, generic webhook keys)
_TOKEN_SEGMENT = 16


def mask_url(url: str) -> str:
    """``https://oapi.dingtalk.com/robot/send?access_token=***`` — scheme, host and the
    non-secret part of the path; query values and token-like path segments are masked."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    segments = [MASK if len(seg) >= _TOKEN_SEGMENT else seg for seg in parts.path.split("/")]
    masked = f"{parts.scheme}://{host}{'/'.join(segments)}"
    if parts.query:
        keys = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
        masked += "?" + "&".join(f"{k}={MASK}" for k in keys)
    return masked


def secrets_of(url: str, secret: str = "") -> list[str]:
    """The substrings that must never appear in a log: the URL, its query values, token-like
    path segments and the signing secret."""
    found = [s for s in (url, secret) if s]
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return found
    found += [v for _, v in parse_qsl(parts.query, keep_blank_values=True) if len(v) >= 4]
    found += [seg for seg in parts.path.split("/") if len(seg) >= _TOKEN_SEGMENT]
    if parts.password:
        found.append(parts.password)
    return sorted(set(found), key=len, reverse=True)


def scrub(text: str, secrets: list[str], limit: int = 500) -> str:
    """``text`` (an error message) with every secret replaced by ``***``."""
    text = str(text)
    for value in secrets:
        if value:
            text = text.replace(value, MASK)
    return text[:limit]
