"""The target-suggestion pages: compute, list with derivation, accept / override."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.goals.models import TargetSuggestion
from renshi.goals.services_targets import target_suggest

pytestmark = pytest.mark.django_db

SHARE_POST = {
    "method": "share",
    "share-parent_target": "18",
    "share-people": "6",
    "share-period": "quarter",
    "share-per": "month",
    "share-places": "0",
}


def page(goal):
    return reverse("goals:target_suggest", kwargs={"pk": goal.pk})


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_editor_computes_the_seed_split_and_sees_the_derivation(world, goal_world, client_for):
    client = english(client_for("head_east"))
    kpi = goal_world.kpi_east
    response = client.post(page(kpi), SHARE_POST)
    assert response.status_code == 302
    s = TargetSuggestion.objects.get()
    assert response["Location"] == f"{page(kpi)}#suggestion-{s.pk}"
    assert (s.value, s.decision, s.inputs["people"]) == (Decimal(1), "pending", 6)
    html = client.get(page(kpi)).content.decode()
    assert "Share: 18 per quarter ÷ 6 people = 3 per person per quarter" in html
    assert "reading 3 as a target per month would mix the periods" in html
    assert reverse("goals:target_decide", kwargs={"pk": s.pk}) in html


def test_viewer_reads_but_gets_no_forms(world, goal_world, client_for):
    target_suggest(
        actor=world.users["gm"],
        goal=goal_world.kpi_east,
        method="pipeline",
        inputs={"prospects": "100", "conversion": "30", "per": "month"},
    )
    html = english(client_for("emp_east")).get(page(goal_world.kpi_east)).content.decode()
    assert "Pipeline: 100 prospects × conversion 30% = 30 per quarter" in html
    assert 'name="method"' not in html
    assert "target_decide" not in html and "/decide/" not in html
    response = client_for("emp_east").post(page(goal_world.kpi_east), SHARE_POST)
    assert response.status_code == 403
    assert TargetSuggestion.objects.count() == 1


def test_invalid_inputs_rerender_with_field_errors(world, goal_world, client_for):
    client = english(client_for("head_east"))
    response = client.post(
        page(goal_world.kpi_east),
        {**SHARE_POST, "share-people": "0"},
    )
    assert response.status_code == 422
    assert 'data-field-error="people"' in response.content.decode()
    assert not TargetSuggestion.objects.exists()


def test_capacity_warning_shown(world, goal_world, client_for):
    client = english(client_for("head_east"))
    client.post(
        page(goal_world.kpi_east),
        {
            "method": "pipeline",
            "pipeline-prospects": "100",
            "pipeline-conversion": "30",
            "pipeline-period": "quarter",
            "pipeline-per": "quarter",
            "pipeline-places": "0",
            "pipeline-market_prospects": "50",
            "pipeline-max_conversion": "40",
        },
    )
    s = TargetSuggestion.objects.get()
    assert s.warnings == [
        "The target 30 exceeds what the market allows: 50 prospects × max conversion 40% × "
        "average value 1 = 20."
    ]
    assert (
        "exceeds what the market allows" in client.get(page(goal_world.kpi_east)).content.decode()
    )


def _pending(world, goal_world):
    return target_suggest(
        actor=world.users["head_east"],
        goal=goal_world.kpi_east,
        method="share",
        inputs={"parent_target": "18", "people": "6", "per": "month", "places": "0"},
    )


def decide(client, s, **data):
    return client.post(reverse("goals:target_decide", kwargs={"pk": s.pk}), data)


def test_accept_and_replay(world, goal_world, client_for):
    s = _pending(world, goal_world)
    client = english(client_for("vp1"))
    assert decide(client, s, decision="accept", goal_version="1").status_code == 302
    goal_world.kpi_east.refresh_from_db()
    assert (goal_world.kpi_east.target, goal_world.kpi_east.version) == (Decimal(1), 2)
    replay = decide(client, s, decision="accept", goal_version="2")
    assert replay.status_code == 422
    assert "already decided" in replay.content.decode()


def test_override_needs_reason_and_stale_version_conflicts(world, goal_world, client_for):
    s = _pending(world, goal_world)
    client = english(client_for("head_east"))
    response = decide(client, s, decision="override", goal_version="1", value="2", reason="")
    assert response.status_code == 422
    assert 'data-field-error="reason"' in response.content.decode()
    response = decide(client, s, decision="override", goal_version="9", value="2", reason="新区域")
    assert response.status_code == 409
    s.refresh_from_db()
    goal_world.kpi_east.refresh_from_db()
    assert s.decision == "pending"
    assert goal_world.kpi_east.target == Decimal(12)
    response = decide(client, s, decision="override", goal_version="1", value="2", reason="新区域")
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.decision, s.chosen_value, s.reason) == ("overridden", Decimal(2), "新区域")


def test_page_query_count_constant_in_suggestions(world, goal_world, client_for):
    client = client_for("head_east")
    url = page(goal_world.kpi_east)
    _pending(world, goal_world)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(8):
        _pending(world, goal_world)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)
