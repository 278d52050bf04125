"""The permission matrix: role × URL × expected outcome.

Each app declares its rows in ``renshi/<app>/tests/matrix*.py`` as ``ROWS = [Row(...), ...]``.
``tests/test_permission_matrix.py`` walks the URL resolver and fails for any URL name that has
no row (and is not on PUBLIC), then runs every row for every role in ROLES.

A row's ``expect`` must name every role (use ``expect(...)`` to fill a default). For a write
(``method="POST"`` etc.), ``state(world)`` is captured before and after: a role whose expected
status is not a success must leave it unchanged. Each role runs inside a rolled-back savepoint,
so one role's successful write does not leak into the next role's request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Matrix roles: world user keys (renshi.org.testing) plus "anon".
ROLES = (
    "anon",
    "gm",
    "hrvp",
    "perf",
    "vp1",
    "vp2",
    "head_sales",
    "head_east",
    "emp_east",
    "emp_prod",
    "other_gm",
)

# URL names that anyone may reach (still listed here, so nothing is public by accident).
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "set_language",
    "api:token",  # POST username+password; rate limited
}

SUCCESS = {200, 201, 204, 302}


def expect(default: int, **overrides: int) -> dict[str, int]:
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown matrix roles: {unknown}")
    return {role: overrides.get(role, default) for role in ROLES}


@dataclass
class Row:
    url_name: str
    expect: dict[str, int]
    kwargs: Callable[[Any], dict] | None = None  # world -> URL kwargs
    method: str = "GET"
    data: Callable[[Any], dict] | None = None  # world -> request body (form-encoded)
    json: bool = False  # send data as JSON (API)
    query: str = ""  # appended to the URL ("?q=…")
    headers: dict[str, str] = field(default_factory=dict)
    state: Callable[[Any], Any] | None = None  # world -> comparable snapshot for writes
    # for "anon" on pages, 302 means "redirected to the login page" (checked)
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.url_name}{self.query}"
