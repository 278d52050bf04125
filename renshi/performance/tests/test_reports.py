"""The employee's report (HTML, PDF with the Chinese text, JSON with the trace), the PDF's URL
fetcher (nothing remote, no file://), and the Excel export (scope, formula neutralisation)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from renshi.core.models import AuditLog
from renshi.org.models import Employee
from renshi.performance import reports
from renshi.performance.models import Plan, Scorecard

from .matrix_results import results_world

pytestmark = pytest.mark.django_db
P, S = Plan.Status, Scorecard.Status


@pytest.fixture
def pub(world):
    return results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def test_report_page_has_trace_history_and_print_stylesheet(pub, world, client_for):
    # an earlier cycle of the same person
    old = Plan.objects.create(
        company=world.company,
        name="2025Q4 绩效",
        period_kind="quarter",
        period_start="2025-10-01",
        period_end="2025-12-31",
    )
    Plan.objects.filter(pk=old.pk).update(status=P.CLOSED)
    Scorecard.objects.create(
        company=world.company,
        plan=old,
        employee=world.employees["emp_east"],
        department=world.departments["sales_east"],
    )
    Scorecard.objects.filter(plan=old).update(status=S.ACKNOWLEDGED, score=88, grade="good")
    card = pub.cards["emp_east"]
    response = client_for("emp_east").get(
        reverse("performance:results_report", kwargs={"pk": card.pk})
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "106.40" in body and "优秀" in body
    assert "销售额" in body and "122" in body  # indicator and results subtotal in the trace
    assert "2025Q4 绩效" in body and "88" in body  # history
    assert 'media="print"' in body and "results-print.css" in body
    assert 'data-testid="acknowledge"' in body and 'data-testid="appeal"' in body
    assert "<script>" not in body and 'style="' not in body


def test_pdf_contains_the_chinese_name_and_grade(pub, client_for):
    card = pub.cards["emp_east"]
    response = client_for("emp_east").get(
        reverse("performance:results_report_pdf", kwargs={"pk": card.pk})
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert "郑员工" in text
    assert "优秀" in text
    assert "2026Q1" in text


def test_pdf_fetcher_refuses_remote_and_file_urls(pub, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    fetcher = reports.url_fetcher()
    for url in ("http://example.com/x.css", f"file://{secret}", "renshi-static:../settings.py",
                "renshi-static:performance/results.js", "ftp://example.com/x"):  # fmt: skip
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    ok = fetcher.fetch("renshi-static:performance/results-print.css")
    assert b"WenQuanYi" in ok.read()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_pdf_ignores_remote_resources_in_content(pub, world, client_for):
    """A comment with an <img> or a remote URL is escaped text; nothing is fetched."""
    Scorecard.objects.filter(pk=pub.cards["emp_east"].pk).update(
        manager_comment='<img src="http://169.254.169.254/latest"> file:///etc/passwd'
    )
    response = client_for("head_east").get(
        reverse("performance:results_report_pdf", kwargs={"pk": pub.cards["emp_east"].pk})
    )
    assert response.status_code == 200
    assert "169.254.169.254" in _pdf_text(response.content)  # shown as text


def test_report_json_with_trace(pub, client_for):
    card = pub.cards["emp_east"]
    response = client_for("emp_east").get(
        reverse("api:performance-results-report", kwargs={"pk": card.pk})
    )
    assert response.status_code == 200
    data = response.json()
    assert data["score"] == "106.40" and data["final_grade"] == "excellent"
    assert data["subtotals"] == {"results": "122", "competency": "70"}
    sales = next(i for i in data["indicators"] if i["name"] == "销售额")
    assert sales["points"] == "72" and sales["trace"]
    assert any("106.4" in line for line in data["trace"])
    assert data["outcome"] == {"grade": "excellent", "raise_percent": "10.00",
                               "bonus_coefficient": "1.50"}  # fmt: skip
    assert response["ETag"] == f'"{card.version}"'


def _sheet(content: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_excel_export_respects_scope_and_neutralises_formulas(pub, world, client_for):
    Employee.objects.filter(pk=world.employees["emp_east2"].pk).update(name="=1+1")
    url = reverse("performance:results_export", kwargs={"pk": pub.plan.pk})
    response = client_for("head_east").get(url)
    assert response.status_code == 200
    rows = _sheet(response.content)
    names = sorted(r[1] for r in rows[1:])
    assert names == ["'=1+1", "郑员工"]  # head_east: their team only; the formula neutralised
    vp2_rows = _sheet(client_for("vp2").get(url).content)
    assert [r[1] for r in vp2_rows[1:]] == ["褚工人"]
    gm_rows = _sheet(client_for("gm").get(url).content)
    assert len(gm_rows) == 4
    by_name = {r[1]: r for r in gm_rows[1:]}
    assert by_name["郑员工"][3] == pytest.approx(106.4) and by_name["郑员工"][8] == 10
    assert (
        AuditLog.objects.filter(object_id=str(pub.plan.pk), message="exported results").count() == 3
    )
    assert client_for("emp_east").get(url).status_code == 403
    assert client_for("other_gm").get(url).status_code == 404


def test_results_page_outcomes_promotions_and_sort(pub, world, client_for):
    Plan.objects.filter(pk=pub.plan.pk).update(
        outcomes={"excellent": {"raise": "12", "bonus": "2"}, "fail": {"raise": "0", "bonus": "0"}}
    )
    url = reverse("performance:results_plan", kwargs={"pk": pub.plan.pk})
    response = client_for("gm").get(url + "?sort=name")
    assert response.status_code == 200
    context = response.context
    assert [p.row.card.employee.name for p in context["promotions"]] == ["郑员工"]
    assert context["promotions"][0].trace
    outcome = {r.card.employee.name: r.outcome for r in context["rows"]}
    assert outcome["郑员工"].raise_percent == 12 and outcome["冯员工"] is None
    names = [r.card.employee.name for r in context["rows"]]
    assert names == sorted(names)
    by_score = client_for("gm").get(url + "?min_score=70").context["promotions"]
    assert [p.row.card.employee.name for p in by_score] == ["郑员工", "冯员工"]
    # a head sees their team only
    head = client_for("head_east").get(url).context["rows"]
    assert {r.card.employee.name for r in head} == {"郑员工", "冯员工"}
