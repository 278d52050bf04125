"""``points_ingested`` is sent after a batch of points has committed (on_commit), so listeners
(goals recomputing metric-fed actuals, alert evaluation) see the new values.

kwargs: ``company_id``, ``batch_id``, ``metric_ids`` (set), ``subjects`` (set of
(subject_kind, subject_id)), ``first_date``, ``last_date``.
"""

from django.dispatch import Signal

points_ingested = Signal()
