"""The evaluation engine with a stand-in evaluator: dedup, escalation, auto-close, disabled
rules, manual resolution, the partial unique constraint, notifications once."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from renshi.alerts import registry, services
from renshi.alerts.models import Alert, AlertRecipient, AlertRule
from renshi.alerts.pace import Step
from renshi.notifications.models import Notification
from renshi.org.models import Employee

KIND = "test.fake"
DAY = datetime.date(2026, 10, 1)


class Fake:
    """Findings the stand-in evaluator reports: {employee key: completion}."""

    def __init__(self, world):
        self.world = world
        self.below: dict[str, D] = {}
        self.periods: set[str] | None = None
        self.period = "2026"

    def evaluate(self, rule, today):
        ct = ContentType.objects.get_for_model(Employee)
        w = self.world
        for key, value in self.below.items():
            emp = w.employees[key]
            yield registry.Finding(
                subject=(ct, emp.pk),
                period_key=self.period,
                title=Step("%(name)s below pace", {"name": emp.name}),
                completion=value,
                trace=[Step("completion %(c)s", {"c": value})],
                recipients=[w.users[key].pk, w.users["head_east"].pk],
                escalation=[w.users["head_sales"].pk],
                employee_id=emp.pk,
                department_id=emp.department_id,
            )


@pytest.fixture
def fake(world):
    f = Fake(world)
    registry.register_evaluator(
        KIND,
        "Fake",
        f.evaluate,
        default_threshold=D("0.7"),
        default_escalate_after_days=3,
        periods=lambda rule, today: f.periods,
    )
    yield f
    registry._evaluators.pop(KIND, None)


@pytest.fixture
def rule(world, fake):
    services.alert_rules_ensure_defaults(company=world.company)
    return AlertRule.objects.get(company=world.company, kind=KIND)


def run(world, rule, today=DAY):
    return services.alerts_evaluate(company=world.company, today=today, rule_ids=[rule.pk])


def notes(world, key, event="alerts.opened"):
    return Notification.objects.filter(recipient=world.users[key], event=event).count()


def test_defaults_are_idempotent(world, fake):
    first = services.alert_rules_ensure_defaults(company=world.company)
    assert KIND in {r.kind for r in first}
    assert services.alert_rules_ensure_defaults(company=world.company) == []
    rule = AlertRule.objects.get(company=world.company, kind=KIND)
    assert rule.threshold == D("0.7") and rule.escalate_after_days == 3 and rule.active


def test_dedup_one_alert_and_one_notification(world, rule, fake):
    fake.below = {"emp_east": D("0.5")}
    assert run(world, rule)["opened"] == 1
    counts = run(world, rule, DAY + datetime.timedelta(days=1))
    assert counts.get("opened", 0) == 0 and counts["kept"] == 1
    alert = Alert.objects.get(rule=rule)
    assert alert.status == Alert.Status.OPEN
    assert alert.evaluated_on == DAY + datetime.timedelta(days=1)
    assert notes(world, "emp_east") == 1 and notes(world, "head_east") == 1
    assert notes(world, "head_sales") == 0
    recipients = set(AlertRecipient.objects.filter(alert=alert).values_list("user_id", "level"))
    assert recipients == {(world.users["emp_east"].pk, 0), (world.users["head_east"].pk, 0)}
    assert alert.title_text == "郑员工 below pace"
    assert alert.completion == D("0.5") and alert.threshold == D("0.7")


def test_values_refresh_without_notifying(world, rule, fake):
    fake.below = {"emp_east": D("0.5")}
    run(world, rule)
    fake.below = {"emp_east": D("0.6")}
    run(world, rule)
    alert = Alert.objects.get(rule=rule)
    assert alert.completion == D("0.6") and alert.trace_text() == ["completion 0.6"]
    assert notes(world, "emp_east") == 1


def test_escalation_after_n_days_notifies_once(world, rule, fake):
    fake.below = {"emp_east": D("0.5")}
    run(world, rule)
    run(world, rule, DAY + datetime.timedelta(days=2))  # 2 < 3 days
    assert Alert.objects.get(rule=rule).status == Alert.Status.OPEN
    counts = run(world, rule, DAY + datetime.timedelta(days=3))
    assert counts["escalated"] == 1
    alert = Alert.objects.get(rule=rule)
    assert alert.status == Alert.Status.ESCALATED and alert.escalated_at is not None
    run(world, rule, DAY + datetime.timedelta(days=4))
    assert notes(world, "head_sales", "alerts.escalated") == 1
    assert notes(world, "emp_east", "alerts.escalated") == 0
    assert AlertRecipient.objects.get(alert=alert, user=world.users["head_sales"]).level == 1


def test_zero_days_never_escalates(world, rule, fake):
    services.alert_rule_update(actor=None, rule=rule, version=rule.version, escalate_after_days=0)
    fake.below = {"emp_east": D("0.5")}
    run(world, rule)
    run(world, rule, DAY + datetime.timedelta(days=30))
    assert Alert.objects.get(rule=rule).status == Alert.Status.OPEN


def test_back_on_pace_closes_quietly(world, rule, fake):
    fake.below = {"emp_east": D("0.5"), "emp_east2": D("0.6")}
    run(world, rule)
    fake.below = {"emp_east2": D("0.6")}
    counts = run(world, rule, DAY + datetime.timedelta(days=1))
    assert counts["closed"] == 1
    closed = Alert.objects.get(rule=rule, subject_id=world.emp_east.pk)
    assert closed.status == Alert.Status.CLOSED
    assert closed.close_reason == Alert.CloseReason.BACK_ON_PACE and closed.closed_at
    assert Notification.objects.filter(recipient=world.users["emp_east"]).count() == 1
    # falling behind again opens a new alert (the closed one stays as history)
    fake.below = {"emp_east": D("0.4"), "emp_east2": D("0.6")}
    run(world, rule, DAY + datetime.timedelta(days=2))
    assert Alert.objects.filter(rule=rule, subject_id=world.emp_east.pk).count() == 2


def test_an_ended_period_closes_as_period_over(world, rule, fake):
    fake.below, fake.period = {"emp_east": D("0.5")}, "2026-W40"
    run(world, rule)
    fake.below, fake.periods = {}, {"2026-W41"}
    run(world, rule, DAY + datetime.timedelta(days=7))
    assert Alert.objects.get(rule=rule).close_reason == Alert.CloseReason.PERIOD_ENDED


def test_disabled_rule_closes_its_alerts_and_opens_none(world, rule, fake):
    fake.below = {"emp_east": D("0.5")}
    run(world, rule)
    rule.refresh_from_db()
    services.alert_rule_update(
        actor=world.users["perf"], rule=rule, version=rule.version, active=False
    )
    alert = Alert.objects.get(rule=rule)
    assert alert.status == Alert.Status.CLOSED
    assert alert.close_reason == Alert.CloseReason.RULE_DISABLED
    run(world, rule, DAY + datetime.timedelta(days=1))
    assert Alert.objects.filter(rule=rule, status__in=Alert.OPEN_STATUSES).count() == 0


def test_resolved_by_hand_stays_closed_for_the_period(world, rule, fake):
    fake.below = {"emp_east": D("0.5")}
    run(world, rule)
    alert = Alert.objects.get(rule=rule)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # not by the person it is about
        services.alert_resolve(actor=world.users["emp_east"], alert=alert)
    services.alert_resolve(actor=world.users["head_east"], alert=alert)
    run(world, rule, DAY + datetime.timedelta(days=1))
    assert Alert.objects.filter(rule=rule).count() == 1
    assert Alert.objects.get(rule=rule).close_reason == Alert.CloseReason.RESOLVED


def test_rule_update_is_version_checked_and_audited(world, rule):
    from renshi.core.concurrency import ConflictError
    from renshi.core.models import AuditLog

    services.alert_rule_update(
        actor=world.users["hrvp"], rule=rule, version=rule.version, threshold=D("0.6")
    )
    with pytest.raises(ConflictError):
        services.alert_rule_update(
            actor=world.users["perf"], rule=rule, version=rule.version, threshold=D("0.5")
        )
    assert AuditLog.objects.filter(
        object_id=str(rule.pk), action="update", content_type__model="alertrule"
    ).exists()
    from django.http import Http404

    with pytest.raises(Http404):  # a VP does not manage rules
        services.alert_rule_update(actor=world.users["vp1"], rule=rule, version=None)


def test_one_open_alert_per_rule_subject_period(world, rule):
    ct = ContentType.objects.get_for_model(Employee)
    fields = {
        "company": world.company,
        "rule": rule,
        "subject_type": ct,
        "subject_id": world.emp_east.pk,
        "period_key": "2026",
        "opened_on": DAY,
        "opened_at": timezone.now(),
        "evaluated_on": DAY,
        "threshold": D("0.7"),
    }
    first = Alert.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**fields)
    Alert.objects.create(**{**fields, "period_key": "2027"})  # another period
    first.status = Alert.Status.CLOSED
    first.save()
    Alert.objects.create(**fields)  # the closed one does not count


def test_calendar_days_bulk_and_delete(world):
    from renshi.alerts.models import CalendarDay

    days = [datetime.date(2026, 10, 1) + datetime.timedelta(days=i) for i in range(7)]
    saved = services.calendar_days_set(
        actor=world.users["hrvp"], dates=days, is_working=False, note="国庆"
    )
    assert len(saved) == 7
    services.calendar_days_set(
        actor=world.users["hrvp"], dates=[datetime.date(2026, 10, 10)], is_working=True
    )
    assert CalendarDay.objects.filter(company=world.company).count() == 8
    services.calendar_day_delete(actor=world.users["perf"], day=saved[0])
    assert CalendarDay.objects.filter(company=world.company).count() == 7
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.calendar_days_set(actor=world.users["vp1"], dates=days, is_working=False)


def test_each_person_hears_of_their_own_alerts(world, fake, rule):
    fake.below = {"emp_east": D("0.5"), "emp_east2": D("0.6")}
    run(world, rule)
    mine = Notification.objects.get(recipient=world.users["emp_east"], event="alerts.opened")
    assert mine.title.count("emp_east") == 0  # named by the employee's name, not the key
    assert world.employees["emp_east"].name in mine.title
    assert world.employees["emp_east2"].name not in mine.title
    alert = Alert.objects.get(subject_id=world.employees["emp_east"].pk)
    assert mine.url == f"/alerts/{alert.pk}/"
    head = Notification.objects.get(recipient=world.users["head_east"], event="alerts.opened")
    assert head.title.startswith("2")  # "2 new alerts: …" (both concern the head)
    assert head.url.startswith("/alerts/?rule=")
