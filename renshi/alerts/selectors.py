"""Reads of the alerts app. Pages start from ``access.restrict``; ``company_calendar`` is the
system read the evaluators (and the goals pages' pace) use to count working days."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from renshi.core import access

from .models import Alert, AlertRecipient, AlertRule, CalendarDay
from .pace import WorkCalendar


def company_calendar(company_id: int) -> WorkCalendar:
    """The company's working-day calendar (one query: its holidays and make-up days)."""
    overrides = dict(
        CalendarDay.objects.filter(company_id=company_id).values_list("date", "is_working")
    )
    return WorkCalendar(overrides=overrides)


def alert_list(
    *,
    user: Any,
    status: str = "open",
    rule_id: int | None = None,
    mine: bool = False,
) -> QuerySet:
    """Alerts the user may see. ``status``: open (open and escalated), closed, or all;
    ``mine``: only those addressed to the user."""
    qs = access.restrict(Alert, user, access.VIEW).select_related("rule")
    if status == "open":
        qs = qs.filter(status__in=Alert.OPEN_STATUSES)
    elif status == "closed":
        qs = qs.filter(status=Alert.Status.CLOSED)
    if rule_id is not None:
        qs = qs.filter(rule_id=rule_id)
    if mine:
        qs = qs.filter(
            Exists(AlertRecipient.objects.filter(alert_id=OuterRef("pk"), user_id=user.pk))
        )
    return qs.order_by("-opened_at", "-id")


def alert_recipients(*, alert: Alert) -> list[AlertRecipient]:
    return list(
        AlertRecipient.objects.filter(alert=alert)
        .select_related("user__employee")
        .order_by("level", "user_id")
    )


def visible_rules(*, user: Any) -> QuerySet:
    """Rules for the list's filter: all of the company's for rule managers; for others, the
    rules of the alerts they can see."""
    if access.has_perm(user, "alerts.manage_rules"):
        return access.restrict(AlertRule, user, access.VIEW).order_by("kind", "name")
    rule_ids = access.restrict(Alert, user, access.VIEW).values("rule_id")
    return AlertRule.objects.filter(pk__in=rule_ids).order_by("kind", "name")


def rule_list(*, user: Any) -> QuerySet:
    return access.restrict(AlertRule, user, access.VIEW).order_by("kind", "name")


def calendar_days(*, user: Any, year: int) -> QuerySet:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return access.restrict(CalendarDay, user, access.VIEW).filter(date__range=(start, end))
