"""The demo's performance cycles: a closed half-year that went through the whole chain and a
quarter in progress whose new-customer items are fed by the CRM metric."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from renshi.core.models import AuditLog
from renshi.demo.performance import H1_NAME, Q4_NAME, demo_performance_build
from renshi.demo.services import demo_build, demo_delete
from renshi.org.models import Employee
from renshi.performance.models import (
    Appeal,
    DataSource,
    ImprovementPlan,
    IndicatorTemplate,
    ItemComment,
    Plan,
    PlanComment,
    PlanDepartment,
    Scorecard,
    ScorecardItem,
)
from renshi.performance.services_scoring import trace_lines

pytestmark = pytest.mark.django_db

LATE_NOVEMBER = datetime.date(2026, 11, 23)


@pytest.fixture
def demo(db):
    with translation.override("en"):
        return demo_build(today=LATE_NOVEMBER)


def plans(company):
    return {p.name: p for p in Plan.objects.filter(company=company)}


def test_library_and_both_cycles(demo):
    assert IndicatorTemplate.objects.filter(company=demo, name="新客户数").exists()
    found = plans(demo)
    assert set(found) == {H1_NAME, Q4_NAME}
    half, quarter = found[H1_NAME], found[Q4_NAME]
    assert half.status == Plan.Status.CLOSED
    assert (half.period_start, half.period_end) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 6, 30),
    )
    assert half.company_level and (half.results_share, half.competency_share) == (70, 30)
    assert half.distribution == {"excellent": "20", "good": "30", "pass": "40", "fail": "10"}
    assert [b["key"] for b in half.grade_bands] == ["excellent", "good", "pass", "fail"]
    assert quarter.status == Plan.Status.TRACKING
    assert (quarter.period_start, quarter.period_end) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    people = Employee.objects.filter(company=demo).count()
    for plan in (half, quarter):  # every department, every employee
        assert PlanDepartment.objects.filter(plan=plan).count() == 11
        assert PlanDepartment.objects.filter(plan=plan, assignments_submitted_at=None).count() == 0
        assert Scorecard.objects.filter(plan=plan).count() == people
    assert set(Scorecard.objects.filter(plan=quarter).values_list("status", flat=True)) == {
        Scorecard.Status.CONFIRMED
    }


def test_the_approval_chain_left_its_marks(demo):
    half = plans(demo)[H1_NAME]
    steps = set(PlanComment.objects.filter(plan=half).values_list("step", flat=True))
    assert {"hr_approve", "vp_approve", "gm_file"} <= steps
    parts = PlanDepartment.objects.filter(plan=half).exclude(department__parent=None)
    assert set(parts.values_list("review", flat=True)) == {PlanDepartment.Review.APPROVED}
    # the steps are attributed to the people who took them
    log = AuditLog.objects.filter(content_type__model="plan", object_id=str(half.pk))
    actors = set(log.exclude(actor=None).values_list("actor__username", flat=True))
    assert {"perf", "hrvp", "gm"} <= actors


def test_every_closed_card_is_scored_with_a_trace_and_the_grades_spread(demo):
    half = plans(demo)[H1_NAME]
    cards = list(Scorecard.objects.filter(plan=half))
    assert {c.status for c in cards} <= {Scorecard.Status.ACKNOWLEDGED, Scorecard.Status.PUBLISHED}
    assert sum(c.status == Scorecard.Status.ACKNOWLEDGED for c in cards) > len(cards) * 0.8
    for card in cards:
        assert card.score is not None and card.grade and card.trace
        assert card.complete, card
        assert trace_lines(card)
    grades = Counter(c.final_grade for c in cards)
    assert set(grades) == {"excellent", "good", "pass", "fail"}
    assert grades["excellent"] < len(cards) * 0.4
    assert grades["fail"] < len(cards) * 0.25
    calibrated = [c for c in cards if c.calibrated_grade]
    assert 1 <= len(calibrated) <= 2
    assert all(c.calibration_reason and c.calibrated_by_id for c in calibrated)
    # competencies rated, results actuals typed or fed
    items = ScorecardItem.objects.filter(scorecard__plan=half).select_related("indicator")
    for item in items:
        if item.indicator.rule.get("kind") == "rating":
            assert item.rating is not None
        else:
            assert item.actual is not None, item


def test_one_appeal_rescored_and_one_improvement_plan(demo):
    half = plans(demo)[H1_NAME]
    appeal = Appeal.objects.get(scorecard__plan=half)
    assert appeal.status == Appeal.Status.RESCORED
    assert appeal.response and appeal.handled_by.username == "perf"
    assert appeal.raised_by == appeal.scorecard.employee.user
    assert appeal.scorecard.status == Scorecard.Status.ACKNOWLEDGED
    plan = ImprovementPlan.objects.get(scorecard__plan=half)
    assert plan.scorecard.final_grade == "fail"
    assert half.closed_at and half.published_at < half.closed_at


def test_current_cycle_new_customers_come_from_the_crm_metric(demo):
    quarter = plans(demo)[Q4_NAME]
    fed = ScorecardItem.objects.filter(
        scorecard__plan=quarter, indicator__metric_key="crm.new_customers"
    )
    assert fed.count() >= 6
    for item in fed:
        assert item.indicator.data_source == DataSource.METRIC
        assert item.actual is not None
        assert item.actual_source == "metric"
        trace = item.actual_trace
        assert trace["metric"] == "crm.new_customers" and trace["points"]
        assert trace["period"] == {"start": "2026-10-01", "end": "2026-11-23"}
        assert sum(int(float(p["value"])) for p in trace["points"]) == item.actual
    typed = ScorecardItem.objects.filter(
        scorecard__plan=quarter, actual_source="typed", indicator__data_source=DataSource.MANUAL
    )
    manual = ScorecardItem.objects.filter(
        scorecard__plan=quarter, indicator__data_source=DataSource.MANUAL
    ).exclude(indicator__rule__kind="rating")
    assert 0 < typed.count() < manual.count()  # some actuals typed, not all
    assert ItemComment.objects.filter(item__scorecard__plan=quarter).count() == 2
    objected = Scorecard.objects.filter(plan=quarter).exclude(objection="")
    assert not objected.exists()  # the objection was answered: revised and sent again
    assert AuditLog.objects.filter(
        content_type__model="scorecard", changes__status__after="objected"
    ).exists()


def test_deterministic_for_a_given_today(demo):
    def fingerprint(company):
        return sorted(
            Scorecard.objects.filter(plan__company=company).values_list(
                "plan__name", "employee__employee_no", "score", "grade", "calibrated_grade"
            )
        )

    first = fingerprint(demo)
    assert demo_delete()
    with translation.override("en"):
        again = demo_build(today=LATE_NOVEMBER)
    assert fingerprint(again) == first


def test_idempotent_and_removed_by_delete(demo):
    counts = (Plan.objects.count(), Scorecard.objects.count(), ScorecardItem.objects.count())
    demo_performance_build(demo, today=LATE_NOVEMBER)
    assert (Plan.objects.count(), Scorecard.objects.count(), ScorecardItem.objects.count()) == (
        counts
    )
    assert demo_delete()
    for model in (Plan, Scorecard, ScorecardItem, Appeal, ItemComment, IndicatorTemplate):
        assert not model.objects.exists(), model


def test_command_adds_the_cycles_to_a_company_without_them(demo):
    from renshi.demo.performance import demo_performance_delete

    demo_performance_delete(demo)
    out = StringIO()
    with translation.override("en"):
        call_command("demo", stdout=out)
    assert "Added performance cycles to the demo company" in out.getvalue()
    assert set(plans(demo)) == {H1_NAME, Q4_NAME}
    out = StringIO()
    with translation.override("en"):
        call_command("demo", stdout=out)
    assert "nothing changed" in out.getvalue()
