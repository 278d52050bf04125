"""Permission-matrix rows of the inbox pages: every person reads their own inbox."""

from tests.matrix_support import Row, expect

ROWS = [Row("notifications:inbox", expect(200, anon=302))]
