"""The inbox in a browser: a head comments on an employee's KPI, the employee sees the badge in
the navigation bar, opens the inbox, marks the notification read and the badge goes away."""

from __future__ import annotations

import pytest
from django.urls import reverse

from renshi.goals import services
from tests.browser.test_scopes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_badge_inbox_mark_read(page, live_server, world, goal_world, screenshot):
    services.comment_add(
        actor=world.users["head_east"], goal=goal_world.kpi_east, body="请 @emp_east 本周更新进度"
    )
    log_in(page, live_server, "emp_east")
    page.goto(live_server.url + reverse("goals:my_goals"))
    badge = page.get_by_test_id("inbox-badge")
    assert badge.inner_text().strip() == "1"
    screenshot("emp_east-inbox-badge")

    page.get_by_test_id("inbox-link").click()
    page.wait_for_url("**/inbox/")
    item = page.get_by_test_id("notification").first
    assert "提到了你" in item.inner_text() or "新客户数" in item.inner_text()
    assert item.get_attribute("data-unread") == "1"
    screenshot("emp_east-inbox")

    page.get_by_test_id("mark-read").first.click()  # htmx swaps the list
    page.wait_for_selector("[data-testid=notification][data-unread='0']")
    page.reload()
    assert page.get_by_test_id("inbox-badge").count() == 0
    screenshot("emp_east-inbox-read")

    # clicking the item follows its link to the goal's comments
    page.locator("[data-testid=notification] a").first.click()
    page.wait_for_url(f"**/goals/{goal_world.kpi_east.pk}/**")
    assert page.locator(".mention", has_text="@emp_east").count() == 1
    screenshot("emp_east-goal-mention")
