"""A standard strategy for tests, on top of renshi.org.testing's world (ORM only, so every
engineer can use it before the services exist).

Map "2026 战略" (BSC, 2026-01-01 → 2026-12-31), the seeds' example:
  obj_revenue   financial  revenue +35%           baseline 100, target 135, actual 120
    dg_sales      sales        (weight 3) target 80, baseline 50, actual 65   — head_sales' dept
      kpi_east      individual  emp_east (weight 1) new customers target 12, actual 6
      kpi_east2     individual  emp_east2 (weight 1) new customers target 12, actual 12
    dg_prod       production   (weight 1) output target 1000, baseline 800, actual 900
  obj_retention customer   retention ≥ 85%        baseline 80, target 85, actual 83
    dg_downtime   production   downtime ≤ 1% (lower is better) baseline 2, target 1, actual 1.5
  obj_cycle     process    iteration cycle 4 → 3 weeks (lower) baseline 4, target 3, actual 3.5
    dg_rnd        rnd          same measure, weight 1
  obj_cert      learning   certified ≥ 70%        baseline 40, target 70, actual 55
Links: obj_cert → obj_cycle → obj_retention → obj_revenue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from .models import CauseEffectLink, Goal, Perspective, StrategyMap

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)


@dataclass
class GoalWorld:
    strategy_map: StrategyMap
    perspectives: dict[str, Perspective] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)

    def __getattr__(self, name: str):
        goals = self.__dict__.get("goals", {})
        if name in goals:
            return goals[name]
        raise AttributeError(name)


def build_goal_world(world) -> GoalWorld:
    company = world.company
    smap = StrategyMap.objects.create(
        company=company,
        name="2026 战略",
        mission="成为区域领先的数据中心服务商",
        mode=StrategyMap.Mode.BSC,
        period_start=START,
        period_end=END,
    )
    gw = GoalWorld(strategy_map=smap)
    names = {
        "financial": "财务",
        "customer": "客户",
        "process": "内部流程",
        "learning": "学习与成长",
    }
    for key, name in names.items():
        gw.perspectives[key] = Perspective.objects.create(
            company=company, strategy_map=smap, key=key, name=name
        )

    def goal(
        key,
        title,
        level,
        *,
        parent=None,
        perspective=None,
        department=None,
        owner=None,
        baseline=None,
        target=None,
        actual=None,
        direction="higher",
        weight=1,
        unit="",
    ):
        g = Goal.objects.create(
            company=company,
            strategy_map=smap,
            level=level,
            title=title,
            parent=gw.goals.get(parent) if parent else None,
            perspective=gw.perspectives.get(perspective) if perspective else None,
            department=world.departments[department] if department else None,
            owner=world.employees[owner] if owner else None,
            measure=title,
            unit=unit,
            direction=direction,
            baseline=None if baseline is None else Decimal(str(baseline)),
            target=None if target is None else Decimal(str(target)),
            actual=None if actual is None else Decimal(str(actual)),
            weight=Decimal(str(weight)),
            start_date=START,
            deadline=END,
        )
        gw.goals[key] = g
        return g

    C, D, P = Goal.Level.COMPANY, Goal.Level.DEPARTMENT, Goal.Level.INDIVIDUAL
    goal(
        "obj_revenue",
        "营收增长 35%",
        C,
        perspective="financial",
        owner="gm",
        baseline=100,
        target=135,
        actual=120,
        unit="%",
    )
    goal(
        "dg_sales",
        "销售部营收",
        D,
        parent="obj_revenue",
        department="sales",
        owner="head_sales",
        baseline=50,
        target=80,
        actual=65,
        weight=3,
        unit="万元",
    )
    goal(
        "kpi_east",
        "新客户数",
        P,
        parent="dg_sales",
        owner="emp_east",
        department="sales_east",
        baseline=0,
        target=12,
        actual=6,
        unit="个",
    )
    goal(
        "kpi_east2",
        "新客户数",
        P,
        parent="dg_sales",
        owner="emp_east2",
        department="sales_east",
        baseline=0,
        target=12,
        actual=12,
        unit="个",
    )
    goal(
        "dg_prod",
        "产量",
        D,
        parent="obj_revenue",
        department="production",
        owner="head_prod",
        baseline=800,
        target=1000,
        actual=900,
        unit="台",
    )
    goal(
        "obj_retention",
        "数据中心客户留存率 ≥ 85%",
        C,
        perspective="customer",
        owner="gm",
        baseline=80,
        target=85,
        actual=83,
        unit="%",
    )
    goal(
        "dg_downtime",
        "服务器宕机率 ≤ 1%",
        D,
        parent="obj_retention",
        department="production",
        owner="head_prod",
        baseline=2,
        target=1,
        actual=1.5,
        direction="lower",
        unit="%",
    )
    goal(
        "obj_cycle",
        "产品迭代周期缩短 20%",
        C,
        perspective="process",
        owner="gm",
        baseline=4,
        target=3,
        actual=3.5,
        direction="lower",
        unit="周",
    )
    goal(
        "dg_rnd",
        "研发迭代周期",
        D,
        parent="obj_cycle",
        department="rnd",
        owner="head_rnd",
        baseline=4,
        target=3,
        actual=3.5,
        direction="lower",
        unit="周",
    )
    goal(
        "obj_cert",
        "技术团队云认证 ≥ 70%",
        C,
        perspective="learning",
        owner="gm",
        baseline=40,
        target=70,
        actual=55,
        unit="%",
    )
    for cause, effect in [
        ("obj_cert", "obj_cycle"),
        ("obj_cycle", "obj_retention"),
        ("obj_retention", "obj_revenue"),
    ]:
        CauseEffectLink.objects.create(
            company=company, strategy_map=smap, cause=gw.goals[cause], effect=gw.goals[effect]
        )
    return gw
