"""The seeds' strategy for the demo company (2026, balanced scorecard).

"成为区域领先的数据中心服务商": four strategic objectives, one per perspective, linked
learning → process → customer → financial; department goals of the departments concerned
(the retention objective shared by 市场部 and 数据中心事业部, each with its part and weight);
individual KPIs (new customers) of six people of 销售部 with actuals, so that progress and pace
show their colours; target suggestions with their derivation on one KPI (the seeds' 18 per
quarter across 6 salespeople: 3 per person per quarter = 12 per year = 1 per month).

Built through the goal services (``strategy_map_create``, ``goal_create``, ``link_create``,
``goal_record_actual``, ``target_suggest``/``target_accept``), the bootstrap path where the
services allow it and the demo's GM or sales head otherwise. Deterministic (fixed numbers, people
picked by employee number) and idempotent (``demo_strategy_build`` does nothing when the map
exists).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from renshi.goals.models import (
    CauseEffectLink,
    Goal,
    GoalComment,
    KeySuccessFactor,
    PaceSettings,
    Perspective,
    StrategyMap,
    TargetSuggestion,
)
from renshi.goals.services import goal_create, goal_record_actual
from renshi.goals.services_map import link_create, strategy_map_create, success_factor_add
from renshi.goals.services_targets import target_accept, target_suggest
from renshi.org.models import Company, Department, Employee

MAP_NAME = "2026 年度战略"
MISSION = "成为区域领先的数据中心服务商"
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)
SALES_KPI_PEOPLE = 6
# actuals of the six salespeople's new customers (target 12 per year each)
SALES_KPI_ACTUALS = (11, 10, 8, 6, 12, 4)

C, D, P = Goal.Level.COMPANY, Goal.Level.DEPARTMENT, Goal.Level.INDIVIDUAL


def demo_strategy(company: Company) -> StrategyMap | None:
    return StrategyMap.objects.filter(company=company, name=MAP_NAME).first()


def _user(company: Company, username: str) -> Any:
    return (
        Employee.objects.select_related("user").get(company=company, user__username=username).user
    )


@transaction.atomic
def demo_strategy_build(company: Company) -> StrategyMap:
    """Create the seeds' strategy map for ``company`` (the demo company) unless it exists."""
    existing = demo_strategy(company)
    if existing is not None:
        return existing
    gm = _user(company, "gm")
    departments = {d.code: d for d in Department.objects.filter(company=company)}
    heads = {code: d.head for code, d in departments.items()}
    smap = strategy_map_create(
        actor=None,
        company=company,
        name=MAP_NAME,
        mission=MISSION,
        mode=StrategyMap.Mode.BSC,
        period_start=START,
        period_end=END,
    )
    lanes = {p.key: p for p in Perspective.objects.filter(strategy_map=smap)}
    actuals: list[tuple[Goal, Decimal]] = []

    def goal(title: str, level: str, actual=None, **kwargs: Any) -> Goal:
        for key in ("baseline", "target", "weight"):
            if kwargs.get(key) is not None:
                kwargs[key] = Decimal(str(kwargs[key]))
        g = goal_create(actor=None, strategy_map=smap, level=level, title=title, **kwargs)
        if actual is not None:
            actuals.append((g, Decimal(str(actual))))
        return g

    # --- financial: revenue +35%, the data-centre business 60% of it ------------------------
    revenue = goal(
        "营收增长 35%",
        C,
        perspective=lanes["financial"],
        owner=heads["gmo"],
        measure="年度营收（万元）",
        unit="万元",
        baseline=10000,
        target=13500,
        actual=11300,
        description="2025 年营收 1 亿元；2026 年 +35% 即 1.35 亿元，其中数据中心业务占 60%。",
    )
    goal(
        "数据中心业务营收",
        D,
        parent=revenue,
        department=departments["datacenter"],
        owner=heads["datacenter"],
        measure="数据中心业务营收（万元）",
        unit="万元",
        baseline=5500,
        target=8100,  # 60% of 13,500
        weight="0.6",
        actual=7000,
        description="13500 × 60% = 8100 万元。",
    )
    sales_goal = goal(
        "销售部其他业务营收",
        D,
        parent=revenue,
        department=departments["sales"],
        owner=heads["sales"],
        measure="其他业务营收（万元）",
        unit="万元",
        baseline=4500,
        target=5400,  # 40% of 13,500
        weight="0.4",
        actual=4700,
        description="13500 × 40% = 5400 万元。",
    )
    new_customers = goal(
        "新客户开发",
        D,
        parent=sales_goal,
        department=departments["sales"],
        owner=heads["sales"],
        measure="新签客户数",
        unit="个",
        baseline=0,
        target=72,  # 18 per quarter
        actual=51,
        description="每季度 18 个，全年 72 个，由 6 名销售分担。",
    )

    # --- customer: data-centre retention ≥ 85%, shared by marketing and the data centre -----
    retention = goal(
        "数据中心客户留存率 ≥ 85%",
        C,
        perspective=lanes["customer"],
        owner=heads["gmo"],
        measure="数据中心客户续约率",
        unit="%",
        baseline=78,
        target=85,
        actual=82,
    )
    goal(
        "售后回访覆盖率",
        D,
        parent=retention,
        department=departments["marketing"],
        owner=heads["marketing"],
        measure="签约客户售后 30 天内回访的比例",
        unit="%",
        baseline=60,
        target=95,
        weight="0.4",
        actual=88,
    )
    goal(
        "服务器宕机率 ≤ 1%",
        D,
        parent=retention,
        department=departments["datacenter"],
        owner=heads["datacenter"],
        measure="月均宕机时间占比",
        unit="%",
        direction=Goal.Direction.LOWER,
        baseline="2.5",
        target=1,
        weight="0.6",
        actual="1.4",
    )

    # --- internal process: iteration cycle 4 → 3 weeks ------------------------------------
    cycle = goal(
        "产品迭代周期缩短 20%",
        C,
        perspective=lanes["process"],
        owner=heads["gmo"],
        measure="产品迭代周期（周）",
        unit="周",
        direction=Goal.Direction.LOWER,
        baseline=4,
        target=3,
        actual="3.4",
        description=(
            "案例写作“缩短 20%（4 周 → 3 周）”：4 周缩短 20% 是 3.2 周，3 周是缩短 25%。"
            "这里按 3 周设目标（更高的要求）。"
        ),
    )
    goal(
        "研发迭代周期",
        D,
        parent=cycle,
        department=departments["rnd"],
        owner=heads["rnd"],
        measure="从需求冻结到发布的周数",
        unit="周",
        direction=Goal.Direction.LOWER,
        baseline=4,
        target=3,
        actual="3.4",
    )

    # --- learning and growth: cloud certification ≥ 70% ------------------------------------
    cert = goal(
        "技术团队云认证率 ≥ 70%",
        C,
        perspective=lanes["learning"],
        owner=heads["gmo"],
        measure="持有云认证的技术人员比例",
        unit="%",
        baseline=30,
        target=70,
        actual=52,
    )
    for code, actual, weight in (("rnd", 55, "0.6"), ("datacenter", 48, "0.4")):
        goal(
            "技术人员云认证率",
            D,
            parent=cert,
            department=departments[code],
            owner=heads[code],
            measure="持有云认证的技术人员比例",
            unit="%",
            baseline=30,
            target=70,
            weight=weight,
            actual=actual,
        )

    for cause, effect in ((cert, cycle), (cycle, retention), (retention, revenue)):
        link_create(actor=None, strategy_map=smap, cause=cause, effect=effect)
    success_factor_add(actor=None, goal=retention, text="售后 30 天内回访每一位新签客户")
    success_factor_add(actor=None, goal=cert, text="每季度组织一次云认证培训与考试")

    # --- individual KPIs of six salespeople -------------------------------------------------
    sales_people = list(
        Employee.objects.filter(company=company, department__code__startswith="sales")
        .exclude(pk__in=[h.pk for h in heads.values() if h is not None])
        .order_by("employee_no")[:SALES_KPI_PEOPLE]
    )
    kpis = []
    for person, actual in zip(sales_people, SALES_KPI_ACTUALS, strict=False):
        kpis.append(
            goal(
                "新客户数",
                P,
                parent=new_customers,
                owner=person,
                measure="新签客户数",
                unit="个",
                baseline=0,
                target=12,
                actual=actual,
            )
        )
    for g, value in actuals:
        g.refresh_from_db()
        goal_record_actual(actor=gm, goal=g, actual=value, version=g.version)

    # --- target suggestions on the first KPI: the seeds' split, per year and per month -------
    if kpis:
        head = heads["sales"].user
        kpi = kpis[0]
        share = {"parent_target": "18", "period": "quarter", "people": "6", "places": "0"}
        yearly = target_suggest(
            actor=head, goal=kpi, method="share", inputs={**share, "per": "year"}
        )
        kpi.refresh_from_db()
        target_accept(actor=head, suggestion=yearly, goal_version=kpi.version)
        target_suggest(actor=head, goal=kpi, method="share", inputs={**share, "per": "month"})
        target_suggest(
            actor=head,
            goal=kpi,
            method="pipeline",
            # the pipeline gives 10 per month; the typed capacity of 8 triggers a warning
            inputs={
                "prospects": "100",
                "conversion": "30",
                "period": "quarter",
                "per": "month",
                "places": "0",
                "capacity": "8",
            },
        )
    return smap


def demo_strategy_delete(company: Company) -> None:
    """Remove the goals data of ``company`` (before its people and departments)."""
    TargetSuggestion.objects.filter(company=company).delete()
    GoalComment.objects.filter(company=company).delete()
    KeySuccessFactor.objects.filter(company=company).delete()
    CauseEffectLink.objects.filter(company=company).delete()
    goals = Goal.objects.filter(company=company)
    while goals.exists():  # leaves first: the parent link protects a goal
        goals.filter(children__isnull=True).delete()
    Perspective.objects.filter(company=company).delete()
    StrategyMap.objects.filter(company=company).delete()
    PaceSettings.objects.filter(company=company).delete()
