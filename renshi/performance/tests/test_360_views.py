"""360 and import pages end to end: ask raters, answer through the form, the aggregate page
below and at three answers, the import's dry run → commit through the pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from renshi.core import excel
from renshi.performance.models import Answer360, Plan, Rater360, ScorecardItem

from .test_360_services import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_ask_answer_and_aggregate_through_pages(world, client_for):
    pw = make_world(world)
    card = pw.cards["emp_east"]
    head = client_for("head_east")
    page = head.get(reverse("performance:r360_raters", kwargs={"pk": card.pk}))
    assert page.status_code == 200 and 'name="raters"' in page.content.decode()
    raters = [pw.employees[k].pk for k in ("emp_east2", "head_sales", "emp_prod")]
    response = head.post(
        reverse("performance:r360_raters", kwargs={"pk": card.pk}), {"raters": raters}
    )
    assert response.status_code == 302 and Rater360.objects.count() == 3
    aggregate_url = reverse("performance:r360_aggregate", kwargs={"pk": card.pk})
    for n, key in enumerate(("emp_east2", "head_sales", "emp_prod"), start=1):
        rater = client_for(key)
        home = rater.get(reverse("performance:r360_home")).content.decode()
        pk = Rater360.objects.get(rater=pw.employees[key]).pk
        url = reverse("performance:r360_answer", kwargs={"pk": pk})
        assert url in home
        assert rater.post(url, {"q_teamwork": "4"}).status_code == 422  # a question missing
        assert rater.post(url, {"q_teamwork": "4", "q_communication": "3"}).status_code == 302
        assert rater.post(url, {"q_teamwork": "4", "q_communication": "3"}).status_code == 422
        body = head.get(aggregate_url).content.decode()
        if n < 3:
            assert 'data-testid="r360-hidden"' in body and "不计入得分" in body
            assert 'data-testid="r360-questions"' not in body
    assert Answer360.objects.filter(rater__isnull=True).count() == 3
    body = head.get(aggregate_url).content.decode()
    assert "70.00" in body and 'data-testid="r360-questions"' in body
    # the head never sees who answered in an anonymous cycle
    raters_page = head.get(reverse("performance:r360_raters", kwargs={"pk": card.pk}))
    assert "Answered" not in re.sub(r"\d+ of \d+ raters answered", "", raters_page.content.decode())
    # the employee sees the aggregate only after publication
    employee = client_for("emp_east")
    assert employee.get(aggregate_url).status_code == 403
    Plan.objects.filter(pk=pw.plan.pk).update(status=Plan.Status.PUBLISHED)
    assert employee.get(aggregate_url).status_code == 200


def test_import_dry_run_then_commit_through_pages(world, client_for):
    from renshi.performance.testing import build_plan_world

    pw = build_plan_world(world, plan_status=Plan.Status.TRACKING)
    head = client_for("head_east")
    import_url = reverse("performance:actuals_import", kwargs={"pk": pw.plan.pk})
    template = head.get(
        reverse("performance:actuals_template", kwargs={"pk": pw.plan.pk}),
        {"department": "sales_east"},
    )
    assert template.status_code == 200 and template.content.startswith(excel.XLSX_MAGIC)
    rows = [(pw.employees["emp_east"].employee_no, "", "销售额", 10, 11)]
    bad = [*rows, ("X1", "", "销售额", 10, 1)]

    def upload(rows):
        data = excel.write_workbook(
            [excel.SheetSpec("s", ["工号", "姓名", "指标", "目标值", "实际值"], rows)]
        )
        from django.core.files.uploadedfile import SimpleUploadedFile

        return head.post(import_url, {"file": SimpleUploadedFile("a.xlsx", data)})

    response = upload(bad)
    assert response.status_code == 422 and "未知工号" in response.content.decode()
    assert 'name="payload"' not in response.content.decode()
    response = upload(rows)
    assert response.status_code == 200
    payload = re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk).actual is None
    commit = reverse("performance:actuals_commit", kwargs={"pk": pw.plan.pk})
    assert head.post(commit, {"payload": payload}).status_code == 302
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk).actual == 11
    assert head.post(commit, {"payload": payload}).status_code == 409  # replay
