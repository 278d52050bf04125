"""The demo company's performance cycles: a closed half-year and a running quarter.

* the company's indicator library (``library_seed``);
* **2026 上半年绩效** (2026-01-01..06-30, company-level, 70:30, default grade bands, forced
  distribution 20/30/40/10 for information), taken through the whole chain: drafted by the
  performance manager (perf), approved by the HR VP (hrvp) and by every VP for their
  departments, filed by the GM (gm) — which publishes it and creates a scorecard for every
  employee of every department —, weights and targets assigned around the plan's defaults and
  sent, confirmed, the departments' assignments submitted, started, actuals typed by the
  managers and ``crm.new_customers`` feeding 新客户数, self-evaluated,
  evaluated (ratings of the competencies), scored, calibrated (one grade raised by a VP, one
  lowered by the HR VP, each with its reason), published, acknowledged by most, one appeal
  re-scored by the performance manager, one improvement plan, closed;
* **2026 第四季度绩效** (2026-10-01..12-31) in ``tracking``: assigned (one objection, revised
  and sent again), confirmed, submitted, started; 新客户数 of the sales and marketing people
  fed by ``crm.new_customers`` (actual and lineage from data points up to ``today``), some
  actuals typed, a feedback thread on one indicator.

Through the services, each step by the person whose role takes it, with the audit context
naming that person: ``library_seed``, ``plan_create``, ``plan_indicators_from_library``,
``plan_indicator_add``, ``plan_indicator_update`` (perf), ``plan_transition`` (submit, stages:
perf; hr_approve: hrvp; gm_file: gm — publication creates the scorecards in bulk),
``plan_part_review`` (the VPs), ``metrics.points_ingest`` + ``actuals.items_actuals_refresh``
(fed actuals), ``plan_score_all``, ``scorecard_calibrate`` (a VP, hrvp),
``plan_publish_results``, ``appeal_create`` / ``scorecard_acknowledge`` (the employee),
``appeal_rescore``, ``plan_close`` (perf), ``improvement_plan_save`` (the head), and for the
one objection and the feedback thread ``scorecard_object``, ``scorecard_items_update``,
``scorecard_send``, ``item_comment_add``.

**Bulk writes instead of a service** for the per-person steps — the services act on one card
(or, for ``scorecard_items_update`` / ``scorecard_actuals_update`` / ``scorecards_send`` /
``plan_department_submit``, on one team or department, with Django's ``bulk_update``), which
took minutes for the 10,000-employee benchmark build: the assigners' weights and targets and
sending the cards, the employees' confirmations, the departments' submissions, the managers'
typed actuals, the self-evaluations, the evaluations (ratings, comments) and the
acknowledgements. ``_write`` issues one prepared UPDATE per 500 rows (version bumped,
``updated_at`` set) and logs every row's changed fields before → after with
``audit_changes`` (as ``plan_score_all`` does); card statuses move through the
``workflows.SCORECARD`` table (``_move``). These steps send no notifications. The publication
date of the half-year is set to 2026-07-15 (at the latest ``appeal_days`` + 1 days ago) so the
appeal window has passed and the plan can be closed; the cards' publication and
acknowledgement times follow (audited too).

Deterministic for a given ``today``: the per-person variation (weights, targets, actuals,
ratings) is drawn from ``random.Random`` seeded with the demo seed and the plan's name, in the
order of employee numbers. Data points are dated up to ``today`` (a cycle not started by then
has no fed actuals). Idempotent: ``demo_performance_build`` does nothing when the half-year
cycle exists.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from renshi.core import context
from renshi.core.audit import audit_changes
from renshi.core.models import AuditLog
from renshi.goals.models import Goal
from renshi.metrics.models import IngestBatch, Metric
from renshi.org.models import Company, Department
from renshi.performance import workflows
from renshi.performance.actuals import fed_items, items_actuals_refresh
from renshi.performance.library import department_type_of, library_seed
from renshi.performance.models import (
    Answer360,
    Appeal,
    Category,
    DataSource,
    ImprovementPlan,
    IndicatorTemplate,
    ItemComment,
    Plan,
    PlanComment,
    PlanDepartment,
    PlanIndicator,
    Rater360,
    Scorecard,
    ScorecardItem,
)
from renshi.performance.services_cards import (
    item_comment_add,
    scorecard_items_update,
    scorecard_object,
    scorecard_send,
)
from renshi.performance.services_plans import (
    plan_create,
    plan_indicator_add,
    plan_indicator_update,
    plan_indicators_from_library,
    plan_part_review,
    plan_transition,
    supervising_vps,
)
from renshi.performance.services_results import (
    ItemChange,
    appeal_create,
    appeal_rescore,
    improvement_plan_save,
    plan_close,
    plan_publish_results,
    scorecard_acknowledge,
    scorecard_calibrate,
)
from renshi.performance.services_scoring import plan_score_all

from . import data
from .metrics import NEW_CUSTOMERS, _ingest

S = Scorecard.Status
H1_NAME = "2026 上半年绩效"
Q4_NAME = "2026 第四季度绩效"
H1_START = datetime.date(2026, 1, 1)
Q4_START = datetime.date(2026, 10, 1)
DISTRIBUTION = {"excellent": "20", "good": "30", "pass": "40", "fail": "10"}
# when the half-year's results were published and the plan closed (at the latest: long
# enough ago for the appeal window to have passed)
H1_PUBLISHED = datetime.datetime(2026, 7, 15, 10, 0)
APPEAL_DAYS = 7

# library indicators whose metric the demo does not collect: typed in (from the ERP reports)
TYPED_IN = {"销售额", "产量", "次品率"}
# the plan's default targets per period (the library has few): (half-year, quarter)
TARGETS = {
    "销售额": (Decimal(240), Decimal(120)),
    "新客户数": (Decimal(6), Decimal(3)),
    "产量": (Decimal(6000), Decimal(3000)),
    "次品率": (Decimal(2), Decimal(2)),
    "需求响应时间": (Decimal(5), Decimal(5)),
    "代码缺陷率": (Decimal(1), Decimal(1)),
}
WHOLE_UNITS = {"个", "件"}
RATIO_HIGHER = {"kind": "ratio", "direction": "higher", "cap": "1.2"}
KEY_TASKS = {  # results of the departments the library has no type for
    "name": "重点工作完成率",
    "category": Category.RESULTS,
    "unit": "%",
    "rule": RATIO_HIGHER,
    "default_weight": Decimal(100),
    "default_target": Decimal(100),
}
SATISFACTION = {
    "name": "客户满意度",
    "category": Category.RESULTS,
    "unit": "%",
    "rule": {"kind": "ratio", "direction": "higher", "cap": "1.1"},
    "default_weight": Decimal(50),
    "default_target": Decimal(95),
}
# departments without a library type: which results they get
OPERATIONS = ("服务器停机时间占比", "投诉响应时间")
EXTRA_RESULTS = {"datacenter": "operations", "service": "service"}

SELF_COMMENTS = (
    "本期目标基本达成，下期重点提升交付效率。",
    "按计划完成了主要工作，沟通协作方面还有提升空间。",
    "超额完成部分指标，希望下期承担更多挑战。",
    "个别指标未达预期，已总结原因并制定改进措施。",
)
MANAGER_COMMENTS = {
    5: "表现突出，是团队的标杆。",
    4: "完成质量高，继续保持。",
    3: "达到期望，部分方面可以更主动。",
    2: "与期望有差距，需要重点改进。",
    1: "明显低于期望，需制定改进计划。",
}
EVIDENCE = {
    "服务器停机时间占比": "运维监控平台半年报（附件：2026H1-uptime.pdf）",
    "代码缺陷率": "代码评审与缺陷统计报告（Jira 筛选器：2026H1-defects）",
}


def demo_performance_exist(company: Company) -> bool:
    return Plan.objects.filter(company=company, name=H1_NAME).exists()


@transaction.atomic
def demo_performance_build(company: Company, *, today: datetime.date | None = None) -> None:
    """Seed the library and create both cycles unless the half-year cycle exists."""
    if demo_performance_exist(company):
        return
    today = today or timezone.localdate()
    cast = _Cast.load(company)
    with cast.acting("perf"):
        library_seed(company=company, actor=cast.user("perf"))
    half = _Cycle(cast, H1_NAME, "half", H1_START, today, index=0)
    half.prepare()
    half.run_period(typed_share=1)
    half.finish()
    quarter = _Cycle(cast, Q4_NAME, "quarter", Q4_START, today, index=1)
    quarter.prepare(objection=True)
    quarter.run_period(typed_share=Decimal("0.65"))
    quarter.feedback_thread()


def demo_performance_delete(company: Company) -> None:
    """Remove the performance data of ``company`` (before its people and departments)."""
    for model in (
        Answer360,
        Rater360,
        ImprovementPlan,
        Appeal,
        ItemComment,
        ScorecardItem,
        Scorecard,
        PlanComment,
        PlanIndicator,
        PlanDepartment,
        Plan,
        IndicatorTemplate,
    ):
        model.objects.filter(company=company).delete()


# --- who acts ------------------------------------------------------------------------------------


@dataclass
class _Cast:
    """The demo's users, by username and by employee id (loaded once: their scopes are cached
    on the objects)."""

    company: Company
    by_name: dict[str, Any]
    by_employee: dict[int, Any] = field(default_factory=dict)
    leaders: set[int] = field(default_factory=set)  # employee ids of gm, VPs, hrvp, perf

    @classmethod
    def load(cls, company: Company) -> _Cast:
        names = [u for u, _n, _p in data.LEADERS]
        users = get_user_model().objects.filter(employee__company=company, username__in=names)
        by_name = {u.username: u for u in users.select_related("employee")}
        cast = cls(company=company, by_name=by_name)
        for user in by_name.values():
            cast.by_employee[user.employee.pk] = user
        cast.leaders = set(cast.by_employee)
        return cast

    def user(self, username: str) -> Any:
        return self.by_name[username]

    def of(self, employee_ids) -> None:
        """Load the users of these employees (one query for the missing ones)."""
        missing = set(employee_ids) - set(self.by_employee) - {None}
        if missing:
            for user in (
                get_user_model().objects.filter(employee__pk__in=missing).select_related("employee")
            ):
                self.by_employee[user.employee.pk] = user

    def employee(self, employee_id: int) -> Any:
        self.of([employee_id])
        return self.by_employee[employee_id]

    @contextlib.contextmanager
    def acting(self, who: Any):
        """The audit context names ``who`` (a username or a user), keeping the channel."""
        user = self.by_name[who] if isinstance(who, str) else who
        with context.actor_context(actor=user, channel=context.current().channel):
            yield user

    def assigner(self, card: Scorecard) -> Any:
        """Who assigns, sends and evaluates a card: the evaluator (the employee's manager), or
        the HR VP for a card without one (the GM's)."""
        if card.evaluator_id and card.evaluator_id != card.employee_id:
            return self.employee(card.evaluator_id)
        hrvp = self.user("hrvp")
        return self.user("perf") if hrvp.employee.pk == card.employee_id else hrvp


# --- numbers -------------------------------------------------------------------------------------


def _round(value: Decimal, unit: str) -> Decimal:
    if unit in WHOLE_UNITS:
        return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if abs(value) >= 10:
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _actual(indicator: PlanIndicator, target: Decimal, level: Decimal, share: Decimal) -> Decimal:
    """An actual that achieves about ``level`` (1 = on target) under the indicator's rule;
    cumulative (higher-is-better) indicators reach ``share`` of it by now."""
    rule = indicator.rule or {}
    lower = rule.get("direction") == "lower"
    if rule.get("kind") == "threshold" and lower:  # within the limit from level 0.83 on
        value = Decimal(str(rule.get("limit") or target)) * (Decimal("1.83") - level)
    elif lower and rule.get("inverse") == "deviation":
        value = target * (2 - level)
    elif lower and rule.get("kind") == "bands":  # the bands start at 80 %: a little easier
        value = target / (level + Decimal("0.12"))
    elif lower:
        value = target / level
    else:
        value = target * level * share
    return max(_round(value, indicator.unit), Decimal(0))


def _rating(level: Decimal, jitter: float) -> int:
    return max(1, min(5, round(3.6 + float(level - Decimal("0.92")) * 8 + jitter)))


@dataclass
class _Profile:
    """The drawn part of one person in one cycle."""

    level: Decimal  # how well they do: 1 = on target
    weights: dict[int, Decimal]  # item id → weight
    targets: dict[int, Decimal | None]  # item id → target
    noise: dict[int, Decimal]  # item id → achievement of this item relative to ``level``
    jitter: dict[int, float]  # item id → rating jitter


# --- one cycle -----------------------------------------------------------------------------------


class _Cycle:
    def __init__(
        self,
        cast: _Cast,
        name: str,
        kind: str,
        start: datetime.date,
        today: datetime.date,
        *,
        index: int,
    ) -> None:
        self.cast, self.name, self.kind, self.start, self.today = cast, name, kind, start, today
        self.index = index  # 0: half-year, 1: quarter (TARGETS)
        self.company = cast.company
        self.plan: Plan | None = None
        self.cards: list[_Card] = []
        self.profiles: dict[int, _Profile] = {}
        self.managers: set[int] = set()  # employee ids of the evaluators

    # --- design and approval ---------------------------------------------------------------

    def _deadlines(self) -> dict[str, Any]:
        if self.kind == "half":
            return {
                "assign_deadline": datetime.date(2026, 1, 15),
                "self_eval_deadline": datetime.date(2026, 7, 5),
                "manager_eval_deadline": datetime.date(2026, 7, 10),
                "calibration_deadline": datetime.date(2026, 7, 14),
            }
        return {
            "assign_deadline": datetime.date(2026, 10, 15),
            "self_eval_deadline": datetime.date(2027, 1, 5),
            "manager_eval_deadline": datetime.date(2027, 1, 10),
            "calibration_deadline": datetime.date(2027, 1, 14),
        }

    def design(self) -> Plan:
        """The performance manager drafts the plan: every department, the library's
        competencies and the results of each department's type; results for the departments
        the library has no type for; the plan's default targets."""
        perf = self.cast.user("perf")
        departments = list(Department.objects.filter(company=self.company).order_by("pk"))
        types = {d.pk: department_type_of(d) for d in departments}
        templates = list(
            IndicatorTemplate.objects.filter(company=self.company, active=True).order_by("pk")
        )
        present = set(types.values())
        placed = [t for t in templates if t.department_type in present]
        with self.cast.acting(perf):
            plan = plan_create(
                actor=perf,
                period_kind=self.kind,
                period_start=self.start,
                departments=departments,
                name=self.name,
                company_level=True,
                templates=placed,
                results_share=Decimal(70),
                competency_share=Decimal(30),
                distribution=DISTRIBUTION,
                appeal_days=APPEAL_DAYS,
                **self._deadlines(),
            )
            operations = [t for t in templates if t.name in OPERATIONS]
            response = [t for t in templates if t.name == "投诉响应时间"]
            for dept in departments:
                if types[dept.pk]:
                    continue
                extra = EXTRA_RESULTS.get(dept.code.split("-")[0])
                if extra == "operations":
                    plan_indicators_from_library(
                        actor=perf, plan=plan, version=None, templates=operations, department=dept
                    )
                elif extra == "service":
                    plan_indicators_from_library(
                        actor=perf, plan=plan, version=None, templates=response, department=dept
                    )
                    plan_indicator_add(actor=perf, plan=plan, version=None, department=dept,
                                       **SATISFACTION)  # fmt: skip
                else:
                    plan_indicator_add(
                        actor=perf, plan=plan, version=None, department=dept, **KEY_TASKS
                    )
            for indicator in PlanIndicator.objects.filter(plan=plan).order_by("pk"):
                changes: dict[str, Any] = {}
                if indicator.name in TARGETS:
                    changes["default_target"] = TARGETS[indicator.name][self.index]
                if indicator.name in TYPED_IN:
                    changes["data_source"] = DataSource.MANUAL
                if changes:
                    plan_indicator_update(actor=perf, indicator=indicator, version=None, **changes)
        plan.refresh_from_db()
        self.plan = plan
        return plan

    def approve(self) -> None:
        """perf submits, hrvp approves, each VP approves their parts, gm files (publishing
        the plan: a draft scorecard for everyone, in bulk)."""
        plan = self.plan
        with self.cast.acting("perf") as perf:
            plan_transition(actor=perf, plan=plan, step="submit", version=None)
        with self.cast.acting("hrvp") as hrvp:
            plan_transition(
                actor=hrvp,
                plan=plan,
                step="hr_approve",
                version=None,
                comment="指标与权重符合年度战略分解，同意提交各分管副总审核。",
            )
        vps = {u.employee.pk: u for n, u in self.cast.by_name.items() if n.startswith("vp")}
        parts = list(
            PlanDepartment.objects.filter(plan=plan, review=PlanDepartment.Review.PENDING)
            .select_related("department")
            .order_by("department__sort_order", "pk")
        )
        supervisors = supervising_vps(self.company.pk)
        commented: set[int] = set()
        for part in parts:
            vp_id = min(supervisors.get(part.department_id, set()) & set(vps))
            comment = ""
            if vp_id not in commented and part.department.parent_id is not None:
                commented.add(vp_id)
                comment = f"{part.department.name}的指标已与部门经理确认，同意。"
            with self.cast.acting(vps[vp_id]) as vp:
                plan_part_review(
                    actor=vp, part=part, decision="approve", version=None, comment=comment
                )
        plan.refresh_from_db()
        with self.cast.acting("gm") as gm:
            plan_transition(actor=gm, plan=plan, step="gm_file", version=None, comment="备案。")
        plan.refresh_from_db()

    # --- assignment --------------------------------------------------------------------------

    def _load(self) -> None:
        """The plan's cards and items as plain rows (10,000 cards × 7 items as model instances
        would cost seconds)."""
        indicators = {i.pk: i for i in PlanIndicator.objects.filter(plan=self.plan)}
        self.cards = [
            _Card(*row)
            for row in Scorecard.objects.filter(plan=self.plan)
            .order_by("employee__employee_no")
            .values_list(
                "pk", "employee_id", "evaluator_id", "department_id",
                "employee__employee_no", "employee__user_id",
            )
        ]  # fmt: skip
        by_pk = {c.pk: c for c in self.cards}
        for pk, card_id, indicator_id, weight, target in (
            ScorecardItem.objects.filter(scorecard__plan=self.plan)
            .order_by("pk")
            .values_list("pk", "scorecard_id", "indicator_id", "weight", "target")
        ):
            by_pk[card_id].items.append(
                _Item(pk, card_id, indicators[indicator_id], weight, target)
            )
        for card in self.cards:
            card.items.sort(
                key=lambda i: (i.indicator.category, i.indicator.order, i.indicator.name)
            )
        self.managers = {c.evaluator_id for c in self.cards} - {None}
        self.cast.of(self.managers)

    def draw(self) -> None:
        """Each person's level and their weights and targets around the plan's defaults."""
        rng = random.Random(f"{data.SEED}/{self.name}")
        for card in self.cards:
            level = Decimal(str(round(min(max(rng.gauss(0.91, 0.085), 0.6), 1.25), 3)))
            weights = {i.pk: i.weight for i in card.items}
            targets = {i.pk: i.target for i in card.items}
            for category in (Category.RESULTS, Category.COMPETENCY):
                group = [i for i in card.items if i.indicator.category == category]
                if len(group) >= 2 and rng.random() < 0.25:  # shift 10 points
                    a, b = rng.sample(range(len(group)), 2)
                    if weights[group[b].pk] > 10:
                        weights[group[a].pk] += 10
                        weights[group[b].pk] -= 10
            noise, jitter = {}, {}
            for item in card.items:
                rule = item.indicator.rule or {}
                varies = item.indicator.unit != "%" or item.indicator.name == "次品率"
                if item.target is not None and rule.get("kind") in ("ratio", "bands") and varies:
                    factor = Decimal(rng.choice(("0.9", "1", "1", "1", "1.1", "1.2")))
                    targets[item.pk] = max(
                        _round(item.target * factor, item.indicator.unit), Decimal(1)
                    )
                noise[item.pk] = Decimal(str(round(rng.uniform(0.93, 1.07), 3)))
                jitter[item.pk] = rng.uniform(-0.5, 0.5)
            self.profiles[card.pk] = _Profile(level, weights, targets, noise, jitter)

    def assign(self) -> None:
        """The evaluators set the weights and targets that differ from the plan's defaults and
        send the cards (bulk, see the module docstring)."""
        rows = []
        for card in self.cards:
            profile = self.profiles[card.pk]
            for item in card.items:
                after = (profile.weights[item.pk], profile.targets[item.pk])
                if after != (item.weight, item.target):
                    rows.append((item.pk, item.text, self.company.pk,
                                 (item.weight, item.target), after))  # fmt: skip
                    item.weight, item.target = after
        _write(ScorecardItem, ("weight", "target"), rows)
        _move(self.plan, "send", S.DRAFT)

    def object_and_resend(self) -> Scorecard | None:
        """One salesperson objects to a target; their head lowers it and sends again."""
        light, item = self._first_with("新客户数")
        if light is None:
            return None
        card = Scorecard.objects.get(pk=light.pk)
        employee = self.cast.employee(card.employee_id)
        with self.cast.acting(employee):
            scorecard_object(
                actor=employee,
                scorecard=card,
                version=card.version,
                reason="我负责的华东区域本季度有两家大客户在续约谈判，新客户目标希望下调 1 个。",
            )
        assigner = self.cast.assigner(card)
        card.refresh_from_db()
        target = max((item.target or Decimal(1)) - 1, Decimal(1))
        with self.cast.acting(assigner):
            scorecard_items_update(
                actor=assigner,
                rows=[
                    {
                        "scorecard": card.pk,
                        "version": card.version,
                        "items": {item.indicator.pk: {"target": str(target)}},
                    }
                ],
            )
            card.refresh_from_db()
            scorecard_send(actor=assigner, scorecard=card, version=card.version)
        item.target = target
        return card

    def _first_with(self, indicator_name: str) -> tuple[_Card | None, _Item | None]:
        """The first rank-and-file employee (by number) with this indicator."""
        leaders = self.cast.leaders | self.managers
        for card in self.cards:
            if card.employee_id in leaders or card.user_id is None:
                continue
            for item in card.items:
                if item.indicator.name == indicator_name:
                    return card, item
        return None, None

    def confirm_all(self) -> None:
        """Every employee confirms their targets (bulk, see the module docstring)."""
        _move(self.plan, "confirm", S.SENT)

    def submit_departments(self) -> None:
        """Every department's assignments are submitted (bulk: all its cards are confirmed);
        the performance manager starts the period."""
        now = timezone.now()
        rows = [
            (pk, f"{self.plan.pk}/{dept}", self.company.pk, (None,), (now,))
            for pk, dept in PlanDepartment.objects.filter(
                plan=self.plan, assignments_submitted_at=None
            ).values_list("pk", "department_id")
        ]
        _write(PlanDepartment, ("assignments_submitted_at",), rows)
        with self.cast.acting("perf") as perf:
            plan_transition(actor=perf, plan=self.plan, step="start", version=None)
        self.plan.refresh_from_db()

    def prepare(self, *, objection: bool = False) -> None:
        self.design()
        self.approve()
        self._load()
        self.draw()
        self.assign()
        if objection:
            self.object_and_resend()
        self.confirm_all()
        self.submit_departments()
        self._load()

    # --- the period --------------------------------------------------------------------------

    def _end(self) -> datetime.date:
        return self.plan.period_end

    def _share(self) -> Decimal:
        """The elapsed share of the period on ``today`` (1 once it is over)."""
        start, end = self.plan.period_start, self.plan.period_end
        if self.today >= end:
            return Decimal(1)
        if self.today < start:
            return Decimal(0)
        return Decimal((self.today - start).days + 1) / Decimal((end - start).days + 1)

    def feed_new_customers(self) -> None:
        """Data points of ``crm.new_customers`` for everyone with a 新客户数 item (the six
        salespeople of the strategy map have theirs already), one per month up to ``today``,
        then the fed actuals computed with their lineage."""
        metric = Metric.objects.filter(company=self.company, key=NEW_CUSTOMERS).first()
        if metric is None:
            return
        start, end = self.plan.period_start, min(self.plan.period_end, self.today)
        months = []
        month = start
        while month <= end:
            months.append(month)
            month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        # the strategy map's salespeople: their KPI goals are fed by points of their own
        have = set(
            Goal.objects.filter(company=self.company, metric_key=NEW_CUSTOMERS).values_list(
                "owner_id", flat=True
            )
        )
        share = self._share()
        points = []
        for card in self.cards:
            if card.employee_id in have or not months:
                continue
            profile = self.profiles[card.pk]
            for item in card.items:
                if item.indicator.metric_key != NEW_CUSTOMERS:
                    continue
                level = profile.level * profile.noise[item.pk]
                total = int(_actual(item.indicator, item.target or Decimal(0), level, share))
                per_month = [total // len(months)] * len(months)
                for i in range(total % len(months)):
                    per_month[-1 - i] += 1
                for first, count in zip(months, per_month, strict=True):
                    day = min(first.replace(day=15), end)  # a month without one says 0
                    points.append(
                        {"metric": NEW_CUSTOMERS, "subject": card.employee_no,
                         "date": day.isoformat(), "value": str(count)}
                    )  # fmt: skip
        if points:
            _ingest(self.company, points, source="crm", channel=IngestBatch.Channel.API)
        items_actuals_refresh(items=fed_items().filter(scorecard__plan=self.plan), today=self.today)

    def type_actuals(self, typed_share: Decimal) -> None:
        """The managers type the actuals of manual indicators: all of them at the end of a
        period, ``typed_share`` of the people while it runs (bulk, see the module
        docstring)."""
        share = self._share()
        if share == 0:
            return
        now = timezone.now().isoformat()
        rows = []
        for n, card in enumerate(self.cards):
            if typed_share < 1 and (n * 37 % 100) >= typed_share * 100:
                continue
            profile = self.profiles[card.pk]
            typed_by = _name(self.cast.assigner(card))
            for item in card.items:
                ind = item.indicator
                if ind.data_source != DataSource.MANUAL or (ind.rule or {}).get("kind") == "rating":
                    continue
                if item.target is None:
                    continue
                actual = _actual(ind, item.target, profile.level * profile.noise[item.pk], share)
                trace = {"typed_by": typed_by, "at": now}
                rows.append((item.pk, item.text, self.company.pk, (None, "", {}),
                             (actual, "typed", trace)))  # fmt: skip
        _write(ScorecardItem, ("actual", "actual_source", "actual_trace"), rows)

    def run_period(self, *, typed_share: Decimal | int) -> None:
        self.feed_new_customers()
        self.type_actuals(Decimal(typed_share))

    def feedback_thread(self) -> None:
        """A salesperson asks about a fed actual; their head answers (``item_comment_add``)."""
        card, light = self._first_with("新客户数")
        if card is None:
            return
        item = ScorecardItem.objects.get(pk=light.pk)
        employee = self.cast.employee(card.employee_id)
        head = self.cast.assigner(card)
        with self.cast.acting(employee):
            item_comment_add(
                actor=employee,
                item=item,
                body="10 月签约的两家客户已在 CRM 登记，请确认是否计入本季度的新客户数。",
            )
        with self.cast.acting(head):
            item_comment_add(
                actor=head,
                item=item,
                body="已计入：实际值由 CRM 每日同步，点“计算过程”可以看到每一条数据。",
            )

    # --- evaluation and results --------------------------------------------------------------

    def _stage(self, step: str) -> None:
        with self.cast.acting("perf") as perf:
            plan_transition(actor=perf, plan=self.plan, step=step, version=None)
        self.plan.refresh_from_db()

    def self_evaluate(self) -> None:
        """Nearly everyone submits a self-evaluation: an overall comment and the evidence the
        indicators require (bulk, see the module docstring)."""
        comments: dict[int, tuple] = {}
        rows = []
        for n, card in enumerate(self.cards):
            if n % 20 == 7:  # one in twenty lets the deadline pass
                continue
            comments[card.pk] = (SELF_COMMENTS[n % len(SELF_COMMENTS)],)
            for item in card.items:
                if item.indicator.evidence_required and item.weight:
                    evidence = EVIDENCE.get(item.indicator.name, "见附件。")
                    rows.append((item.pk, item.text, self.company.pk, ("",), (evidence,)))
        _write(ScorecardItem, ("evidence",), rows)
        _move(self.plan, "self_evaluate", S.CONFIRMED, ("self_comment",), comments)

    def evaluate(self) -> None:
        """The evaluators rate the competencies and comment (bulk, see the module docstring);
        the plan is scored in bulk (``plan_score_all``)."""
        comments: dict[int, tuple] = {}
        rows = []
        for card in self.cards:
            profile = self.profiles[card.pk]
            ratings = []
            for item in card.items:
                if (item.indicator.rule or {}).get("kind") != "rating":
                    continue
                rating = _rating(profile.level * profile.noise[item.pk], profile.jitter[item.pk])
                rows.append((item.pk, item.text, self.company.pk, (None,), (Decimal(rating),)))
                ratings.append(rating)
            middle = sorted(ratings)[len(ratings) // 2] if ratings else 3
            comments[card.pk] = (MANAGER_COMMENTS[middle],)
        _write(ScorecardItem, ("rating",), rows)
        for source in (S.CONFIRMED, S.SELF_EVALUATED):
            _move(self.plan, "evaluate", source, ("manager_comment",), comments)
        plan_score_all(plan=self.plan, statuses=[S.EVALUATED])

    def _results(self) -> list[tuple]:
        """(card id, employee id, department id, score, computed grade, final grade), by
        employee number."""
        return [
            (pk, emp, dept, score, grade, calibrated or grade)
            for pk, emp, dept, score, grade, calibrated in Scorecard.objects.filter(plan=self.plan)
            .order_by("employee__employee_no")
            .values_list("pk", "employee_id", "department_id", "score", "grade", "calibrated_grade")
        ]

    def calibrate(self) -> set[int]:
        """A VP raises the best good grade of their departments; the HR VP lowers the weakest
        excellent one when the excellent grade is over its 20 % quota."""
        rows = self._results()
        people = [r for r in rows if r[1] not in self.cast.leaders]
        supervisors = supervising_vps(self.company.pk)
        vps = {u.employee.pk: u for n, u in self.cast.by_name.items() if n.startswith("vp")}
        done: set[int] = set()
        best_good = [
            r for r in people if r[4] == "good" and supervisors.get(r[2], set()) & set(vps)
        ]
        if best_good:
            pk, _emp, dept, *_rest = max(best_good, key=lambda r: r[3])
            vp = vps[min(supervisors[dept] & set(vps))]
            card = Scorecard.objects.get(pk=pk)
            with self.cast.acting(vp):
                scorecard_calibrate(
                    actor=vp,
                    scorecard=card,
                    grade="excellent",
                    reason="上半年牵头完成重点客户的交付项目，贡献超出指标所能体现的部分，"
                    "校准会一致同意上调为优秀。",
                    version=card.version,
                )
            done.add(pk)
        excellent = [r for r in people if r[4] == "excellent"]
        quota = len(rows) * int(DISTRIBUTION["excellent"]) // 100
        if excellent and len(excellent) + len(done) > quota:
            pk = min(excellent, key=lambda r: r[3])[0]
            card = Scorecard.objects.get(pk=pk)
            with self.cast.acting("hrvp") as hrvp:
                scorecard_calibrate(
                    actor=hrvp,
                    scorecard=card,
                    grade="good",
                    reason="优秀人数超过强制分布 20% 的参考名额；与同级比较后，"
                    "校准会决定调整为良好。",
                    version=card.version,
                )
            done.add(pk)
        return done

    def publish_and_close(self, calibrated: set[int]) -> None:
        """perf publishes; an appeal is re-scored; an improvement plan; most acknowledge (bulk,
        see the module docstring); perf closes once the appeal window has passed."""
        plan = self.plan
        with self.cast.acting("perf") as perf:
            plan_publish_results(actor=perf, plan=plan, version=None)
        plan.refresh_from_db()
        rows = self._results()
        appellant = self.appeal(rows, calibrated)
        self.improvement_plan(rows, calibrated | {appellant})
        published = self._backdate()
        moments = {
            pk: (published + datetime.timedelta(days=1 + n % 5, hours=n % 7),)
            for n, (pk, *_rest) in enumerate(rows)
            if n % 12 != 5 and pk != appellant  # one in twelve never acknowledges
        }
        _move(plan, "acknowledge", S.PUBLISHED, ("acknowledged_at",), moments)
        if appellant is not None:
            card = Scorecard.objects.get(pk=appellant)
            employee = self.cast.employee(card.employee_id)
            with self.cast.acting(employee):
                scorecard_acknowledge(actor=employee, scorecard=card, version=card.version)
        with self.cast.acting("perf") as perf:
            plan_close(actor=perf, plan=plan, version=None)

    def appeal(self, rows: list[tuple], skip: set[int]) -> int | None:
        """The first employee graded pass with a typed, higher-is-better result appeals; the
        performance manager corrects the actual and re-scores."""
        leaders = self.cast.leaders | self.managers
        cards = {c.pk: c for c in self.cards}
        for pk, emp, _dept, _score, _grade, final in rows:
            if pk in skip or emp in leaders or final != "pass":
                continue
            light = next(
                (
                    i
                    for i in cards[pk].items
                    if i.indicator.data_source == DataSource.MANUAL
                    and (i.indicator.rule or {}).get("kind") == "ratio"
                    and (i.indicator.rule or {}).get("direction") == "higher"
                    and i.weight
                ),
                None,
            )
            if light is None:
                continue
            card = Scorecard.objects.get(pk=pk)
            item = ScorecardItem.objects.select_related("indicator").get(pk=light.pk)
            if item.actual is None:
                continue
            employee = self.cast.employee(emp)
            name = item.indicator.name
            with self.cast.acting(employee):
                appeal = appeal_create(
                    actor=employee,
                    scorecard=card,
                    version=card.version,
                    reason=f"{name}的实际值漏计了 6 月最后一周的数据，附 ERP 导出记录，请核对。",
                )
            corrected = _round(item.actual * Decimal("1.12"), item.indicator.unit)
            with self.cast.acting("perf") as perf:
                appeal_rescore(
                    actor=perf,
                    appeal=appeal,
                    version=appeal.version,
                    reason=f"经核对 ERP 记录，{name}确有漏计，实际值由 "
                    f"{item.actual.normalize():f} 更正为 {corrected.normalize():f}，已重新评分。",
                    changes=[ItemChange(item_id=item.pk, actual=corrected)],
                )
            return pk
        return None

    def improvement_plan(self, rows: list[tuple], skip: set) -> None:
        """The head of the first employee graded fail records an improvement plan."""
        leaders = self.cast.leaders | self.managers
        cards = {c.pk: c for c in self.cards}
        for pk, emp, _dept, _score, _grade, final in rows:
            if pk in skip or emp in leaders or final != "fail":
                continue
            head = self.cast.assigner(cards[pk])
            with self.cast.acting(head):
                improvement_plan_save(
                    actor=head,
                    scorecard=Scorecard.objects.get(pk=pk),
                    goals="下半年关键指标达成率不低于 90%，按时提交周报。",
                    actions="每两周与部门经理一对一沟通进度；安排一名资深同事带教；"
                    "参加公司组织的时间管理培训。",
                    review_date=datetime.date(2026, 9, 30),
                )
            return

    def _backdate(self) -> datetime.datetime:
        """The results were published on 2026-07-15 (at the latest ``appeal_days`` + 1 days
        ago), so the appeal window is over: the plan's and the cards' publication times."""
        tz = timezone.get_current_timezone()
        latest = timezone.now() - datetime.timedelta(days=self.plan.appeal_days + 1)
        published = min(timezone.make_aware(H1_PUBLISHED, tz), latest)
        with self.cast.acting("perf"):
            self.plan.published_at = published
            self.plan.save(update_fields=["published_at", "updated_at"])
        rows = [
            (pk, f"{self.plan.pk}/{emp}", self.company.pk, (before,), (published,))
            for pk, emp, before in Scorecard.objects.filter(plan=self.plan).values_list(
                "pk", "employee_id", "published_at"
            )
        ]
        _write(Scorecard, ("published_at",), rows)
        return published

    def finish(self) -> None:
        """Self-evaluation, evaluation, calibration, publication, acknowledgement, an appeal,
        an improvement plan, close."""
        self._stage("open_self_evaluation")
        self.self_evaluate()
        self._stage("open_manager_evaluation")
        self.evaluate()
        self._stage("open_calibration")
        self.publish_and_close(self.calibrate())


# --- bulk writes -------------------------------------------------------------------------------

CHUNK = 500


@dataclass
class _Item:
    pk: int
    card_id: int
    indicator: PlanIndicator
    weight: Decimal
    target: Decimal | None

    @property
    def text(self) -> str:  # as ScorecardItem.__str__
        return f"{self.card_id}/{self.indicator.pk}"


@dataclass
class _Card:
    pk: int
    employee_id: int
    evaluator_id: int | None
    department_id: int
    employee_no: str
    user_id: int | None
    items: list[_Item] = field(default_factory=list)


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _write(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Write ``fields`` of many rows — ``(pk, object repr, company id, before values, after
    values)`` — with one prepared UPDATE per 500 rows (``updated_at`` set, ``version`` bumped
    where the model has one) and log each row's changed fields before → after
    (``audit_changes``): the technique of ``services_scoring.plan_score_all``."""
    if not rows:
        return
    qn = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    stamp = meta.get_field("updated_at")
    sets = [f"{qn(f.column)} = %s" for f in (*columns, stamp)]
    if any(f.name == "version" for f in meta.concrete_fields):
        sets.append(f"{qn('version')} = {qn('version')} + 1")
    sql = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {qn('id')} = %s"  # noqa: S608 - names from the model, values as parameters
    now = stamp.get_db_prep_save(timezone.now(), connection)
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(columns, after, strict=True)] + [now, pk]
        for pk, _text, _company, _before, after in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), CHUNK):
            cursor.executemany(sql, params[start : start + CHUNK])
    audit_changes(
        model,
        [
            (pk, text, company, {
                name: {"before": _jsonable(b), "after": _jsonable(a)}
                for name, b, a in zip(fields, before, after, strict=True) if b != a
            })
            for pk, text, company, before, after in rows
        ],
        action=AuditLog.Action.UPDATE,
    )  # fmt: skip


def _move(
    plan: Plan,
    step: str,
    source: str,
    fields: tuple[str, ...] = (),
    values: dict[int, tuple] | None = None,
) -> int:
    """Move the plan's cards in ``source`` along ``step`` of ``workflows.SCORECARD`` (only
    those in ``values`` when given, setting ``fields`` to their values): ``_write``."""
    target = workflows.SCORECARD.target(source, step)  # TransitionError when not allowed
    rows = []
    for pk, emp, company, *before in Scorecard.objects.filter(plan=plan, status=source).values_list(
        "pk", "employee_id", "company_id", *fields
    ):
        if values is not None and pk not in values:
            continue
        after = values[pk] if values is not None else ()
        rows.append((pk, f"{plan.pk}/{emp}", company, (source, *before), (target, *after)))
    _write(Scorecard, ("status", *fields), rows)
    return len(rows)
