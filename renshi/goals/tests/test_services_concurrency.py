"""Two managers approve the same proposal at the same moment: one succeeds, the other gets a
TransitionError (the row is locked with SELECT … FOR UPDATE and the status re-read inside the
transaction). Needs a real server: runs on PostgreSQL (make test-pg), skipped on SQLite."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from renshi.goals import services
from renshi.goals.models import Goal
from renshi.goals.services import TransitionError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (make test-pg)"
    ),
]


def test_two_concurrent_approvals_give_one_success(world, goal_world):
    goal = services.goal_propose(
        actor=world.users["emp_east"],
        strategy_map=goal_world.strategy_map,
        parent=goal_world.dg_sales,
        title="大客户拜访",
        measure="拜访次数",
        unit="次",
        baseline=Decimal(0),
        target=Decimal(20),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(key: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.goal_approve(actor=world.users[key], goal=goal)
            outcomes.append("ok")
        except TransitionError:
            outcomes.append("refused")
        except Exception as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(k,)) for k in ("head_east", "head_sales")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert goal.version == 2
