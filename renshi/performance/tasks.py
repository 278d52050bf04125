"""Background tasks of performance cycles (django.tasks; schedules found by django-crontask,
which imports ``<app>.tasks``).

* ``scorecard_actuals_refresh_all`` — hourly: recompute the metric- and goal-fed actuals of
  every open scorecard item (today's end of the period moves on; goals' actuals change).
"""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from renshi.core import context

from . import actuals


@cron("23 * * * *")
@task
def scorecard_actuals_refresh_all() -> int:
    with context.actor_context(actor=None, channel="task"):
        return actuals.refresh_all()
