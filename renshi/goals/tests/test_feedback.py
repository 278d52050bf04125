"""Goal feedback threads and workflow notifications (renshi.goals.notifications)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from renshi.goals import services
from renshi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _inbox(user, event=None):
    qs = Notification.objects.filter(recipient=user)
    if event:
        qs = qs.filter(event=event)
    return qs


def test_owner_comment_notifies_heads(world, goal_world):
    u = world.users
    kpi = goal_world.kpi_east
    services.comment_add(actor=u["emp_east"], goal=kpi, body="本月进度有风险")
    # emp_east's manager and department head is head_east
    [n] = _inbox(u["head_east"], "feedback.comment")
    assert n.url == kpi.get_absolute_url() + "#comments"
    assert "新客户数" in n.title and n.body == "本月进度有风险"
    assert not _inbox(u["emp_east"]).exists()  # not their own comment


def test_head_reply_notifies_owner_and_earlier_commenters_and_mentions(world, goal_world):
    u = world.users
    kpi = goal_world.kpi_east
    services.comment_add(actor=u["head_sales"], goal=kpi, body="先联系老客户")
    Notification.objects.all().delete()
    services.comment_add(
        actor=u["head_east"], goal=kpi, body="同意 @head_sales，另外 @emp_east2 @emp_prod 帮忙"
    )
    assert _inbox(u["emp_east"], "feedback.comment").count() == 1  # the owner
    assert _inbox(u["head_sales"], "feedback.mention").count() == 0  # not visible to head_east
    assert _inbox(u["head_sales"], "feedback.comment").count() == 1  # earlier commenter
    # emp_east2 is visible to head_east but cannot see emp_east's KPI: not notified
    assert not _inbox(u["emp_east2"]).exists()
    # emp_prod is outside head_east's scope: never resolved
    assert not _inbox(u["emp_prod"]).exists()


def test_mention_of_visible_person_who_sees_the_goal(world, goal_world):
    u = world.users
    services.comment_add(actor=u["gm"], goal=goal_world.kpi_east, body="@head_sales 请关注")
    assert _inbox(u["head_sales"], "feedback.mention").count() == 1
    assert not _inbox(u["head_sales"], "feedback.comment").exists()


def test_denied_comment_notifies_nobody(world, goal_world):
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=world.users["hrvp"], goal=goal_world.kpi_east, body="@emp_east")
    assert not Notification.objects.exists()


def test_comment_page_highlights_mentions_and_hints(world, goal_world, client_for):
    kpi = goal_world.kpi_east
    c = client_for("head_east")
    r = c.post(reverse("goals:goal_comment", args=[kpi.pk]), {"body": "请 @emp_east 更新"})
    assert r.status_code == 302
    html = c.get(kpi.get_absolute_url()).content.decode()
    assert '<span class="mention text-primary fw-semibold">@emp_east</span>' in html
    assert 'data-testid="mention-hint"' in html
    assert _inbox(world.users["emp_east"], "feedback.mention").count() == 1


def test_proposal_workflow_notifies(
    world, goal_world, mailoutbox, django_capture_on_commit_callbacks
):
    u = world.users
    goal = services.goal_propose(
        actor=u["emp_east"],
        strategy_map=goal_world.strategy_map,
        parent=goal_world.dg_sales,
        title="大客户拜访",
        target=Decimal(20),
    )
    [n] = _inbox(u["head_east"], "goals.proposed")
    assert "大客户拜访" in n.title and n.url == goal.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        services.goal_return(actor=u["head_east"], goal=goal, reason="目标太低")
    [n] = _inbox(u["emp_east"], "goals.returned")
    assert n.body == "目标太低"
    assert [m.to for m in mailoutbox] == [["emp_east@example.com"]]  # e-mail by default
    services.goal_resubmit(actor=u["emp_east"], goal=goal)
    assert _inbox(u["head_east"], "goals.proposed").count() == 2
    services.goal_approve(actor=u["head_east"], goal=goal)
    assert _inbox(u["emp_east"], "goals.approved").count() == 1
