"""Background work of the core app (``manage.py crontask`` imports ``<app>.tasks``)."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from . import idempotency


@cron("23 3 * * *")  # nightly: Idempotency-Key answers are kept for 24 hours
@task
def idempotency_purge() -> int:
    return idempotency.purge_expired()
