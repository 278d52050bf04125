"""Background tasks of the alerts app (django.tasks; the DB backend in production, immediate in
tests). ``alerts_evaluate_daily`` runs every morning at 07:00 (django-crontask:
``manage.py crontask``) for every company; ``alerts_evaluate_task`` is enqueued by the "evaluate
now" button and after each ingestion batch (renshi/goals/alerts.py)."""

from __future__ import annotations

import datetime

from crontask import cron
from django.tasks import task

from renshi.core.context import actor_context
from renshi.org.models import Company


@task
def alerts_evaluate_task(
    company_id: int,
    rule_ids: list[int] | None = None,
    subject_ids: list[int] | None = None,
    today: str | None = None,
) -> dict:
    from .services import alert_rules_ensure_defaults, alerts_evaluate

    day = datetime.date.fromisoformat(today) if today else None
    with actor_context(actor=None, channel="task"):
        alert_rules_ensure_defaults(company=company_id)
        return alerts_evaluate(
            company=company_id, today=day, rule_ids=rule_ids, subject_ids=subject_ids
        )


@cron("0 7 * * *")
@task
def alerts_evaluate_daily() -> int:
    """Every company's rules, one after the other (each evaluation writes in short chunks)."""
    from .services import alert_rules_ensure_defaults, alerts_evaluate

    done = 0
    for company_id in Company.objects.order_by("pk").values_list("pk", flat=True):
        with actor_context(actor=None, channel="task"):
            alert_rules_ensure_defaults(company=company_id)
            alerts_evaluate(company=company_id)
        done += 1
    return done
