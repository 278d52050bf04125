"""Signatures of the chat robots, byte for byte as each platform documents them.

* DingTalk (钉钉) custom robot, "加签": ``timestamp`` in milliseconds and
  ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))`` as query
  parameters of the webhook URL.
* Feishu (飞书) custom bot, "签名校验": body fields ``timestamp`` (seconds) and
  ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))``.
* WeCom (企业微信) group robot: no signature; the ``key`` in the URL is the credential.
* Generic webhook: headers ``X-Renshi-Timestamp`` (seconds) and
  ``X-Renshi-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus, urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Renshi-Signature"
TIMESTAMP_HEADER = "X-Renshi-Timestamp"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The base64 signature (not yet URL-encoded)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    query += f"timestamp={timestamp_ms}&sign={sign}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def generic_signature(secret: str, timestamp_s: int, body: bytes) -> str:
    message = f"{timestamp_s}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def generic_verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """For receivers (and tests): constant-time comparison of the signature header."""
    try:
        expected = generic_signature(secret, int(timestamp), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, header or "")
