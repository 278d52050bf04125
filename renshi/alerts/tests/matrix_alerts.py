"""Permission-matrix rows of the alert pages."""

from tests.matrix_support import Row, expect

ROWS = [Row("alerts:alert_list", expect(200, anon=302))]
