"""Alert fixtures for tests and the permission matrix (ORM only, no evaluator needed).

``sample_alert(world)``: an open alert of a rule "个人目标进度落后" about emp_east (subject: the
employee row), addressed to emp_east and head_east — in scope for head_east, head_sales, vp1
and the company-wide roles; not for vp2 or emp_prod.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from renshi.org.models import Employee

from .models import Alert, AlertRecipient, AlertRule, CalendarDay

RULE_NAME = "个人目标进度落后"
RULE_KIND = "test.sample"


def sample_rule(world) -> AlertRule:
    rule = AlertRule.objects.filter(company=world.company, name=RULE_NAME).first()
    if rule is None:
        rule = AlertRule.objects.create(
            company=world.company,
            kind=RULE_KIND,
            name=RULE_NAME,
            threshold=Decimal("0.7"),
            escalate_after_days=3,
        )
    return rule


def sample_alert(world) -> Alert:
    rule = sample_rule(world)
    found = Alert.objects.filter(rule=rule).first()
    if found is not None:
        return found
    emp = world.employees["emp_east"]
    alert = Alert.objects.create(
        company=world.company,
        rule=rule,
        subject_type=ContentType.objects.get_for_model(Employee),
        subject_id=emp.pk,
        subject_repr=emp.name,
        period_key="2026",
        scope_employee=emp,
        scope_department=emp.department,
        opened_on=datetime.date(2026, 10, 1),
        opened_at=timezone.now(),
        evaluated_on=datetime.date(2026, 10, 1),
        title={"t": "%(owner)s below pace", "p": {"owner": emp.name}},
        completion=Decimal("0.5"),
        threshold=Decimal("0.7"),
        trace=[{"t": "completion 50.0%% < 70.0%%", "p": {}}],
    )
    for key, level in (("emp_east", 0), ("head_east", 0)):
        AlertRecipient.objects.create(alert=alert, user=world.users[key], level=level)
    return alert


def sample_day(world) -> CalendarDay:
    day = CalendarDay.objects.filter(company=world.company, date=datetime.date(2026, 10, 1)).first()
    if day is None:
        day = CalendarDay.objects.create(
            company=world.company, date=datetime.date(2026, 10, 1), is_working=False, note="国庆"
        )
    return day
