"""Who sees and edits which goals (renshi/goals/permissions.py)."""

import pytest

from renshi.core import access
from renshi.goals.models import Goal, StrategyMap

pytestmark = pytest.mark.django_db


def keys(goal_world, user, action=access.VIEW):
    ids = set(access.restrict(Goal, user, action).values_list("pk", flat=True))
    return {k for k, g in goal_world.goals.items() if g.pk in ids}


UPPER = {
    "obj_revenue",
    "dg_sales",
    "dg_prod",
    "obj_retention",
    "dg_downtime",
    "obj_cycle",
    "dg_rnd",
    "obj_cert",
}


def test_everyone_in_the_company_sees_objectives_and_department_goals(world, goal_world):
    assert keys(goal_world, world.users["emp_prod"]) == UPPER
    assert keys(goal_world, world.users["emp_east"]) == UPPER | {"kpi_east"}
    assert keys(goal_world, world.users["vp1"]) == UPPER | {"kpi_east", "kpi_east2"}
    assert keys(goal_world, world.users["vp2"]) == UPPER
    assert keys(goal_world, world.users["perf"]) == set(goal_world.goals)


def test_other_company_sees_nothing(world, goal_world):
    assert keys(goal_world, world.users["other_gm"]) == set()
    assert not access.restrict(StrategyMap, world.users["other_gm"]).exists()


def test_edit_rights_by_scope(world, goal_world):
    assert keys(goal_world, world.users["gm"], access.CHANGE) == set(goal_world.goals)
    assert keys(goal_world, world.users["perf"], access.CHANGE) == set(goal_world.goals)
    assert keys(goal_world, world.users["vp1"], access.CHANGE) == {
        "dg_sales",
        "kpi_east",
        "kpi_east2",
    }
    assert keys(goal_world, world.users["vp2"], access.CHANGE) == {
        "dg_prod",
        "dg_downtime",
        "dg_rnd",
    }
    # a head edits the department's and the team's goals, not their own
    assert keys(goal_world, world.users["head_east"], access.CHANGE) == {"kpi_east", "kpi_east2"}
    assert keys(goal_world, world.users["head_sales"], access.CHANGE) == {"kpi_east", "kpi_east2"}
    assert keys(goal_world, world.users["emp_east"], access.CHANGE) == set()
    assert keys(goal_world, world.users["hrvp"], access.CHANGE) == set()


def test_map_editing_is_for_gm_and_performance_manager(world, goal_world):
    for role, allowed in [
        ("gm", True),
        ("perf", True),
        ("hrvp", False),
        ("vp1", False),
        ("emp_east", False),
    ]:
        assert access.has_perm(world.users[role], "goals.manage_map") is allowed, role
