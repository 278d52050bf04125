"""Permission-matrix rows of the account pages (home is listed in renshi/org/tests/matrix_pages)."""

from __future__ import annotations

from tests.matrix_support import Row, expect

ROWS = [
    Row("password_change", expect(200, anon=302)),
    Row("password_change_done", expect(200, anon=302)),
]
