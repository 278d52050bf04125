"""Actuals from Excel: the template, every per-row error of the dry run (nothing written), the
all-or-nothing commit with its signed payload (stale, tampered, another user's, changed items),
scope, audit and query counts."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from renshi.core import excel
from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.org.scope import clear_scope
from renshi.performance import imports
from renshi.performance.models import Plan, ScorecardItem
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db

HEADER = ["工号 employee_no", "姓名 name", "指标 indicator", "目标值 target", "实际值 actual"]


def workbook(rows, header=HEADER) -> bytes:
    return excel.write_workbook([excel.SheetSpec(title="s", header=header, rows=rows)])


def no(pw, key):
    return pw.employees[key].employee_no


def _actuals():
    return sorted(ScorecardItem.objects.values_list("pk", "actual", "version"))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def pw(world):
    return build_plan_world(world, plan_status=Plan.Status.TRACKING)


def check(pw, rows, actor="head_east"):
    user = pw.users[actor]
    clear_scope(user)
    return imports.actuals_check(actor=user, plan=pw.plan, filename="a.xlsx", data=workbook(rows))


# --- template -----------------------------------------------------------------------------------


def test_template_lists_manual_items_in_scope(pw):
    data = imports.actuals_template(
        actor=pw.users["head_east"], plan=pw.plan, department=pw.departments["sales_east"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0][0].endswith("employee_no") and rows[0][4].endswith("actual")
    # only 销售额: 新客户数 is fed by a metric, the competencies are rated
    assert rows[1:] == [
        (no(pw, "emp_east"), "郑员工", "销售额", 10, None),
        (no(pw, "emp_east2"), "冯员工", "销售额", 10, None),
    ]


def test_template_department_out_of_scope_is_refused(pw):
    with pytest.raises(PermissionDenied):
        imports.actuals_template(
            actor=pw.users["head_east"], plan=pw.plan, department=pw.departments["production"]
        )
    with pytest.raises(PermissionDenied):  # not a head, not the performance manager
        imports.actuals_template(
            actor=pw.users["emp_east"], plan=pw.plan, department=pw.departments["sales_east"]
        )


def test_template_neutralises_formulas(pw):
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk)
    pw.employees["emp_east"].__class__.objects.filter(pk=pw.employees["emp_east"].pk).update(
        name="=HYPERLINK(1)"
    )
    data = imports.actuals_template(
        actor=pw.users["perf"], plan=pw.plan, department=pw.departments["sales"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert "'=HYPERLINK(1)" in names


# --- dry run ------------------------------------------------------------------------------------


def test_dry_run_of_a_valid_file_writes_nothing(pw):
    before = _actuals()
    result = check(pw, [(no(pw, "emp_east"), "郑员工", "销售额", 10, 12.5)])
    assert result.ok and len(result.changes) == 1
    assert result.changes[0].after == Decimal("12.5")
    assert _actuals() == before


@pytest.mark.parametrize(
    "row, column, message",
    [
        (("X9999", "", "销售额", "", 3), "employee_no", "Unknown employee number"),
        (("@head_rnd", "", "销售额", "", 3), "employee_no", "no scorecard"),
        (("@emp_prod", "", "次品率", "", 3), "employee_no", "outside your scope"),
        (("@emp_east", "", "利润", "", 3), "indicator", "not on the employee"),
        (("@emp_east", "", "新客户数", "", 3), "indicator", "fed by a metric"),
        (("@emp_east", "", "团队合作", "", 3), "indicator", "rated in the evaluation"),
        (("@emp_east", "", "销售额", "", "abc"), "actual", "Not a number"),
        (("@emp_east", "", "销售额", "", "1e20"), "actual", "too large"),
        (("", "", "销售额", "", 3), "employee_no", "required"),
        (("@emp_east", "", "", "", 3), "indicator", "required"),
    ],
)
def test_every_row_error_and_nothing_written(pw, row, column, message):
    if row[0].startswith("@"):
        row = (no(pw, row[0][1:]), *row[1:])
    before = _actuals()
    good = (no(pw, "emp_east2"), "", "销售额", "", 9)
    result = check(pw, [good, row])
    assert not result.ok
    errors = [e for e in result.errors if e.row == 3]
    assert errors and errors[0].column == column and message in errors[0].message, errors
    assert _actuals() == before


def test_duplicate_rows(pw):
    rows = [(no(pw, "emp_east"), "", "销售额", "", 9), (no(pw, "emp_east"), "", "销售额", "", 8)]
    result = check(pw, rows)
    assert [e.row for e in result.errors] == [3] and "row 2" in result.errors[0].message


@pytest.mark.parametrize("status", [Plan.Status.ASSIGNING, Plan.Status.MANAGER_EVALUATION])
def test_plan_not_open_refuses_the_file(world, status):
    pw = build_plan_world(world, plan_status=status)
    result = check(pw, [(no(pw, "emp_east"), "", "销售额", "", 9)])
    assert not result.ok and result.errors[0].row == 0


def test_blank_actuals_are_skipped_and_bad_files_refused(pw):
    result = check(pw, [(no(pw, "emp_east"), "", "销售额", 10, None)])
    assert result.skipped == 1 and not result.changes
    with pytest.raises(excel.ExcelError):
        imports.actuals_check(
            actor=pw.users["head_east"], plan=pw.plan, filename="a.csv", data=b"x"
        )
    bad_header = workbook([("a", "b")], header=["foo", "bar"])
    result = imports.actuals_check(
        actor=pw.users["head_east"], plan=pw.plan, filename="a.xlsx", data=bad_header
    )
    assert not result.ok and all(e.row == 1 for e in result.errors)


def test_importers_only(pw):
    for key in ("emp_east", "vp1", "hrvp"):
        with pytest.raises(PermissionDenied):
            check(pw, [(no(pw, "emp_east"), "", "销售额", "", 9)], actor=key)


# --- commit -------------------------------------------------------------------------------------


def _dry(pw, rows, actor="head_east"):
    result = check(pw, rows, actor=actor)
    assert result.ok, result.errors
    payload = imports.payload_sign(
        actor=pw.users[actor], plan=pw.plan, filename="a.xlsx", check=result
    )
    return payload


def test_commit_writes_all_rows_versioned_and_audited(pw):
    rows = [
        (no(pw, "emp_east"), "", "销售额", "", 12),
        (no(pw, "emp_east2"), "", "销售额", "", 7.5),
    ]
    payload = _dry(pw, rows)
    audit_before = AuditLog.objects.count()
    count = imports.actuals_commit(actor=pw.users["head_east"], plan=pw.plan, payload=payload)
    assert count == 2
    item = ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk)
    assert item.actual == Decimal("12") and item.actual_source == "import"
    assert item.version == pw.items[("emp_east", "sales")].version + 1
    assert item.actual_trace == {"import": {"file": "a.xlsx", "row": 2}}
    new = AuditLog.objects.filter(pk__gt=0).order_by("-pk")[
        : AuditLog.objects.count() - audit_before
    ]
    assert {(e.action, e.object_id) for e in new} >= {
        ("update", str(item.pk)),
        ("event", str(pw.plan.pk)),
    }
    # replaying the same payload conflicts: the versions moved on
    with pytest.raises(ConflictError):
        imports.actuals_commit(actor=pw.users["head_east"], plan=pw.plan, payload=payload)


def _refused(pw, payload, actor="head_east", error=ValidationError):
    before = _actuals()
    audit_before = AuditLog.objects.count()
    with pytest.raises(error):
        imports.actuals_commit(actor=pw.users[actor], plan=pw.plan, payload=payload)
    assert _actuals() == before and AuditLog.objects.count() == audit_before


def test_tampered_payload_is_refused(pw):
    payload = _dry(pw, [(no(pw, "emp_east"), "", "销售额", "", 12)])
    _refused(pw, payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB"))
    forged = signing.dumps(
        {"plan": pw.plan.pk, "user": pw.users["head_east"].pk, "rows": [], "versions": {}},
        salt="another purpose",
    )
    _refused(pw, forged)


def test_stale_payload_is_refused(pw, monkeypatch):
    payload = _dry(pw, [(no(pw, "emp_east"), "", "销售额", "", 12)])
    monkeypatch.setattr(imports, "PAYLOAD_MAX_AGE", -1)
    _refused(pw, payload)


def test_another_users_payload_is_refused(pw):
    payload = _dry(pw, [(no(pw, "emp_east"), "", "销售额", "", 12)], actor="perf")
    _refused(pw, payload, actor="head_east")


def test_commit_revalidates_scope_and_plan_all_or_nothing(pw):
    payload = _dry(
        pw,
        [(no(pw, "emp_east"), "", "销售额", "", 12), (no(pw, "emp_prod"), "", "次品率", "", 1)],
        actor="perf",
    )
    # the plan moved on after the dry run: nothing is written
    Plan.objects.filter(pk=pw.plan.pk).update(status=Plan.Status.MANAGER_EVALUATION)
    pw.plan.refresh_from_db()
    _refused(pw, payload, actor="perf")


def test_out_of_scope_rows_in_a_forged_payload_are_refused(pw):
    """A head cannot smuggle another department's row in a payload (signed for them)."""
    rows = [[2, no(pw, "emp_east"), "销售额", "12"], [3, no(pw, "emp_prod"), "次品率", "1"]]
    payload = signing.dumps(
        {
            "plan": pw.plan.pk,
            "user": pw.users["head_east"].pk,
            "file": "x",
            "rows": rows,
            "versions": {},
        },
        salt=imports.PAYLOAD_SALT,
        compress=True,
    )
    _refused(pw, payload)


def test_item_changed_since_the_dry_run_conflicts(pw):
    payload = _dry(pw, [(no(pw, "emp_east"), "", "销售额", "", 12)])
    item = pw.items[("emp_east", "sales")]
    ScorecardItem.objects.filter(pk=item.pk).update(version=item.version + 1)
    _refused(pw, payload, error=ConflictError)


def test_dry_run_queries_are_constant(pw):
    def count(rows):
        user = pw.users["perf"]
        check(pw, rows[:1], actor="perf")  # warm the scope
        data = workbook(rows)
        with CaptureQueriesContext(connection) as ctx:
            imports.actuals_check(actor=user, plan=pw.plan, filename="a.xlsx", data=data)
        return len(ctx.captured_queries)

    one = [(no(pw, "emp_east"), "", "销售额", "", 1)]
    many = [
        *one,
        (no(pw, "emp_east2"), "", "销售额", "", 2),
        (no(pw, "emp_prod"), "", "次品率", "", 3),
        ("X1", "", "销售额", "", 3),
    ]
    assert count(one) == count(many)
