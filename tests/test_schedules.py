"""The periodic jobs ``manage.py crontask`` finds: it imports ``<app>.tasks`` of every installed
app, so a schedule declared anywhere else must be imported from there (or it never runs)."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.utils.module_loading import module_has_submodule

EXPECTED = {
    "deliveries_retry",  # notifications: retry failed deliveries with back-off
    "connectors_schedule_task",  # metrics: poll the connectors that are due
    "alerts_evaluate_daily",  # alerts: evaluate every rule each morning
    "goal_actuals_refresh_all",  # goals: recompute metric-fed actuals
    "idempotency_purge",  # core: drop Idempotency-Key answers after 24 h
    "scorecard_actuals_refresh_all",  # performance: recompute metric/goal-fed scorecard actuals
}


def test_crontask_finds_every_schedule():
    from crontask import scheduler

    for app in apps.get_app_configs():
        if module_has_submodule(app.module, "tasks"):
            importlib.import_module(f"{app.name}.tasks")
    names = {job.name.rsplit(".", 1)[-1] for job in scheduler.get_jobs()}
    missing = EXPECTED - names
    assert not missing, f"schedules crontask would not load: {missing} (found {names})"
