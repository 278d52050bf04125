"""The performance state machines: every legal step, and every illegal one refused."""

from __future__ import annotations

import pytest

from renshi.core.workflow import TransitionError
from renshi.performance.models import Plan, Scorecard
from renshi.performance.workflows import APPEAL, PLAN, SCORECARD

HAPPY_PLAN = [
    ("submit", "hr_review"),
    ("hr_approve", "vp_review"),
    ("to_gm", "gm_filing"),
    ("gm_file", "assigning"),
    ("start", "tracking"),
    ("open_self_evaluation", "self_eval"),
    ("open_manager_evaluation", "manager_eval"),
    ("open_calibration", "calibration"),
    ("publish_results", "published"),
    ("close", "closed"),
    ("reopen", "calibration"),
]


def test_plan_happy_path():
    state = Plan.Status.DRAFT
    for name, expected in HAPPY_PLAN:
        state = PLAN.target(state, name)
        assert state == expected


def test_every_plan_state_is_reachable_and_known():
    assert PLAN.states() == set(Plan.Status.values)
    assert SCORECARD.states() == set(Scorecard.Status.values)


@pytest.mark.parametrize("state", Plan.Status.values)
def test_illegal_plan_steps_are_refused(state):
    allowed = {t.name for t in PLAN.available(state)}
    for name in PLAN.transitions:
        if name in allowed:
            continue
        with pytest.raises(TransitionError):
            PLAN.target(state, name)


def test_no_stage_can_be_skipped():
    with pytest.raises(TransitionError):
        PLAN.target(Plan.Status.DRAFT, "publish")
    with pytest.raises(TransitionError):
        PLAN.target(Plan.Status.TRACKING, "publish_results")
    with pytest.raises(TransitionError):
        SCORECARD.target(Scorecard.Status.SENT, "evaluate")
    with pytest.raises(TransitionError):
        SCORECARD.target(Scorecard.Status.DRAFT, "acknowledge")


def test_replayed_step_is_refused():
    state = PLAN.target(Plan.Status.HR_REVIEW, "hr_approve")
    with pytest.raises(TransitionError):
        PLAN.target(state, "hr_approve")
    with pytest.raises(TransitionError):
        APPEAL.target(APPEAL.target("open", "reject"), "rescore")


def test_unknown_step():
    with pytest.raises(TransitionError):
        PLAN.target(Plan.Status.DRAFT, "approve_everything")
