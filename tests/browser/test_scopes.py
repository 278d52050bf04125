"""Log in through the login form as gm, vp1 and an employee; each sees exactly their scope on
the organisation chart and the employee list, in Chinese. Screenshots go to test-results/."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from renshi.org.testing import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# world employee numbers (renshi.org.testing creates them in this order)
ACME = {
    "gm": "T0001", "hrvp": "T0002", "perf": "T0003", "vp1": "T0004", "vp2": "T0005",
    "head_sales": "T0006", "head_east": "T0007", "emp_east": "T0008", "emp_east2": "T0009",
    "head_prod": "T0010", "emp_prod": "T0011", "head_rnd": "T0012",
}  # fmt: skip
OTHER = {"other_gm": "T0013", "other_emp": "T0014"}
EMPLOYEE_NO = re.compile(r"\bT\d{4}\b")

ALL_DEPARTMENTS = {"总经办", "销售部", "华东销售组", "生产部", "研发部"}
SCOPES = {
    # user: (visible employee numbers, visible departments on the chart)
    "gm": (set(ACME.values()), ALL_DEPARTMENTS),
    "vp1": (
        {ACME[k] for k in ("vp1", "head_sales", "head_east", "emp_east", "emp_east2")},
        {"销售部", "华东销售组"},
    ),
    "emp_east": ({ACME["emp_east"]}, {"华东销售组"}),
}
NEVER = {"Other HQ", "Other Emp", "Other GM"}  # another company


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.locator("[data-testid=user-menu]").count() == 1, f"{username} is not logged in"


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_login_page_is_chinese(page, live_server, world, screenshot):
    page.goto(live_server.url + reverse("login"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    text = page.locator("body").inner_text()
    assert "密码" in text  # "Password", from the zh-hans catalogs
    screenshot("login")


@pytest.mark.parametrize("username", ["gm", "vp1", "emp_east"])
def test_each_role_sees_exactly_their_scope(page, live_server, world, screenshot, username):
    employees, departments = SCOPES[username]
    log_in(page, live_server, username)

    page.goto(live_server.url + reverse("org:employee_list"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    text = main_text(page)
    assert set(EMPLOYEE_NO.findall(text)) == employees
    assert "搜索" in page.locator("body").inner_text()  # "Search", a zh-hans label
    assert not any(name in text for name in NEVER)
    screenshot(f"{username}-employee-list")

    page.goto(live_server.url + reverse("org:chart"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    text = main_text(page)
    for name in departments:
        assert name in text, f"{username} should see {name} on the chart"
    for name in ALL_DEPARTMENTS - departments - {"总经办"}:
        assert name not in text, f"{username} must not see {name} on the chart"
    assert not any(name in text for name in NEVER)
    assert "组织架构" in page.locator("body").inner_text()  # "Organisation chart" (catalog)
    screenshot(f"{username}-chart")
