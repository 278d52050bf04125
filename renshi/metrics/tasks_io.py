"""Tasks of the pull connectors: one run, and the every-minute schedule that enqueues the due
connectors (``manage.py crontask`` loads ``renshi.metrics.tasks``, which imports this module)."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from . import connectors


@task
def connector_run_task(connector_id: int) -> None:
    connectors.connector_run(connector_id=connector_id)


@cron("* * * * *")
@task
def connectors_schedule_task() -> int:
    """Claim the due connectors (next_run_at moved forward first) and enqueue one run each."""
    claimed = connectors.connectors_claim_due()
    for pk in claimed:
        connector_run_task.enqueue(pk)
    return len(claimed)
