"""Walk the strategy down and back up, as the seeds ask: strategy map → department goal →
employee KPI, then from the employee's "my goals" up the chain to the strategic objective."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.test_scopes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_map_to_department_goal_to_kpi_and_back(page, live_server, world, goal_world, screenshot):
    log_in(page, live_server, "vp1")
    page.goto(live_server.url + reverse("goals:map_detail", args=[goal_world.strategy_map.pk]))
    assert "营收增长 35%" in page.locator("main").inner_text()
    screenshot("vp1-strategy-map")

    # down: objective → department goal → individual KPI
    page.locator("main a", has_text="营收增长 35%").first.click()
    page.wait_for_url(f"**/goals/{goal_world.obj_revenue.pk}/")
    page.locator("main a", has_text="销售部营收").first.click()
    page.wait_for_url(f"**/goals/{goal_world.dg_sales.pk}/")
    text = page.locator("main").inner_text()
    assert "新客户数" in text
    page.locator("main a", has_text="新客户数").first.click()
    page.wait_for_url(lambda url: "/goals/" in url and url.rstrip("/").split("/")[-1].isdigit())
    assert page.url.rstrip("/").endswith(
        (str(goal_world.kpi_east.pk), str(goal_world.kpi_east2.pk))
    )
    screenshot("vp1-kpi")

    # up: the employee sees their KPI under the chain it serves, up to the objective
    page.context.clear_cookies()
    log_in(page, live_server, "emp_east")
    page.goto(live_server.url + reverse("goals:my_goals"))
    text = page.locator("main").inner_text()
    for title in ("营收增长 35%", "销售部营收", "新客户数"):
        assert title in text, title
    page.locator("main a", has_text="营收增长 35%").first.click()
    page.wait_for_url(f"**/goals/{goal_world.obj_revenue.pk}/")
    screenshot("emp_east-chain")
