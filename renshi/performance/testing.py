"""A performance plan on top of the standard test organisation (renshi/org/testing.py).

``build_plan_world(world, plan_status=..., card_status=...)`` creates, in acme:

* plan "2026Q1 绩效" (quarter 2026-01-01..2026-03-31, company-level, split 70:30, default
  grade bands, no forced distribution, no 360) covering sales, sales_east and production;
* plan indicators: results — 销售额 (ratio, target 10, default weight 60), 新客户数 (ratio,
  target 4, default weight 40, fed by the metric ``crm.new_customers``); competency —
  团队合作 and 沟通 (rating 1–5, default weight 50 each); production gets 次品率 (ratio,
  lower is better, target 2, weight 100) instead of the sales results;
* scorecards for emp_east, emp_east2 (department sales_east, evaluator head_east) and emp_prod
  (production, evaluator head_prod) with their items at the default weights and targets.

Statuses are set directly (this is a fixture, not a workflow: services are the only writers in
the product). Tests that walk the workflow start from ``plan_status=DRAFT``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .models import (
    Category,
    DataSource,
    Direction,
    Plan,
    PlanDepartment,
    PlanIndicator,
    Scorecard,
    ScorecardItem,
)
from .scoring import DEFAULT_GRADES, Rule

RATING = Rule(
    kind="rating",
    anchors=((1, "远低于期望"), (2, "低于期望"), (3, "达到期望"), (4, "超出期望"), (5, "卓越")),
).as_dict()


@dataclass
class PlanWorld:
    world: Any
    plan: Plan
    indicators: dict[str, PlanIndicator] = field(default_factory=dict)
    cards: dict[str, Scorecard] = field(default_factory=dict)  # by employee key
    items: dict[tuple[str, str], ScorecardItem] = field(default_factory=dict)  # (emp, indicator)

    def __getattr__(self, name: str):
        return getattr(self.world, name)


def grade_bands_json() -> list[dict[str, str]]:
    return [
        {"key": g.key, "label": g.label, "lower": "" if g.lower.is_infinite() else str(g.lower)}
        for g in DEFAULT_GRADES
    ]


def build_plan_world(
    world,
    *,
    plan_status: str = Plan.Status.TRACKING,
    card_status: str = Scorecard.Status.CONFIRMED,
) -> PlanWorld:
    company = world.company
    plan = Plan.objects.create(
        company=company,
        name="2026Q1 绩效",
        period_kind="quarter",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        grade_bands=grade_bands_json(),
        created_by=world.users["perf"],
        assign_deadline=datetime.date(2026, 1, 10),
        self_eval_deadline=datetime.date(2026, 4, 5),
        manager_eval_deadline=datetime.date(2026, 4, 10),
        calibration_deadline=datetime.date(2026, 4, 15),
    )
    Plan.objects.filter(pk=plan.pk).update(status=plan_status)
    plan.refresh_from_db()
    for key in ("sales", "sales_east", "production"):
        PlanDepartment.objects.create(company=company, plan=plan, department=world.departments[key])
    pw = PlanWorld(world=world, plan=plan)

    def indicator(key, name, category, *, department=None, order=0, **kwargs):
        ind = PlanIndicator.objects.create(
            company=company,
            plan=plan,
            name=name,
            category=category,
            department=world.departments[department] if department else None,
            order=order,
            **kwargs,
        )
        pw.indicators[key] = ind
        return ind

    ratio = Rule().as_dict()
    indicator(
        "sales", "销售额", Category.RESULTS, department="sales_east", unit="万元", rule=ratio,
        default_weight=Decimal(60), default_target=Decimal(10),
    )  # fmt: skip
    indicator(
        "customers", "新客户数", Category.RESULTS, department="sales_east", order=1, unit="个",
        rule=ratio, data_source=DataSource.METRIC, metric_key="crm.new_customers",
        default_weight=Decimal(40), default_target=Decimal(4),
    )  # fmt: skip
    indicator(
        "defects", "次品率", Category.RESULTS, department="production", unit="%",
        direction=Direction.LOWER, rule=Rule(direction="lower").as_dict(),
        default_weight=Decimal(100), default_target=Decimal(2),
    )  # fmt: skip
    indicator("teamwork", "团队合作", Category.COMPETENCY, rule=RATING, default_weight=Decimal(50))
    indicator(
        "communication", "沟通", Category.COMPETENCY, order=1, rule=RATING,
        default_weight=Decimal(50),
    )  # fmt: skip

    people = (
        ("emp_east", "sales_east", "head_east", ("sales", "customers")),
        ("emp_east2", "sales_east", "head_east", ("sales", "customers")),
        ("emp_prod", "production", "head_prod", ("defects",)),
    )
    for emp, dept, evaluator, results in people:
        card = Scorecard.objects.create(
            company=company,
            plan=plan,
            employee=world.employees[emp],
            department=world.departments[dept],
            evaluator=world.employees[evaluator],
        )
        Scorecard.objects.filter(pk=card.pk).update(status=card_status)
        card.refresh_from_db()
        pw.cards[emp] = card
        for key in (*results, "teamwork", "communication"):
            ind = pw.indicators[key]
            pw.items[(emp, key)] = ScorecardItem.objects.create(
                company=company,
                scorecard=card,
                indicator=ind,
                weight=ind.default_weight,
                target=ind.default_target,
            )
    return pw
