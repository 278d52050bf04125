"""Goal services: the cascade's rules, edit rights by scope, the approval workflow, actuals and
comments. Denied cases assert that nothing changed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from renshi.core.concurrency import ConflictError
from renshi.core.context import actor_context
from renshi.core.models import AuditLog
from renshi.goals import services
from renshi.goals.models import Goal, GoalComment, StrategyMap
from renshi.goals.services import TransitionError
from renshi.org.models import Employee

pytestmark = pytest.mark.django_db

D = Decimal


def goal_fields(**overrides):
    data = {
        "measure": "新客户数",
        "unit": "个",
        "direction": Goal.Direction.HIGHER,
        "baseline": D(0),
        "target": D(10),
        "range_low": None,
        "range_high": None,
        "weight": D(1),
        "start_date": datetime.date(2026, 1, 1),
        "deadline": datetime.date(2026, 12, 31),
    }
    data.update(overrides)
    return data


def snapshot(goal):
    g = Goal.objects.get(pk=goal.pk)
    return (g.title, g.status, g.version, g.parent_id, g.target, g.actual, g.owner_id)


def goal_log(goal, action):
    content_type = ContentType.objects.get_for_model(Goal)
    return AuditLog.objects.filter(
        content_type=content_type, object_id=str(goal.pk), action=action
    ).order_by("id")


def error_fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


# --- goal_create ------------------------------------------------------------------------------


def test_map_editor_creates_a_strategic_objective(world, goal_world):
    goal = services.goal_create(
        actor=world.users["perf"],
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.COMPANY,
        title="数据中心业务占营收 60%",
        perspective=goal_world.perspectives["financial"],
        owner=world.employees["gm"],
        **goal_fields(measure="数据中心营收占比", unit="%", baseline=D(40), target=D(60)),
    )
    assert goal.status == Goal.Status.ACTIVE
    assert goal.company_id == world.company.pk
    assert goal.created_by == world.users["perf"]
    assert goal_log(goal, AuditLog.Action.CREATE).exists()


def test_objective_needs_a_perspective_in_bsc_and_no_parent(world, goal_world):
    count = Goal.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.COMPANY,
            title="x",
            parent=goal_world.obj_revenue,
            **goal_fields(),
        )
    assert {"perspective", "parent"} <= error_fields(exc)
    assert Goal.objects.count() == count


def test_okr_map_objectives_take_no_perspective(world, goal_world):
    okr = StrategyMap.objects.create(
        company=world.company,
        name="2026 OKR",
        mode=StrategyMap.Mode.OKR,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    goal = services.goal_create(
        actor=world.users["gm"],
        strategy_map=okr,
        level=Goal.Level.COMPANY,
        title="O1",
        **goal_fields(deadline=datetime.date(2026, 6, 30)),
    )
    assert goal.perspective_id is None
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=okr,
            level=Goal.Level.COMPANY,
            title="O2",
            perspective=goal_world.perspectives["financial"],
            **goal_fields(),
        )
    assert "perspective" in error_fields(exc)


def test_perspective_of_another_map_is_refused(world, goal_world):
    other_map = StrategyMap.objects.create(
        company=world.company,
        name="2025",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
    )
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=other_map,
            level=Goal.Level.COMPANY,
            title="x",
            perspective=goal_world.perspectives["financial"],
            **goal_fields(),
        )
    assert "perspective" in error_fields(exc)


def test_vp_creates_a_department_goal_in_scope(world, goal_world):
    goal = services.goal_create(
        actor=world.users["vp1"],
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.DEPARTMENT,
        title="华东销售营收",
        parent=goal_world.dg_sales,
        department=world.departments["sales_east"],
        owner=world.employees["head_east"],
        **goal_fields(),
    )
    assert goal.parent == goal_world.dg_sales
    assert goal.department == world.departments["sales_east"]


def test_vp_cannot_create_a_department_goal_outside_scope(world, goal_world):
    count = Goal.objects.count()
    with pytest.raises((PermissionDenied, Http404, ValidationError)):
        services.goal_create(
            actor=world.users["vp1"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.DEPARTMENT,
            title="生产",
            parent=goal_world.obj_revenue,
            department=world.departments["production"],
            **goal_fields(),
        )
    assert Goal.objects.count() == count


def test_vp_cannot_create_an_objective(world, goal_world):
    count = Goal.objects.count()
    with pytest.raises(PermissionDenied):
        services.goal_create(
            actor=world.users["vp1"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.COMPANY,
            title="x",
            perspective=goal_world.perspectives["customer"],
            **goal_fields(),
        )
    assert Goal.objects.count() == count


def test_department_goal_needs_a_department(world, goal_world):
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.DEPARTMENT,
            title="x",
            parent=goal_world.obj_revenue,
            **goal_fields(),
        )
    assert "department" in error_fields(exc)


def test_individual_kpi_takes_the_owners_department_and_needs_a_parent(world, goal_world):
    goal = services.goal_create(
        actor=world.users["head_east"],
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.INDIVIDUAL,
        title="回款",
        parent=goal_world.dg_sales,
        owner=world.employees["emp_east"],
        department=world.departments["production"],  # ignored: the owner's department wins
        **goal_fields(),
    )
    assert goal.department_id == world.employees["emp_east"].department_id
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["head_east"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            title="回款",
            owner=world.employees["emp_east"],
            **goal_fields(),
        )
    assert "parent" in error_fields(exc)
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["head_east"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            title="回款",
            parent=goal_world.dg_sales,
            **goal_fields(),
        )
    assert "owner" in error_fields(exc)


def test_head_cannot_create_their_own_kpi_nor_one_outside_scope(world, goal_world):
    count = Goal.objects.count()
    for owner in ("head_east", "emp_prod"):
        with pytest.raises((PermissionDenied, ValidationError)):
            services.goal_create(
                actor=world.users["head_east"],
                strategy_map=goal_world.strategy_map,
                level=Goal.Level.INDIVIDUAL,
                title="x",
                parent=goal_world.dg_sales,
                owner=world.employees[owner],
                **goal_fields(),
            )
    assert Goal.objects.count() == count


def test_employee_cannot_create_goals(world, goal_world):
    count = Goal.objects.count()
    with pytest.raises(PermissionDenied):
        services.goal_create(
            actor=world.users["emp_east"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            title="x",
            parent=goal_world.dg_sales,
            owner=world.employees["emp_east"],
            **goal_fields(),
        )
    assert Goal.objects.count() == count


def test_other_company_cannot_see_the_map(world, goal_world):
    with pytest.raises(Http404):
        services.goal_create(
            actor=world.users["other_gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.COMPANY,
            title="x",
            perspective=goal_world.perspectives["financial"],
            **goal_fields(),
        )


def test_okr_alignment_a_kpi_may_serve_another_departments_goal(world, goal_world):
    goal = services.goal_create(
        actor=world.users["head_east"],
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.INDIVIDUAL,
        title="客户回访",
        parent=goal_world.dg_downtime,  # production's goal
        owner=world.employees["emp_east"],
        **goal_fields(),
    )
    assert goal.parent == goal_world.dg_downtime
    assert goal.department == world.departments["sales_east"]


def test_parent_must_be_in_the_same_map_and_not_individual(world, goal_world):
    other_map = StrategyMap.objects.create(
        company=world.company,
        name="2027",
        period_start=datetime.date(2027, 1, 1),
        period_end=datetime.date(2027, 12, 31),
    )
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=other_map,
            level=Goal.Level.DEPARTMENT,
            title="x",
            parent=goal_world.obj_revenue,
            department=world.departments["sales"],
            **goal_fields(),
        )
    assert "parent" in error_fields(exc)
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            title="x",
            parent=goal_world.kpi_east,
            owner=world.employees["emp_east2"],
            **goal_fields(),
        )
    assert "parent" in error_fields(exc)


def test_parent_must_be_visible(world, goal_world):
    """A head of production cannot hang a KPI under a sales person's KPI they cannot see —
    and cannot use a parent id they cannot see at all."""
    hidden = goal_world.kpi_east  # individual, invisible to head_prod
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["head_prod"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            title="x",
            parent=hidden,
            owner=world.employees["emp_prod"],
            **goal_fields(),
        )
    assert "parent" in error_fields(exc)


def test_no_cycles(world, goal_world):
    before = snapshot(goal_world.dg_sales)
    sub = services.goal_create(
        actor=world.users["gm"],
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.DEPARTMENT,
        title="华东",
        parent=goal_world.dg_sales,
        department=world.departments["sales_east"],
        **goal_fields(),
    )
    with pytest.raises(ValidationError) as exc:
        services.goal_update(
            actor=world.users["gm"], goal=goal_world.dg_sales, version=None, parent=sub
        )
    assert "parent" in error_fields(exc)
    with pytest.raises(ValidationError):
        services.goal_update(
            actor=world.users["gm"],
            goal=goal_world.dg_sales,
            version=None,
            parent=goal_world.dg_sales,
        )
    assert snapshot(goal_world.dg_sales) == before


def test_deadline_before_start_is_refused_outside_period_is_allowed(world, goal_world):
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.DEPARTMENT,
            title="x",
            parent=goal_world.obj_revenue,
            department=world.departments["sales"],
            **goal_fields(start_date=datetime.date(2026, 6, 1), deadline=datetime.date(2026, 5, 1)),
        )
    assert "deadline" in error_fields(exc)
    late = services.goal_create(
        actor=world.users["gm"],
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.DEPARTMENT,
        title="x",
        parent=goal_world.obj_revenue,
        department=world.departments["sales"],
        **goal_fields(deadline=datetime.date(2027, 3, 31)),
    )
    assert late.pk  # flagged by the SMART check instead (test_smart)


def test_range_ends_in_order(world, goal_world):
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.DEPARTMENT,
            title="库存周转",
            parent=goal_world.obj_revenue,
            department=world.departments["production"],
            **goal_fields(direction=Goal.Direction.RANGE, range_low=D(9), range_high=D(5)),
        )
    assert "range_high" in error_fields(exc)


def test_owner_and_department_of_another_company_are_refused(world, goal_world):
    with pytest.raises(ValidationError) as exc:
        services.goal_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.DEPARTMENT,
            title="x",
            parent=goal_world.obj_revenue,
            department=world.departments["other_dept"],
            owner=world.employees["other_emp"],
            **goal_fields(),
        )
    assert {"department", "owner"} <= error_fields(exc)


# --- goal_update ------------------------------------------------------------------------------


def test_editor_updates_with_the_version_read(world, goal_world):
    goal = goal_world.dg_sales
    updated = services.goal_update(
        actor=world.users["vp1"], goal=goal, version=goal.version, target=D(90), title="销售营收"
    )
    assert updated.target == D(90)
    assert updated.version == goal.version + 1
    entry = goal_log(goal, AuditLog.Action.UPDATE).last()
    assert "target" in entry.changes


def test_stale_version_conflicts_and_changes_nothing(world, goal_world):
    goal = goal_world.dg_sales
    services.goal_update(actor=world.users["vp1"], goal=goal, version=goal.version, target=D(90))
    before = snapshot(goal)
    with pytest.raises(ConflictError):
        services.goal_update(actor=world.users["gm"], goal=goal, version=goal.version, target=D(70))
    assert snapshot(goal) == before


@pytest.mark.parametrize(
    "field", ["status", "company", "created_by", "actual", "level", "strategy_map"]
)
def test_fields_outside_the_allow_list_are_refused(world, goal_world, field):
    goal = goal_world.dg_sales
    before = snapshot(goal)
    with pytest.raises(ValidationError):
        services.goal_update(
            actor=world.users["gm"], goal=goal, version=goal.version, **{field: "x"}
        )
    assert snapshot(goal) == before


@pytest.mark.parametrize(
    ("user", "error"),
    [
        ("vp2", PermissionDenied),  # sees the department goal, may not change it
        ("head_sales", PermissionDenied),  # their own department goal (they own it)
        ("emp_east", PermissionDenied),
        ("hrvp", PermissionDenied),
        ("other_gm", Http404),
    ],
)
def test_update_denied_changes_nothing(world, goal_world, user, error):
    goal = goal_world.dg_sales
    before = snapshot(goal)
    with pytest.raises(error):
        services.goal_update(actor=world.users[user], goal=goal, version=goal.version, target=D(1))
    assert snapshot(goal) == before


def test_kpi_out_of_scope_is_not_found(world, goal_world):
    goal = goal_world.kpi_east
    before = snapshot(goal)
    with pytest.raises(Http404):
        services.goal_update(actor=world.users["vp2"], goal=goal, version=goal.version, target=D(1))
    assert snapshot(goal) == before


def test_no_editing_a_goal_out_of_ones_scope(world, goal_world):
    goal = goal_world.dg_sales
    before = snapshot(goal)
    with pytest.raises((PermissionDenied, ValidationError)):
        services.goal_update(
            actor=world.users["vp1"],
            goal=goal,
            version=goal.version,
            department=world.departments["production"],
        )
    assert snapshot(goal) == before
    assert Goal.objects.get(pk=goal.pk).department_id == world.departments["sales"].pk


def test_closed_goals_are_not_edited(world, goal_world):
    goal = services.goal_close(actor=world.users["gm"], goal=goal_world.dg_prod)
    before = snapshot(goal)
    with pytest.raises(TransitionError):
        services.goal_update(actor=world.users["gm"], goal=goal, version=goal.version, title="x")
    assert snapshot(goal) == before


# --- propose and the workflow ----------------------------------------------------------------


def propose(world, goal_world, user="emp_east", parent="dg_sales", **overrides):
    return services.goal_propose(
        actor=world.users[user],
        strategy_map=goal_world.strategy_map,
        parent=goal_world.goals[parent],
        title=overrides.pop("title", "大客户拜访"),
        **goal_fields(**overrides),
    )


def test_employee_proposes_their_own_key_result(world, goal_world):
    goal = propose(world, goal_world)
    assert goal.status == Goal.Status.PROPOSED
    assert goal.owner == world.employees["emp_east"]
    assert goal.level == Goal.Level.INDIVIDUAL
    assert goal.department_id == world.departments["sales_east"].pk
    assert goal.created_by == world.users["emp_east"]


def test_proposal_needs_a_visible_parent(world, goal_world):
    count = Goal.objects.count()
    with pytest.raises(ValidationError):
        propose(world, goal_world, user="emp_prod", parent="kpi_east")
    with pytest.raises(Http404):
        services.goal_propose(
            actor=world.users["other_gm"],
            strategy_map=goal_world.strategy_map,
            parent=goal_world.dg_sales,
            title="x",
            **goal_fields(),
        )
    assert Goal.objects.count() == count


def test_approve_by_manager_in_scope(world, goal_world):
    goal = propose(world, goal_world)
    with actor_context(actor=world.users["head_east"], channel="web"):
        approved = services.goal_approve(
            actor=world.users["head_east"], goal=goal, version=goal.version
        )
    assert approved.status == Goal.Status.ACTIVE
    entry = goal_log(goal, AuditLog.Action.UPDATE).last()
    assert entry.changes["status"] == {"before": "proposed", "after": "active"}
    assert entry.actor == world.users["head_east"]


def test_replayed_approval_fails(world, goal_world):
    goal = propose(world, goal_world)
    services.goal_approve(actor=world.users["head_east"], goal=goal)
    before = snapshot(goal)
    with pytest.raises(TransitionError):
        services.goal_approve(actor=world.users["head_sales"], goal=goal)
    assert snapshot(goal) == before


def test_stale_version_on_a_transition(world, goal_world):
    goal = propose(world, goal_world)
    read_version = goal.version
    services.goal_update(
        actor=world.users["emp_east"], goal=goal, version=read_version, target=D(8)
    )
    before = snapshot(goal)
    with pytest.raises(ConflictError):
        services.goal_approve(actor=world.users["head_east"], goal=goal, version=read_version)
    assert snapshot(goal) == before


@pytest.mark.parametrize(
    ("user", "error"),
    [
        ("emp_east", PermissionDenied),  # the owner
        ("emp_prod", Http404),  # cannot even see it
        ("vp2", Http404),
        ("hrvp", PermissionDenied),  # sees it, no approve rights
        ("other_gm", Http404),
    ],
)
def test_approve_denied_changes_nothing(world, goal_world, user, error):
    goal = propose(world, goal_world)
    before = snapshot(goal)
    with pytest.raises(error):
        services.goal_approve(actor=world.users[user], goal=goal)
    assert snapshot(goal) == before


def test_nobody_approves_their_own_goal_not_even_the_gm(world, goal_world):
    goal = propose(world, goal_world, user="gm", parent="obj_revenue")
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_approve(actor=world.users["gm"], goal=goal)
    assert snapshot(goal) == before
    # the performance manager may
    assert services.goal_approve(actor=world.users["perf"], goal=goal).status == "active"


def test_self_approval_refused_when_recorded_as_own_manager(world, goal_world):
    head = world.employees["head_east"]
    Employee.objects.filter(pk=head.pk).update(manager=head)  # bad data, not via the service
    goal = propose(world, goal_world, user="head_east")
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_approve(actor=world.users["head_east"], goal=goal)
    assert snapshot(goal) == before
    assert "approve" not in services.available_actions(actor=world.users["head_east"], goal=goal)
    # their own manager's scope approves it
    assert services.goal_approve(actor=world.users["head_sales"], goal=goal).status == "active"


def test_return_needs_a_reason_and_records_it_as_a_comment(world, goal_world):
    goal = propose(world, goal_world)
    before = snapshot(goal)
    with pytest.raises(ValidationError):
        services.goal_return(actor=world.users["head_east"], goal=goal, reason="  ")
    assert snapshot(goal) == before
    returned = services.goal_return(
        actor=world.users["head_east"], goal=goal, reason="目标太低", version=goal.version
    )
    assert returned.status == Goal.Status.RETURNED
    comment = GoalComment.objects.get(goal=goal)
    assert "目标太低" in comment.body
    assert comment.author == world.users["head_east"]


def test_owner_edits_a_returned_proposal_and_resubmits(world, goal_world):
    goal = propose(world, goal_world)
    services.goal_return(actor=world.users["head_east"], goal=goal, reason="目标太低")
    goal.refresh_from_db()
    goal = services.goal_update(
        actor=world.users["emp_east"], goal=goal, version=goal.version, target=D(15)
    )
    # the owner may not move the proposal to someone else
    with pytest.raises(ValidationError):
        services.goal_update(
            actor=world.users["emp_east"],
            goal=goal,
            version=goal.version,
            owner=world.employees["emp_east2"],
        )
    resubmitted = services.goal_resubmit(
        actor=world.users["emp_east"], goal=goal, version=goal.version, comment="已调高"
    )
    assert resubmitted.status == Goal.Status.PROPOSED
    assert resubmitted.target == D(15)
    assert GoalComment.objects.filter(goal=goal).count() == 2


def test_only_the_owner_resubmits(world, goal_world):
    goal = propose(world, goal_world)
    services.goal_return(actor=world.users["head_east"], goal=goal, reason="r")
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_resubmit(actor=world.users["head_east"], goal=goal)
    assert snapshot(goal) == before


def test_owner_cannot_edit_an_active_goal(world, goal_world):
    goal = goal_world.kpi_east
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_update(
            actor=world.users["emp_east"], goal=goal, version=goal.version, target=D(1)
        )
    assert snapshot(goal) == before


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("approve", Goal.Status.ACTIVE),
        ("return", Goal.Status.ACTIVE),
        ("resubmit", Goal.Status.ACTIVE),
        ("resubmit", Goal.Status.PROPOSED),
        ("close", Goal.Status.PROPOSED),
        ("close", Goal.Status.CLOSED),
    ],
)
def test_illegal_transitions_raise(world, goal_world, step, status):
    goal = goal_world.kpi_east
    Goal.objects.filter(pk=goal.pk).update(status=status)
    goal.refresh_from_db()
    actor = world.users["emp_east" if step == "resubmit" else "head_east"]
    before = snapshot(goal)
    with pytest.raises(TransitionError):
        services.goal_transition(actor=actor, goal=goal, action=step, reason="r")
    assert snapshot(goal) == before


def test_unknown_step(world, goal_world):
    with pytest.raises(TransitionError):
        services.goal_transition(actor=world.users["gm"], goal=goal_world.dg_sales, action="x")


def test_close_by_editors_only(world, goal_world):
    goal = goal_world.dg_sales
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_close(actor=world.users["head_sales"], goal=goal)  # owner, not editor
    assert snapshot(goal) == before
    closed = services.goal_close(actor=world.users["vp1"], goal=goal, reason="战略调整")
    assert closed.status == Goal.Status.CLOSED
    assert GoalComment.objects.filter(goal=goal).exists()


def test_available_actions(world, goal_world):
    goal = propose(world, goal_world)
    assert services.available_actions(actor=world.users["head_east"], goal=goal) == [
        "approve",
        "return",
    ]
    assert services.available_actions(actor=world.users["emp_east"], goal=goal) == []
    assert services.available_actions(actor=world.users["hrvp"], goal=goal) == []
    services.goal_return(actor=world.users["head_east"], goal=goal, reason="r")
    goal.refresh_from_db()
    assert services.available_actions(actor=world.users["emp_east"], goal=goal) == ["resubmit"]
    assert services.available_actions(actor=world.users["vp1"], goal=goal_world.dg_sales) == [
        "close"
    ]


# --- actuals and comments -----------------------------------------------------------------------


def test_editor_records_an_actual(world, goal_world):
    goal = goal_world.kpi_east
    updated = services.goal_record_actual(
        actor=world.users["head_east"], goal=goal, actual=D(8), version=goal.version
    )
    assert updated.actual == D(8)
    assert updated.actual_at is not None


def test_owner_reports_their_own_actual_unless_a_metric_feeds_it(world, goal_world):
    goal = goal_world.kpi_east
    updated = services.goal_record_actual(
        actor=world.users["emp_east"], goal=goal, actual=D(7), version=goal.version
    )
    assert updated.actual == D(7)
    Goal.objects.filter(pk=goal.pk).update(metric_key="crm.new_customers")
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_record_actual(
            actor=world.users["emp_east"], goal=goal, actual=D(99), version=None
        )
    assert snapshot(goal) == before


@pytest.mark.parametrize(("user", "error"), [("emp_east2", Http404), ("vp2", Http404)])
def test_actual_denied(world, goal_world, user, error):
    goal = goal_world.kpi_east
    before = snapshot(goal)
    with pytest.raises(error):
        services.goal_record_actual(
            actor=world.users[user], goal=goal, actual=D(99), version=goal.version
        )
    assert snapshot(goal) == before


def test_actual_stale_version(world, goal_world):
    goal = goal_world.kpi_east
    services.goal_record_actual(
        actor=world.users["head_east"], goal=goal, actual=D(8), version=goal.version
    )
    before = snapshot(goal)
    with pytest.raises(ConflictError):
        services.goal_record_actual(
            actor=world.users["emp_east"], goal=goal, actual=D(9), version=goal.version
        )
    assert snapshot(goal) == before


def test_comments_by_owner_and_editors(world, goal_world):
    goal = goal_world.kpi_east
    c1 = services.comment_add(actor=world.users["emp_east"], goal=goal, body="本月拜访 3 家")
    c2 = services.comment_add(actor=world.users["head_east"], goal=goal, body="继续")
    assert [c.pk for c in GoalComment.objects.filter(goal=goal)] == [c1.pk, c2.pk]
    assert c1.company_id == world.company.pk


@pytest.mark.parametrize(
    ("user", "error"),
    [("hrvp", PermissionDenied), ("emp_east2", Http404), ("other_gm", Http404)],
)
def test_comment_denied(world, goal_world, user, error):
    with pytest.raises(error):
        services.comment_add(actor=world.users[user], goal=goal_world.kpi_east, body="x")
    assert not GoalComment.objects.exists()


def test_empty_comment_refused(world, goal_world):
    with pytest.raises(ValidationError):
        services.comment_add(actor=world.users["emp_east"], goal=goal_world.kpi_east, body=" ")
    assert not GoalComment.objects.exists()


def test_no_actual_on_a_proposal(world, goal_world):
    goal = propose(world, goal_world)
    before = snapshot(goal)
    with pytest.raises(PermissionDenied):
        services.goal_record_actual(
            actor=world.users["head_east"], goal=goal, actual=D(3), version=goal.version
        )
    assert snapshot(goal) == before
