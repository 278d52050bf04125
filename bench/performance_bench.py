"""score_cycle_10k_s: scoring a whole performance cycle of the 10,000-employee demo company.

``measure_scoring(company, notes) -> float`` is called inside a measuring process (Django set
up, demo company built, as bench/run.py does). The setup creates, in bulk, a plan in
calibration (the stage right before publication) covering every department, with 8 indicators
— 6 results indicators (ratio higher/lower is better with a cap, bands, threshold with steps)
and 2 competency ratings — and one evaluated scorecard per active employee with the 8 items
filled (about 1 in 50 missing an actual, so incomplete results are part of it). It then times
``services_scoring.plan_score_all`` (every card scored, stored with its full trace, one audit
row each) — what ``plan_publish_results`` runs before it publishes. A second run (nothing
changed: no writes) is reported in ``notes``.

Standalone: ``.venv/bin/python bench/performance_bench.py [employees]`` builds the demo in
bench/scratch/performance_bench.sqlite3 (or ``<db>_performance_bench`` on DATABASE_URL's
server) and prints the number.
"""

from __future__ import annotations

import datetime
import sys
import time

TARGET_S = 2.0
PLAN_NAME = "bench 2026Q2 绩效"


def _setup(company, notes: list[str]):
    """The plan, its indicators, one evaluated scorecard with 8 filled items per employee."""
    from decimal import Decimal

    from renshi.org.models import Department, Employee
    from renshi.performance.models import (
        Plan,
        PlanDepartment,
        PlanIndicator,
        Scorecard,
        ScorecardItem,
    )
    from renshi.performance.scoring import DEFAULT_GRADES, Rule

    grades = [
        {"key": g.key, "label": g.label, "lower": "" if g.lower.is_infinite() else str(g.lower)}
        for g in DEFAULT_GRADES
    ]
    plan = Plan.objects.create(
        company=company,
        name=PLAN_NAME,
        period_kind="quarter",
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 6, 30),
        grade_bands=grades,
        distribution={"excellent": "20", "good": "30", "pass": "40", "fail": "10"},
    )
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.CALIBRATION)
    departments = list(Department.objects.filter(company=company).values_list("pk", flat=True))
    PlanDepartment.objects.bulk_create(
        PlanDepartment(company=company, plan=plan, department_id=pk) for pk in departments
    )
    rating = Rule(kind="rating").as_dict()
    specs = [
        ("销售额", "results", Rule(cap=Decimal("1.2")).as_dict(), 30, 100),
        ("回款率", "results", Rule().as_dict(), 20, 95),
        ("次品率", "results", Rule(direction="lower", inverse="deviation").as_dict(), 15, 2),
        ("新客户数", "results",
         Rule(kind="bands", bands=((Decimal("0.8"), Decimal(60)), (Decimal(1), Decimal(100)),
                                   (Decimal("1.2"), Decimal(120)))).as_dict(), 15, 10),
        ("停机时间", "results",
         Rule(kind="threshold", direction="lower", limit=Decimal(1), step=Decimal("0.5"),
              step_points=Decimal(20)).as_dict(), 10, None),
        ("费用控制", "results", Rule(direction="lower").as_dict(), 10, 50),
        ("团队合作", "competency", rating, 50, None),
        ("沟通", "competency", rating, 50, None),
    ]  # fmt: skip
    indicators = PlanIndicator.objects.bulk_create(
        PlanIndicator(company=company, plan=plan, name=name, category=category, rule=rule,
                      default_weight=Decimal(weight), order=i,
                      default_target=None if target is None else Decimal(target))
        for i, (name, category, rule, weight, target) in enumerate(specs)
    )  # fmt: skip
    people = list(
        Employee.objects.filter(company=company)
        .exclude(status=Employee.Status.LEFT)
        .order_by("pk")
        .values_list("pk", "department_id")
    )
    Scorecard.objects.bulk_create(
        (
            Scorecard(company=company, plan=plan, employee_id=pk, department_id=dept,
                      status=Scorecard.Status.EVALUATED)
            for pk, dept in people
        ),
        batch_size=2000,
    )  # fmt: skip
    cards = list(Scorecard.objects.filter(plan=plan).order_by("pk").values_list("pk", flat=True))

    def items():
        for n, card in enumerate(cards):
            for i, ind in enumerate(indicators):
                missing = n % 50 == 0 and i == 1
                actual = rating_value = None
                if ind.category == "competency":
                    rating_value = Decimal(1 + (n + i) % 5)
                elif not missing:
                    actual = {
                        0: Decimal(60 + (n * 7) % 80),  # sales against 100
                        1: Decimal(70 + n % 30),  # collection rate against 95
                        2: Decimal((n % 40) / 10),  # defect rate against 2 (lower)
                        3: Decimal(5 + n % 9),  # new customers against 10
                        4: Decimal((n % 30) / 10),  # downtime hours, limit 1
                        5: Decimal(30 + n % 40),  # cost against 50 (lower)
                    }[i]
                yield ScorecardItem(
                    company=company, scorecard_id=card, indicator=ind, weight=ind.default_weight,
                    target=ind.default_target, actual=actual, rating=rating_value,
                )  # fmt: skip

    ScorecardItem.objects.bulk_create(items(), batch_size=5000)
    notes.append(
        f"performance bench: {len(cards)} scorecards × {len(indicators)} indicators "
        f"({len(cards) * len(indicators)} items) in calibration"
    )
    return plan


def measure_scoring(company, notes: list[str]) -> float | None:
    """Seconds of ``plan_score_all`` over the whole cycle (the first, writing run)."""
    from django.db.models import Count

    from renshi.performance.models import Scorecard
    from renshi.performance.services_scoring import plan_score_all

    plan = _setup(company, notes)
    started = time.perf_counter()
    changed = plan_score_all(plan=plan)
    first = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    again = plan_score_all(plan=plan)
    second = round(time.perf_counter() - started, 2)
    grades = dict(
        Scorecard.objects.filter(plan=plan)
        .values("grade")
        .annotate(n=Count("id"))
        .values_list("grade", "n")
    )
    notes.append(
        f"performance bench: scored {changed} cards in {first} s (grades {grades}); "
        f"second run {second} s ({again} changed)"
    )
    print(f"scoring: {changed} scorecards in {first} s; unchanged re-run {second} s")
    return first


def main() -> int:
    from run import standalone_demo

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    company = standalone_demo("performance_bench", n)
    notes: list[str] = []
    value = measure_scoring(company, notes)
    for note in notes:
        print("note:", note)
    print(f"score_cycle_10k_s = {value} (target < {TARGET_S})")
    return 0 if value is not None and value < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
