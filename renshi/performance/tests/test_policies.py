"""Who sees which plan and scorecard (renshi/performance/permissions.py)."""

from __future__ import annotations

import datetime

import pytest

from renshi.core import access
from renshi.performance.models import Plan, PlanDepartment, Scorecard

pytestmark = pytest.mark.django_db


def _plan(world, status, departments=("sales_east",)):
    plan = Plan.objects.create(
        company=world.company,
        name=f"2026Q1 {status}",
        period_kind="quarter",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
    )
    Plan.objects.filter(pk=plan.pk).update(status=status)
    for key in departments:
        PlanDepartment.objects.create(
            company=world.company, plan=plan, department=world.departments[key]
        )
    return plan


def _visible(world, key, model=Plan):
    return set(access.restrict(model, world.users[key]).values_list("pk", flat=True))


def test_drafts_belong_to_the_plan_office(world):
    draft = _plan(world, Plan.Status.DRAFT)
    for key in ("perf", "hrvp", "gm"):
        assert draft.pk in _visible(world, key)
    for key in ("vp1", "head_east", "emp_east", "other_gm"):
        assert draft.pk not in _visible(world, key)


def test_vps_see_plans_covering_their_departments_from_their_review_on(world):
    review = _plan(world, Plan.Status.VP_REVIEW)
    assert review.pk in _visible(world, "vp1")  # sales_east is under sales
    assert review.pk not in _visible(world, "vp2")
    assert review.pk not in _visible(world, "head_east")  # not yet published to departments


def test_departments_see_published_plans_covering_them(world):
    live = _plan(world, Plan.Status.TRACKING)
    for key in ("head_east", "emp_east", "head_sales", "vp1"):
        assert live.pk in _visible(world, key)
    for key in ("head_prod", "emp_prod", "vp2", "other_gm"):
        assert live.pk not in _visible(world, key)


def test_only_the_plan_office_changes_plans(world):
    plan = _plan(world, Plan.Status.DRAFT)
    assert set(access.restrict(Plan, world.users["perf"], access.CHANGE)) == {plan}
    for key in ("gm", "vp1", "head_east", "emp_east"):
        assert not access.restrict(Plan, world.users[key], access.CHANGE).exists()


def test_scorecards_follow_the_employee(world):
    plan = _plan(world, Plan.Status.TRACKING, departments=("sales_east", "production"))
    east = Scorecard.objects.create(
        company=world.company,
        plan=plan,
        employee=world.employees["emp_east"],
        department=world.departments["sales_east"],
    )
    prod = Scorecard.objects.create(
        company=world.company,
        plan=plan,
        employee=world.employees["emp_prod"],
        department=world.departments["production"],
    )
    head = Scorecard.objects.create(
        company=world.company,
        plan=plan,
        employee=world.employees["head_east"],
        department=world.departments["sales_east"],
    )
    assert _visible(world, "emp_east", Scorecard) == {east.pk}
    assert _visible(world, "head_east", Scorecard) == {east.pk, head.pk}
    assert _visible(world, "vp1", Scorecard) == {east.pk, head.pk}
    assert _visible(world, "vp2", Scorecard) == {prod.pk}
    assert _visible(world, "gm", Scorecard) == {east.pk, prod.pk, head.pk}
    assert _visible(world, "other_gm", Scorecard) == set()
    # nobody evaluates themselves
    changeable = set(
        access.restrict(Scorecard, world.users["head_east"], access.CHANGE).values_list(
            "pk", flat=True
        )
    )
    assert changeable == {east.pk}
