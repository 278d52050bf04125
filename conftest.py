"""Shared fixtures: the standard test organisation (renshi.org.testing) and logged-in clients."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def world(db):
    from renshi.org.testing import build_world

    return build_world()


@pytest.fixture
def client_for(world, client):
    """``client_for("vp1")`` → a Django test client logged in as that world user."""
    from django.test import Client

    def make(key: str | None) -> Client:
        c = Client()
        if key is not None:
            c.force_login(world.users[key])
        return c

    return make


@pytest.fixture
def goal_world(world):
    """The seeds' strategy map on top of ``world`` (renshi.goals.testing)."""
    from renshi.goals.testing import build_goal_world

    return build_goal_world(world)


@pytest.fixture
def plan_world(world):
    """A quarter performance plan in progress on top of ``world`` (renshi.performance.testing)."""
    from renshi.performance.testing import build_plan_world

    return build_plan_world(world)
