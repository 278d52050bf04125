"""Calibration: the distribution against the forced-distribution quotas (checked by hand with
the largest remainder), who may adjust a grade (never their own), the reason, stale edits, the
plan stage — on the services, the page (htmx) and the API; constant queries in the number of
employees."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.org.models import Employee
from renshi.performance import scoring, selectors_results
from renshi.performance.models import Plan, Scorecard, ScorecardItem
from renshi.performance.services_results import scorecard_calibrate

from .matrix_results import results_world

pytestmark = pytest.mark.django_db

SHARES = {"excellent": "20", "good": "30", "pass": "40", "fail": "10"}
HX = {"HX-Request": "true"}


@pytest.fixture
def rw(world):
    pw = results_world(world)
    Plan.objects.filter(pk=pw.plan.pk).update(distribution=SHARES)
    pw.plan.refresh_from_db()
    return pw


def _card(pw, emp):
    return Scorecard.objects.get(pk=pw.cards[emp].pk)


def _state(pw):
    return list(
        Scorecard.objects.filter(plan=pw.plan)
        .order_by("pk")
        .values_list("calibrated_grade", "calibration_reason", "version")
    )


# --- quotas by hand -----------------------------------------------------------------------------


def test_largest_remainder_by_hand():
    # 7 people × 20/30/40/10 %: quotas 1.4, 2.1, 2.8, 0.7 → floors 1, 2, 2, 0 (5 seats);
    # 2 seats left go to the largest remainders: pass (.8) and fail (.7)
    quotas, warnings = scoring.forced_distribution(7, {k: Decimal(v) for k, v in SHARES.items()})
    assert [(q.grade, q.seats) for q in quotas] == [
        ("excellent", 1),
        ("good", 2),
        ("pass", 3),
        ("fail", 1),
    ]
    assert warnings == []
    # 3 people: 0.6, 0.9, 1.2, 0.3 → floors 0, 0, 1, 0; left 2 → good (.9), excellent (.6)
    quotas, warnings = scoring.forced_distribution(3, {k: Decimal(v) for k, v in SHARES.items()})
    assert [q.seats for q in quotas] == [1, 1, 1, 0]
    assert warnings == ["small_group"]


def test_distribution_before_and_after_against_quotas(rw, world):
    rows = selectors_results.result_rows(user=world.users["hrvp"], plan=rw.plan)
    overall, departments = selectors_results.distributions(rw.plan, rows)
    assert overall.size == 3 and overall.small_group
    by_grade = {c.grade.key: (c.seats, c.before, c.after) for c in overall.counts}
    # scores 106.4 excellent, 72.6 pass, 47 fail; quotas for 3 as computed by hand above
    assert by_grade == {
        "excellent": (1, 1, 1),
        "good": (1, 0, 0),
        "pass": (1, 1, 1),
        "fail": (0, 1, 1),
    }
    assert [c.grade.key for c in overall.counts if c.over] == ["fail"]
    # sales_east (2): 0.4, 0.6, 0.8, 0.2 → pass (.8) and good (.6) get the two seats
    east = next(d for d in departments if d.label == "华东销售组")
    assert [c.seats for c in east.counts] == [0, 1, 1, 0]
    assert [c.grade.key for c in east.counts if c.over] == ["excellent"]
    # calibrate emp_east2 (pass) up to excellent: after-counts move, before-counts stay
    scorecard_calibrate(
        actor=world.users["vp1"],
        scorecard=rw.cards["emp_east2"],
        grade="excellent",
        reason="大客户续约贡献",
        version=_card(rw, "emp_east2").version,
    )
    rows = selectors_results.result_rows(user=world.users["hrvp"], plan=rw.plan)
    overall, _departments = selectors_results.distributions(rw.plan, rows)
    by_grade = {c.grade.key: (c.before, c.after) for c in overall.counts}
    assert by_grade["excellent"] == (1, 2) and by_grade["pass"] == (1, 0)
    assert {c.grade.key for c in overall.counts if c.over} == {"excellent", "fail"}


# --- who, what, when ----------------------------------------------------------------------------


def test_hrvp_and_supervising_vp_calibrate_with_a_reason(rw, world):
    card = scorecard_calibrate(
        actor=world.users["hrvp"],
        scorecard=rw.cards["emp_prod"],
        grade="pass",
        reason="次品率统计口径调整",
        version=_card(rw, "emp_prod").version,
    )
    assert card.calibrated_grade == "pass" and card.final_grade == "pass"
    assert card.grade == "fail"  # the computed grade stays
    assert card.calibrated_by == world.users["hrvp"]
    entry = AuditLog.objects.filter(object_id=str(card.pk), action="update").latest("id")
    assert entry.changes["calibrated_grade"] == {"before": "", "after": "pass"}
    card = scorecard_calibrate(
        actor=world.users["vp1"],
        scorecard=rw.cards["emp_east"],
        grade="good",
        reason="业绩含一次性大单",
        version=_card(rw, "emp_east").version,
    )
    assert card.final_grade == "good"


@pytest.mark.parametrize("who", ["gm", "perf", "head_east", "head_sales", "emp_east"])
def test_others_may_not_calibrate(rw, world, who):
    before = _state(rw)
    with pytest.raises(PermissionDenied):
        scorecard_calibrate(
            actor=world.users[who],
            scorecard=rw.cards["emp_east"],
            grade="good",
            reason="x",
            version=_card(rw, "emp_east").version,
        )
    assert _state(rw) == before


def test_vp_of_another_department_gets_404(rw, world):
    from django.http import Http404

    with pytest.raises(Http404):
        scorecard_calibrate(
            actor=world.users["vp2"],
            scorecard=rw.cards["emp_east"],
            grade="good",
            reason="x",
            version=1,
        )


def _own_card(rw, world, key, department):
    card = Scorecard.objects.create(
        company=world.company,
        plan=rw.plan,
        employee=world.employees[key],
        department=world.departments[department],
    )
    Scorecard.objects.filter(pk=card.pk).update(status=Scorecard.Status.EVALUATED, grade="good")
    return Scorecard.objects.get(pk=card.pk)


def test_nobody_calibrates_their_own_grade(rw, world):
    # the HR VP on their own card; vp1 on their own card in a department they supervise, even
    # when recorded as their own manager
    hr_card = _own_card(rw, world, "hrvp", "exec")
    vp_card = _own_card(rw, world, "vp1", "sales")
    Employee.objects.filter(pk=world.employees["vp1"].pk).update(manager=world.employees["vp1"])
    for key, card in (("hrvp", hr_card), ("vp1", vp_card)):
        with pytest.raises(PermissionDenied):
            scorecard_calibrate(
                actor=world.users[key],
                scorecard=card,
                grade="excellent",
                reason="自评",
                version=card.version,
            )
        card.refresh_from_db()
        assert card.calibrated_grade == ""


def test_reason_grade_version_and_stage(rw, world):
    hrvp = world.users["hrvp"]
    card = _card(rw, "emp_east")
    before = _state(rw)
    with pytest.raises(ValidationError):
        scorecard_calibrate(actor=hrvp, scorecard=card, grade="good", reason=" ", version=1)
    with pytest.raises(ValidationError):
        scorecard_calibrate(actor=hrvp, scorecard=card, grade="super", reason="x", version=1)
    with pytest.raises(ConflictError):
        scorecard_calibrate(actor=hrvp, scorecard=card, grade="good", reason="x", version=99)
    assert _state(rw) == before
    for status in (Plan.Status.MANAGER_EVALUATION, Plan.Status.PUBLISHED, Plan.Status.CLOSED):
        Plan.objects.filter(pk=rw.plan.pk).update(status=status)
        with pytest.raises(TransitionError):
            scorecard_calibrate(actor=hrvp, scorecard=card, grade="good", reason="x", version=1)
    assert _state(rw) == before


def test_removing_a_calibration(rw, world):
    hrvp = world.users["hrvp"]
    card = scorecard_calibrate(
        actor=hrvp, scorecard=rw.cards["emp_east"], grade="good", reason="a", version=1
    )
    card = scorecard_calibrate(
        actor=hrvp, scorecard=card, grade="", reason="撤销校准", version=card.version
    )
    assert card.calibrated_grade == "" and card.final_grade == "excellent"


# --- page and API -------------------------------------------------------------------------------


def _post(pw, card, **data):
    prefix = f"c{card.pk}-"
    return {prefix + k: v for k, v in data.items()}


def test_calibration_page_shows_quotas_and_chart_data(rw, client_for):
    response = client_for("hrvp").get(
        reverse("performance:results_calibration", kwargs={"pk": rw.plan.pk})
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="distribution-data"' in body and "data-over-quota" in body
    assert 'data-testid="small-group"' in body
    assert "<script>" not in body and 'style="' not in body
    # vp1 sees the sales_east people only, with a form for each
    response = client_for("vp1").get(
        reverse("performance:results_calibration", kwargs={"pk": rw.plan.pk})
    )
    assert [r.card.employee.name for r in response.context["rows"]] == ["郑员工", "冯员工"]
    assert all(r.form is not None for r in response.context["rows"])


def test_calibrate_page_htmx_ok_stale_and_missing_reason(rw, client_for):
    client = client_for("vp1")
    card = _card(rw, "emp_east")
    url = reverse("performance:results_calibrate", kwargs={"pk": card.pk})
    response = client.post(
        url, _post(rw, card, grade="good", reason="一次性大单", version=card.version), headers=HX
    )
    assert response.status_code == 200
    assert _card(rw, "emp_east").calibrated_grade == "good"
    assert 'id="calibration-board-inner"' in response.content.decode()
    before = _state(rw)
    stale = client.post(
        url, _post(rw, card, grade="pass", reason="再调", version=card.version), headers=HX
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode() or "修改" in stale.content.decode()
    missing = client.post(
        url,
        _post(rw, card, grade="pass", reason="", version=_card(rw, "emp_east").version),
        headers=HX,
    )
    assert missing.status_code == 422
    assert _state(rw) == before


def test_calibrate_page_outside_calibration_is_409(rw, client_for):
    Plan.objects.filter(pk=rw.plan.pk).update(status=Plan.Status.PUBLISHED)
    card = _card(rw, "emp_east")
    response = client_for("hrvp").post(
        reverse("performance:results_calibrate", kwargs={"pk": card.pk}),
        _post(rw, card, grade="good", reason="x", version=card.version),
    )
    assert response.status_code == 409
    assert _card(rw, "emp_east").calibrated_grade == ""


def test_calibrate_api(rw, client_for):
    client = client_for("hrvp")
    card = _card(rw, "emp_prod")
    url = reverse("api:performance-results-calibrate", kwargs={"pk": card.pk})
    ok = client.post(
        url,
        {"grade": "pass", "reason": "口径调整", "version": card.version},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["final_grade"] == "pass"
    stale = client.post(
        url,
        {"grade": "good", "reason": "x", "version": card.version},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    extra = client.post(
        url,
        {"grade": "good", "reason": "x", "version": 2, "score": 100},
        content_type="application/json",
    )
    assert extra.status_code == 400
    Plan.objects.filter(pk=rw.plan.pk).update(status=Plan.Status.CLOSED)
    closed = client.post(
        url, {"grade": "good", "reason": "x", "version": 2}, content_type="application/json"
    )
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "transition"
    assert _card(rw, "emp_prod").calibrated_grade == "pass"


# --- constant queries ---------------------------------------------------------------------------


def _more_cards(rw, world, n):
    plan = rw.plan
    dept = world.departments["sales_east"]
    indicators = [rw.indicators[k] for k in ("sales", "customers", "teamwork", "communication")]
    for i in range(n):
        emp = Employee.objects.create(
            company=world.company,
            employee_no=f"X{i:04d}",
            name=f"加员工{i}",
            department=dept,
            hire_date=datetime.date(2024, 1, 1),
        )
        card = Scorecard.objects.create(
            company=world.company, plan=plan, employee=emp, department=dept
        )
        Scorecard.objects.filter(pk=card.pk).update(status=Scorecard.Status.EVALUATED)
        for ind in indicators:
            ScorecardItem.objects.create(
                company=world.company,
                scorecard=card,
                indicator=ind,
                weight=ind.default_weight,
                target=ind.default_target,
                actual=Decimal(i % 12) if ind.category == "results" else None,
                rating=Decimal(3) if ind.category == "competency" else None,
            )
    from renshi.performance.services_scoring import plan_score_all

    plan_score_all(plan=plan)


@pytest.mark.parametrize("url_name", ["results_plan", "results_calibration"])
def test_results_pages_constant_queries(rw, world, client_for, url_name):
    client = client_for("vp1")
    url = reverse(f"performance:{url_name}", kwargs={"pk": rw.plan.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _more_cards(rw, world, 27)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 29  # vp1's: sales_east (2 + 27)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_api_results_constant_queries(rw, world, client_for):
    client = client_for("gm")
    url = reverse("api:performance-results-list", kwargs={"pk": rw.plan.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _more_cards(rw, world, 27)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.json()["count"] == 30
    assert len(large.captured_queries) == len(small.captured_queries)
