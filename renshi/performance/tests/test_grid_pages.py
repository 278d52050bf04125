"""The assignment grid and the scorecard pages: constant queries in the number of employees,
row and all saves, stale rows (409), weights ≠ 100 marked and refused on send/submit, every
legal and illegal step on the pages (409 with the reason, nothing changed)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.org.models import Employee
from renshi.performance.models import Plan, PlanDepartment, Scorecard, ScorecardItem
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db
P, S = Plan.Status, Scorecard.Status


def _pw(world, plan_status=P.ASSIGNING, card_status=S.DRAFT):
    return build_plan_world(world, plan_status=plan_status, card_status=card_status)


def _add_people(world, pw, n):
    dept = world.departments["sales_east"]
    for i in range(n):
        emp = Employee.objects.create(
            company=world.company,
            employee_no=f"G{i:04d}",
            name=f"员工{i}",
            department=dept,
            position=world.position,
            hire_date=datetime.date(2024, 1, 1),
        )
        card = Scorecard.objects.create(
            company=world.company, plan=pw.plan, employee=emp, department=dept
        )
        for key in ("sales", "customers", "teamwork", "communication"):
            ind = pw.indicators[key]
            ScorecardItem.objects.create(
                company=world.company,
                scorecard=card,
                indicator=ind,
                weight=ind.default_weight,
                target=ind.default_target,
            )


def _grid_url(pw, **params):
    url = reverse("performance:grid", kwargs={"plan_pk": pw.plan.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("mode", ["assign", "actuals"])
def test_grid_queries_constant_in_employees(world, client_for, mode):
    pw = _pw(world, P.ASSIGNING if mode == "assign" else P.TRACKING)
    client = client_for("head_east")
    _add_people(world, pw, 1)  # 3 rows (emp_east, emp_east2, one more)
    few, _r = _queries(client, _grid_url(pw, mode=mode))
    _add_people_offset(world, pw, 27)  # 30 rows
    many, response = _queries(client, _grid_url(pw, mode=mode))
    assert response.content.decode().count('data-testid="row-') == 30
    assert few == many, (few, many)


def _add_people_offset(world, pw, n):
    dept = world.departments["sales_east"]
    for i in range(100, 100 + n):
        emp = Employee.objects.create(
            company=world.company,
            employee_no=f"H{i:04d}",
            name=f"员工{i}",
            department=dept,
            position=world.position,
            hire_date=datetime.date(2024, 1, 1),
        )
        card = Scorecard.objects.create(
            company=world.company, plan=pw.plan, employee=emp, department=dept
        )
        for key in ("sales", "teamwork"):
            ind = pw.indicators[key]
            ScorecardItem.objects.create(
                company=world.company, scorecard=card, indicator=ind, weight=Decimal(50)
            )


def test_grid_marks_totals_not_100(world, client_for):
    pw = _pw(world)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(weight=50)
    html = client_for("head_east").get(_grid_url(pw)).content.decode()
    row = html.split(f'data-testid="row-{world.employees["emp_east"].employee_no}"')[1].split(
        "</tr>"
    )[0]
    assert "≠ 100" in row and "table-danger" in row
    row2 = html.split(f'data-testid="row-{world.employees["emp_east2"].employee_no}"')[1].split(
        "</tr>"
    )[0]
    assert "≠ 100" not in row2


def _row_post(pw, card, **cells):
    data = {"mode": "assign", "save": str(card.pk), f"v-{card.pk}": str(card.version)}
    for key, value in cells.items():
        kind, indicator = key.split("_", 1)
        data[f"{kind}-{card.pk}-{pw.indicators[indicator].pk}"] = value
    return data


def test_grid_row_save_and_stale_row(world, client_for):
    pw = _pw(world)
    card = pw.cards["emp_east"]
    client = client_for("head_east")
    response = client.post(_grid_url(pw), _row_post(pw, card, w_sales="70", t_sales="15"))
    assert response.status_code == 302
    item = ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk)
    assert (item.weight, item.target) == (Decimal(70), Decimal(15))
    # the same page again (version 1): stale → 409 and nothing changes
    response = client.post(_grid_url(pw), _row_post(pw, card, w_sales="80"))
    assert response.status_code == 409
    assert 'data-testid="grid-errors"' in response.content.decode()
    assert ScorecardItem.objects.get(pk=item.pk).weight == 70


def test_grid_save_all_and_invalid_cell(world, client_for):
    pw = _pw(world)
    east, east2 = pw.cards["emp_east"], pw.cards["emp_east2"]
    data = {"mode": "assign", "save": "all", f"v-{east.pk}": "1", f"v-{east2.pk}": "1"}
    data[f"w-{east.pk}-{pw.indicators['sales'].pk}"] = "55"
    data[f"w-{east2.pk}-{pw.indicators['sales'].pk}"] = "abc"
    response = client_for("head_east").post(_grid_url(pw), data)
    assert response.status_code == 422
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk).weight == 60
    data[f"w-{east2.pk}-{pw.indicators['sales'].pk}"] = "65"
    assert client_for("head_east").post(_grid_url(pw), data).status_code == 302
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east2", "sales")].pk).weight == 65


def test_grid_send_refuses_weights_not_100_then_sends(world, client_for):
    pw = _pw(world)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(weight=50)
    url = reverse("performance:grid_send", kwargs={"plan_pk": pw.plan.pk})
    client = client_for("head_east")
    response = client.post(url, {"all": "1"})
    assert response.status_code == 422 and "郑员工" in response.content.decode()
    assert not Scorecard.objects.filter(plan=pw.plan, status=S.SENT).exists()
    response = client.post(url, {"cards": [pw.cards["emp_east2"].pk]})
    assert response.status_code == 302
    assert Scorecard.objects.get(pk=pw.cards["emp_east2"].pk).status == S.SENT
    assert Scorecard.objects.get(pk=pw.cards["emp_east"].pk).status == S.DRAFT


def test_department_submit_page(world, client_for):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    url = reverse(
        "performance:department_submit",
        kwargs={"plan_pk": pw.plan.pk, "department_pk": world.departments["sales_east"].pk},
    )
    client = client_for("head_east")
    response = client.post(url)
    assert response.status_code == 422 and "郑员工" in response.content.decode()
    Scorecard.objects.filter(plan=pw.plan).update(status=S.CONFIRMED)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "teamwork")].pk).update(weight=10)
    assert client.post(url).status_code == 422  # competency weights total 60
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "teamwork")].pk).update(weight=50)
    assert client.post(url).status_code == 302
    part = PlanDepartment.objects.get(plan=pw.plan, department=world.departments["sales_east"])
    assert part.assignments_submitted_at is not None
    assert client.post(url).status_code == 409  # replayed


# --- steps on the pages ------------------------------------------------------------------------------


def _step(client, card, step, version=1, **extra):
    url = reverse("performance:scorecard_step", kwargs={"pk": card.pk})
    return client.post(url, {"step": step, "version": version, **extra})


@pytest.mark.parametrize(
    ("plan_status", "card_status", "step", "actor", "expected", "after"),
    [
        (P.ASSIGNING, S.DRAFT, "send", "head_east", 302, S.SENT),
        (P.ASSIGNING, S.OBJECTED, "send", "head_east", 302, S.SENT),
        (P.ASSIGNING, S.SENT, "confirm", "emp_east", 302, S.CONFIRMED),
        (P.ASSIGNING, S.SENT, "object", "emp_east", 302, S.OBJECTED),
        (P.ASSIGNING, S.SENT, "send", "head_east", 409, S.SENT),
        (P.ASSIGNING, S.CONFIRMED, "confirm", "emp_east", 409, S.CONFIRMED),
        (P.ASSIGNING, S.DRAFT, "confirm", "emp_east", 409, S.DRAFT),
        (P.TRACKING, S.DRAFT, "send", "head_east", 409, S.DRAFT),
        (P.ASSIGNING, S.SENT, "confirm", "head_east", 403, S.SENT),
        (P.ASSIGNING, S.DRAFT, "send", "emp_east", 403, S.DRAFT),
        (P.ASSIGNING, S.DRAFT, "send", "emp_prod", 404, S.DRAFT),
    ],
)
def test_page_steps(world, client_for, plan_status, card_status, step, actor, expected, after):
    pw = _pw(world, plan_status, card_status)
    card = pw.cards["emp_east"]
    response = _step(client_for(actor), card, step, reason="目标太高")
    assert response.status_code == expected
    assert Scorecard.objects.get(pk=card.pk).status == after


def test_page_object_needs_a_reason_and_stale_conflicts(world, client_for):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    card = pw.cards["emp_east"]
    client = client_for("emp_east")
    assert _step(client, card, "object").status_code == 422
    assert _step(client, card, "confirm", version=7).status_code == 409
    assert Scorecard.objects.get(pk=card.pk).status == S.SENT


def test_self_evaluation_and_evaluation_pages(world, client_for):
    pw = _pw(world, P.SELF_EVALUATION, S.CONFIRMED)
    card = pw.cards["emp_east"]
    sales = pw.items[("emp_east", "sales")]
    url = reverse("performance:scorecard_self_evaluation", kwargs={"pk": card.pk})
    # the manager cannot self-evaluate for the employee
    assert client_for("head_east").post(url, {"version": 1, "submit": "1"}).status_code == 403
    client = client_for("emp_east")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"version": 1, "submit": "1", f"actual-{sales.pk}": "9", f"evidence-{sales.pk}": "x"}
    )
    assert response.status_code == 302
    assert Scorecard.objects.get(pk=card.pk).status == S.SELF_EVALUATED
    assert client.post(url, {"version": 2, "submit": "1"}).status_code == 409  # replay
    Plan.objects.filter(pk=pw.plan.pk).update(status=P.MANAGER_EVALUATION)
    eval_url = reverse("performance:scorecard_evaluation", kwargs={"pk": card.pk})
    assert client.get(eval_url).status_code == 403  # the employee
    manager = client_for("head_east")
    page = manager.get(eval_url)
    assert (
        page.status_code == 200
        and 'data-testid="employee-self-evaluation"' in page.content.decode()
    )
    version = Scorecard.objects.get(pk=card.pk).version
    data = {"version": version, "submit": "1"}
    for key in ("teamwork", "communication"):
        data[f"rating-{pw.items[('emp_east', key)].pk}"] = "4"
    assert manager.post(eval_url, data).status_code == 302
    card.refresh_from_db()
    assert card.status == S.EVALUATED and card.score is not None
    # before publication the employee sees neither the score nor the grade
    detail = client.get(reverse("performance:scorecard_detail", kwargs={"pk": card.pk}))
    assert 'data-testid="score"' not in detail.content.decode()
    assert (
        'data-testid="score"'
        in manager.get(
            reverse("performance:scorecard_detail", kwargs={"pk": card.pk})
        ).content.decode()
    )


def test_thread_on_the_page_via_htmx(world, client_for):
    pw = _pw(world, P.TRACKING, S.CONFIRMED)
    item = pw.items[("emp_east", "sales")]
    url = reverse("performance:item_comment", kwargs={"pk": item.pk})
    response = client_for("emp_east").post(url, {"body": "请看"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "请看" in response.content.decode()
    page = client_for("head_east").get(
        reverse("performance:scorecard_detail", kwargs={"pk": pw.cards["emp_east"].pk})
    )
    assert "请看" in page.content.decode()
