"""Background tasks of notifications (django.tasks; the DB backend in production, immediate in
tests). ``deliveries_send`` is enqueued on commit by ``services.notification_send``;
``deliveries_retry`` runs every minute (django-crontask: ``manage.py crontask``) and retries
deliveries whose back-off has passed."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from . import delivery


@task
def deliveries_send(delivery_ids: list[int]) -> int:
    return sum(delivery.attempt(pk) == "sent" for pk in delivery_ids)


@cron("* * * * *")
@task
def deliveries_retry() -> int:
    return delivery.retry_due()
