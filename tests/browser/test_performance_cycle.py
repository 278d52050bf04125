"""One performance plan walked through every role in a browser, from the draft to the
employee's acknowledgement of the published result — only clicks and form fills on the real
pages, switching logins between the steps. Screenshots of every role/step go to test-results/
(``perf-plan-designer.png`` …); a few pages are also shot at 390 px (phone width).

The plan covers 华东销售组 (sales_east): head_east, emp_east and emp_east2 get a scorecard.
The subject of the walk is emp_east; the two other cards must move along too (the department
is submitted only when every card is confirmed, results are published only when every card is
evaluated), so emp_east2 confirms, head_sales assigns and evaluates head_east's own card (a
head never assigns or evaluates their own) and head_east confirms it — also on the pages.

emp_east's expected result (the numbers the head and the employee type below):
  销售额  target 100, actual 110 → 110 %  → score 110 × weight 60 %
  新客户数 target 20,  actual 18  →  90 %  → score  90 × weight 40 %   results 102
  团队合作 rating 4 of 5 → 80, 沟通 rating 5 of 5 → 100, weights 50/50  competency 90
  split 70 : 30 → 102 × 0.7 + 90 × 0.3 = 98.4 → 优秀
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_scopes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# elements sticking out of the viewport whose parent does not (the ones to fix)
WIDE_ELEMENTS = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const parent = el.parentElement;
    if (el.getBoundingClientRect().right > w + 1 && parent.getBoundingClientRect().right <= w + 1)
      out.push(`${el.tagName}.${el.className} (${getComputedStyle(el).position})`);
  }
  return out.slice(0, 10);
}"""


def test_plan_walks_from_draft_to_acknowledgement(page, live_server, world, screenshot):
    base = live_server.url

    def go(name: str, **kwargs) -> None:
        page.goto(base + reverse(f"performance:{name}", kwargs=kwargs or None))

    def as_user(username: str) -> None:
        page.context.clear_cookies()
        log_in(page, live_server, username)

    def phone_shot(name: str) -> None:
        """The same page at 390 px: nothing may stick out of the viewport but scroll boxes."""
        page.set_viewport_size(PHONE)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        screenshot(name)
        culprits = page.evaluate(WIDE_ELEMENTS) if overflow > 0 else []
        page.set_viewport_size(DESKTOP)
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than a phone: {culprits}"

    def plan_step(step: str, comment: str = "") -> None:
        form = page.locator(f"form:has([data-step={step}])")
        if comment:
            form.locator("input[name=comment]").fill(comment)
        form.locator(f"[data-step={step}]").click()
        page.wait_for_load_state()

    def status_is(text: str, testid: str = "plan-status") -> None:
        expect(page.get_by_test_id(testid)).to_have_text(text)

    # --- 1. perf: the indicator library (seeded on the plan office's first visit) -------------
    as_user("perf")
    go("library_list")
    if page.get_by_role("cell", name="销售额", exact=False).count() == 0:
        page.get_by_test_id("seed-library").click()
    expect(page.locator("main")).to_contain_text("销售额")
    expect(page.locator("main")).to_contain_text("团队合作")
    screenshot("perf-library")

    # --- 2. perf: a quarter plan for 华东销售组 from the library ----------------------------
    go("plan_list")
    page.get_by_test_id("new-plan").click()
    page.select_option("select[name=period_kind]", "quarter")
    page.select_option("select[name=year]", "2026")
    page.fill("input[name=number]", "4")
    page.get_by_test_id("plan-departments").get_by_label("华东销售组").check()
    templates = page.get_by_test_id("plan-templates")
    for name in ("销售额", "新客户数", "团队合作", "沟通"):
        templates.get_by_label(name, exact=True).check()
    screenshot("perf-plan-create")
    page.get_by_test_id("create-plan").click()
    page.wait_for_url(re.compile(r"/plans/\d+/design/$"))
    plan_id = int(re.search(r"/plans/(\d+)/design/", page.url).group(1))

    # --- 3. perf: the designer — weights checked, the CRM-fed indicators typed in -----------
    indicators = page.get_by_test_id("indicators")
    for name in ("销售额", "新客户数", "团队合作", "沟通"):
        expect(indicators).to_contain_text(name)
    # the library's competencies weigh 30 + 30: the designer says so (heads fix it per card)
    expect(page.get_by_test_id("problems")).to_contain_text("60")
    screenshot("perf-plan-designer")
    # no CRM feed in this company: the sales figures are typed in by the employees
    for name in ("销售额", "新客户数"):
        row = indicators.get_by_test_id("indicator-row").filter(has_text=name)
        row.get_by_test_id("edit-indicator").click()
        page.select_option("select[name=data_source]", "manual")
        page.fill("input[name=metric_key]", "")
        page.get_by_test_id("save-indicator").click()
        page.wait_for_url(re.compile(r"/design/$"))
    screenshot("perf-plan-designer-saved")
    page.get_by_test_id("back-to-plan").click()
    status_is("草稿")
    plan_step("submit", "2026 年第四季度华东销售组考核")
    status_is("人资副总审核")
    screenshot("perf-plan-submitted")

    # --- 4. hrvp: the review screen, approve -------------------------------------------------
    as_user("hrvp")
    go("plan_detail", pk=plan_id)
    page.get_by_test_id("review-link").click()
    page.wait_for_url(re.compile(r"/review/$"))
    expect(page.get_by_test_id("changes")).to_be_visible()
    expect(page.get_by_test_id("indicators")).to_contain_text("销售额")
    # the comment names its step as people read it (not the raw "submit")
    expect(page.locator("#comments [data-step=submit]")).to_have_text("提交审核")
    screenshot("hrvp-plan-review")
    plan_step("hr_approve", "同意")
    status_is("副总审核")
    expect(page.get_by_test_id("parts").locator("[data-review]")).to_have_attribute(
        "data-review", "pending"
    )

    # --- 5. vp1: approves the sales part ---------------------------------------------------
    as_user("vp1")
    go("plan_review", pk=plan_id)
    part = page.get_by_test_id("part-review")
    expect(part).to_have_count(1)
    screenshot("vp1-plan-review")
    part.locator("input[name=comment]").fill("销售部门同意")
    part.get_by_test_id("approve-part").click()
    page.wait_for_load_state()
    status_is("总经理备案")  # company-level: filed by the GM
    expect(page.get_by_test_id("parts").locator("[data-review]")).to_have_attribute(
        "data-review", "approved"
    )

    # --- 6. gm: files and publishes to the departments ---------------------------------------
    as_user("gm")
    go("plan_detail", pk=plan_id)
    screenshot("gm-plan-filing")
    plan_step("gm_file")
    status_is("指标分配中")
    screenshot("gm-plan-published")
    grid_link = page.get_by_test_id("grid-link")
    expect(grid_link).to_have_count(1)  # the GM may assign (every department is in scope)

    # --- 7. head_east: the assignment grid (weights, targets), send --------------------------
    as_user("head_east")
    go("team")
    team = page.get_by_test_id("team-parts")
    expect(team).to_contain_text("华东销售组")
    expect(team).to_contain_text("分配中: 3")  # display labels, not the raw "draft"
    screenshot("head_east-team")
    team.get_by_test_id("grid-link").first.click()
    page.wait_for_url(re.compile(r"/grid/"))
    row = page.get_by_test_id("row-T0008")  # emp_east
    competency = row.get_by_test_id("total-competency")
    expect(competency).to_contain_text("≠ 100")  # 30 + 30 from the library
    cells = {
        "销售额": ("60", "100"),
        "新客户数": ("40", "20"),
        "团队合作": ("50", None),
        "沟通": ("50", None),
    }
    for emp_no in ("T0008", "T0009"):  # emp_east, emp_east2
        r = page.get_by_test_id(f"row-{emp_no}")
        for name, (weight, target) in cells.items():
            r.locator(f"input[aria-label$='· {name} · 权重']").fill(weight)
            if target is not None:
                r.locator(f"input[aria-label$='· {name} · 目标值']").fill(target)
    expect(competency).to_have_text("100")  # the totals follow the typing
    expect(row.get_by_test_id("total-results")).to_have_text("100")
    screenshot("head_east-grid-typed")
    page.get_by_test_id("save-all").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("row-T0008").get_by_test_id("total-competency")).to_have_text("100")
    # head_east's own row is not theirs to edit
    expect(page.get_by_test_id("row-T0007").locator("input[name^=w-]")).to_have_count(0)
    expect(page.get_by_test_id("row-T0007").get_by_test_id("own-row")).to_be_visible()
    page.get_by_test_id("send-all").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("row-T0008").get_by_test_id("card-status")).to_have_text(
        "已发给员工"
    )
    expect(page.get_by_test_id("row-T0009").get_by_test_id("card-status")).to_have_text(
        "已发给员工"
    )
    screenshot("head_east-grid-sent")
    phone_shot("head_east-grid-390")

    # --- 7b. head_sales: assigns head_east's own card -----------------------------------------
    as_user("head_sales")
    go("grid", plan_pk=plan_id)
    r = page.get_by_test_id("row-T0007")
    for name, (weight, target) in cells.items():
        r.locator(f"input[aria-label$='· {name} · 权重']").fill(weight)
        if target is not None:
            r.locator(f"input[aria-label$='· {name} · 目标值']").fill(target)
    r.get_by_test_id("save-row").click()
    page.wait_for_load_state()
    page.get_by_test_id("send-all").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("row-T0007").get_by_test_id("card-status")).to_have_text(
        "已发给员工"
    )
    screenshot("head_sales-grid-sent")

    # --- 8. the employees confirm their targets ----------------------------------------------
    def confirm(username: str) -> None:
        as_user(username)
        go("my_scorecards")
        page.get_by_test_id("card-link").first.click()
        expect(page.get_by_test_id("card-status")).to_have_text("已发给员工")
        if username == "emp_east":
            expect(page.get_by_test_id("items")).to_contain_text("销售额")
            screenshot("emp_east-scorecard-sent")
            phone_shot("emp_east-scorecard-390")
        page.locator("[data-step=confirm]").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("card-status")).to_have_text("已确认")

    confirm("emp_east")
    screenshot("emp_east-scorecard-confirmed")
    confirm("emp_east2")
    confirm("head_east")

    # --- 9. head_east: submits the department ----------------------------------------------
    as_user("head_east")
    go("team")
    expect(page.get_by_test_id("team-parts")).to_contain_text("已确认: 3")
    page.get_by_test_id("team-parts").get_by_test_id("plan-link").first.click()
    page.get_by_test_id("plan-links").get_by_test_id("grid-link").click()  # the plan's page
    page.get_by_test_id("submit-department").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("parts")).to_contain_text("已于")
    expect(page.get_by_test_id("submit-department")).to_have_count(0)
    screenshot("head_east-department-submitted")

    # --- 10. perf: starts the period, opens self-evaluation --------------------------------
    as_user("perf")
    go("plan_detail", pk=plan_id)
    plan_step("start")
    status_is("执行中")
    screenshot("perf-plan-started")
    expect(page.get_by_test_id("actuals-import-link")).to_be_visible()
    plan_step("open_self_evaluation")
    status_is("自评")

    # --- 11. emp_east: actuals and the self-evaluation ---------------------------------------
    as_user("emp_east")
    go("my_scorecards")
    page.get_by_test_id("card-link").first.click()
    page.get_by_test_id("self-evaluate-link").click()
    form = page.get_by_test_id("self-evaluation-form")
    sales = form.locator("fieldset[data-indicator='销售额']")
    sales.locator("input[name^=actual-]").fill("110")
    sales.locator("textarea[name^=self_comment-]").fill("新签两个大客户")
    form.locator("fieldset[data-indicator='新客户数']").locator("input[name^=actual-]").fill("18")
    page.fill("#self_comment", "本季度超额完成销售目标。")
    screenshot("emp_east-self-evaluation")
    phone_shot("emp_east-self-evaluation-390")
    page.get_by_test_id("submit-self-evaluation").click()
    page.wait_for_url(re.compile(r"/scorecards/\d+/$"))
    expect(page.get_by_test_id("card-status")).to_have_text("已自评")
    expect(page.get_by_test_id("score")).to_have_count(0)  # no score before publication
    screenshot("emp_east-self-evaluated")

    # --- 12. perf: opens the manager evaluation -------------------------------------------
    as_user("perf")
    go("plan_detail", pk=plan_id)
    plan_step("open_manager_evaluation")
    status_is("上级评价")

    # --- 13. head_east evaluates emp_east (and emp_east2); head_sales evaluates head_east ----
    def evaluate(username: str, emp_no: str, ratings: dict[str, str], shot: str = "") -> None:
        as_user(username)
        go("grid", plan_pk=plan_id)
        page.get_by_test_id(f"row-{emp_no}").get_by_role("link").first.click()
        page.get_by_test_id("evaluate-link").click()
        form = page.get_by_test_id("evaluation-form")
        for name, level in ratings.items():
            form.locator(f"fieldset[data-indicator='{name}']").locator(
                "select[name^=rating-]"
            ).select_option(level)
        page.fill("#manager_comment", "目标达成良好，继续保持。")
        if shot:
            expect(page.get_by_test_id("employee-self-evaluation")).to_contain_text("超额完成")
            expect(form.locator("fieldset[data-indicator='销售额']")).to_contain_text("110")
            screenshot(shot)
            phone_shot(shot + "-390")
        page.get_by_test_id("submit-evaluation").click()
        page.wait_for_url(re.compile(r"/scorecards/\d+/$"))
        expect(page.get_by_test_id("card-status")).to_have_text("已评价")

    evaluate("head_east", "T0008", {"团队合作": "4", "沟通": "5"}, "head_east-evaluation")
    expect(page.get_by_test_id("score")).to_contain_text("98.4")  # the head sees the score
    screenshot("head_east-evaluated")
    evaluate("head_east", "T0009", {"团队合作": "3", "沟通": "3"})
    evaluate("head_sales", "T0007", {"团队合作": "4", "沟通": "4"})

    # --- 14. perf: opens calibration, publishes the results -----------------------------------
    as_user("perf")
    go("plan_detail", pk=plan_id)
    plan_step("open_calibration")
    status_is("校准")
    page.get_by_test_id("results-link").click()
    page.wait_for_url(re.compile(r"/results/plans/\d+/$"))
    results = page.get_by_test_id("results-table")
    expect(results.locator("tr", has_text="郑员工")).to_contain_text("98.4")
    screenshot("perf-results-calibration")
    page.get_by_test_id("publish").click()
    page.wait_for_load_state()
    status_is("结果已发布")
    screenshot("perf-results-published")

    # --- 15. emp_east: the report (score, grade, trace), acknowledges ------------------------
    as_user("emp_east")
    go("results_mine")
    expect(page.get_by_test_id("my-results")).to_contain_text("98.40")
    go("my_scorecards")
    page.get_by_test_id("card-link").first.click()
    expect(page.get_by_test_id("card-status")).to_have_text("已发布")
    page.get_by_test_id("report-link").click()
    page.wait_for_url(re.compile(r"/results/cards/\d+/$"))
    expect(page.get_by_test_id("report-score")).to_have_text("98.40")
    expect(page.get_by_test_id("report-grade")).to_contain_text("优秀")
    lines = page.get_by_test_id("report-indicators")
    expect(lines.locator("tr", has_text="销售额")).to_contain_text("110")
    trace = page.get_by_test_id("report-trace")
    expect(trace).to_contain_text("98.4")
    expect(trace).to_contain_text("优秀")
    screenshot("emp_east-report")
    phone_shot("emp_east-report-390")
    page.get_by_test_id("acknowledge").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("report-summary")).to_contain_text("已确认结果")
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    screenshot("emp_east-report-acknowledged")
