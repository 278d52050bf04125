"""Permission-matrix rows of the metric catalogue pages."""

from tests.matrix_support import Row, expect

ROWS = [Row("metrics:metric_list", expect(200, anon=302))]
