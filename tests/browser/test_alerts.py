"""Alerts in a browser: an employee behind pace gets an alert, opens it from the inbox and reads
how it was computed; their head sees it in the Data menu's alert list and resolves it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from renshi.alerts import services
from tests.browser.test_scopes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OCT1 = datetime.date(2026, 10, 1)


def test_alert_from_inbox_to_resolution(page, live_server, world, goal_world, screenshot):
    services.alert_rules_ensure_defaults(company=world.company)
    services.alerts_evaluate(company=world.company, today=OCT1)

    log_in(page, live_server, "emp_east")
    page.goto(live_server.url + reverse("notifications:inbox"))
    item = page.get_by_test_id("notification").first
    assert "预警" in item.inner_text()
    item.locator("a").first.click()
    page.wait_for_url("**/alerts/*/")
    trace = page.get_by_test_id("alert-trace").inner_text()
    assert "%" in trace  # the completion with its numbers
    assert page.get_by_test_id("resolve").count() == 0  # not for the person it is about
    screenshot("emp_east-alert-detail")

    page.context.clear_cookies()
    log_in(page, live_server, "head_east")
    page.goto(live_server.url + reverse("alerts:alert_list"))
    rows = page.get_by_test_id("alert-list").locator("tbody tr")
    assert rows.count() >= 1
    screenshot("head_east-alert-list")
    rows.first.locator("a").first.click()
    page.wait_for_url("**/alerts/*/")
    page.get_by_test_id("resolve").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("resolve").count() == 0
    screenshot("head_east-alert-resolved")
