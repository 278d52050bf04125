"""The indicator library: the default seed (idempotent), the rule editor and its validation,
edits with the version, deactivation, pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from renshi.core.concurrency import ConflictError
from renshi.performance import library as lib
from renshi.performance import scoring
from renshi.performance.models import IndicatorTemplate

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_valid(world):
    created = lib.library_seed(company=world.company)
    assert len(created) == len(lib.DEFAULT_LIBRARY)
    assert lib.library_seed(company=world.company) == []
    for template in IndicatorTemplate.objects.filter(company=world.company):
        scoring.Rule.from_dict(template.rule)  # every stored rule is valid
    downtime = IndicatorTemplate.objects.get(name="服务器停机时间占比")
    assert downtime.rule == {"kind": "threshold", "direction": "lower", "limit": "1"}
    assert not IndicatorTemplate.objects.filter(company=world.other_company).exists()


def test_seed_needs_the_right(world):
    with pytest.raises(PermissionDenied):
        lib.library_seed(company=world.company, actor=world.users["gm"])


def test_department_type_guess(world):
    assert lib.department_type_of(world.sales) == "sales"
    assert lib.department_type_of(world.sales_east) == "sales"
    assert lib.department_type_of(world.production) == "production"
    assert lib.department_type_of(world.rnd) == "rnd"
    assert lib.department_type_of(world.exec) == ""


def test_create_edit_deactivate(world):
    perf = world.users["perf"]
    template = lib.indicator_template_create(
        actor=perf, name="回款率", category="results", direction="higher",
        rule={"kind": "bands", "bands": [["0.9", "80"], ["1", "100"]]},
    )  # fmt: skip
    assert template.rule["direction"] == "higher"
    with pytest.raises(ValidationError):
        lib.indicator_template_create(
            actor=perf, name="坏规则", category="results", rule={"kind": "threshold"}
        )
    with pytest.raises(PermissionDenied):
        lib.indicator_template_create(
            actor=world.users["head_sales"], name="x", category="results", rule={}
        )
    lib.indicator_template_update(actor=perf, template=template, version=1, unit="%")
    with pytest.raises(ConflictError):
        lib.indicator_template_update(actor=perf, template=template, version=1, unit="‰")
    lib.indicator_template_set_active(actor=perf, template=template, active=False, version=2)
    template.refresh_from_db()
    assert not template.active and template.unit == "%"


def test_rule_editor_page(world, client_for):
    perf = client_for("perf")
    url = reverse("performance:library_create")
    base = {"name": "投诉响应", "category": "results", "direction": "lower",
            "data_source": "manual", "rule_kind": "threshold"}  # fmt: skip
    response = perf.post(url, base)  # no limit: refused by the engine
    assert response.status_code == 422
    response = perf.post(url, {**base, "limit": "30", "step": "10", "step_points": "20"})
    assert response.status_code == 302
    template = IndicatorTemplate.objects.get(name="投诉响应")
    assert template.rule == {
        "kind": "threshold", "direction": "lower", "limit": "30", "step": "10",
        "step_points": "20",
    }  # fmt: skip
    response = perf.post(
        url,
        {**base, "name": "评级", "rule_kind": "rating", "scale_max": "4",
         "anchors": "1 差\n4 优"},
    )  # fmt: skip
    assert response.status_code == 302
    assert IndicatorTemplate.objects.get(name="评级").rule["anchors"] == [[1, "差"], [4, "优"]]
    response = perf.post(url, {**base, "name": "带", "rule_kind": "bands", "bands": "0.8 60\nx"})
    assert response.status_code == 422


def test_first_visit_seeds_for_the_plan_office(world, client_for):
    response = client_for("emp_east").get(reverse("performance:library_list"))
    assert response.status_code == 200
    assert not IndicatorTemplate.objects.exists()
    response = client_for("perf").get(reverse("performance:library_list"))
    assert response.status_code == 200 and "销售额" in response.content.decode()
