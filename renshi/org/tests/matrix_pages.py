"""Permission-matrix rows of the organisation pages (renshi/org/views.py).

Reading the rows: emp_east is in sales_east (vp1's subtree, head head_east); emp_prod is in
production (vp2's). other_gm is the GM of another company: everything of acme is 404 for them.
"""

from __future__ import annotations

from renshi.core.models import AuditLog
from renshi.org.models import Department, Employee, Role, RoleAssignment
from tests.matrix_support import Row, expect

ALL_OK = expect(200, anon=302)


def _dept(key):
    return lambda w: {"pk": w.departments[key].pk}


def _emp(key):
    return lambda w: {"pk": w.employees[key].pk}


def _department_state(key):
    def state(w):
        d = Department.objects.get(pk=w.departments[key].pk)
        return (d.name, d.code, d.version, d.head_id, d.parent_id)

    return state


def _employee_state(key):
    def state(w):
        e = Employee.objects.get(pk=w.employees[key].pk)
        return (e.name, e.department_id, e.status, e.version, e.history.count())

    return state


def _emp_east_post(w):
    e = w.employees["emp_east"]
    return {
        "employee_no": e.employee_no,
        "name": "郑员工-改",
        "department": e.department_id,
        "position": e.position_id or "",
        "manager": w.employees["head_east"].employee_no,
        "hire_date": "2024-01-01",
        "status": "regular",
        "email": e.email,
        "phone": e.phone,
        "version": e.version,
    }


def _new_employee_post(w):
    return {
        "employee_no": "N0001",
        "name": "新同事",
        "department": w.departments["sales_east"].pk,
        "position": w.position.pk,
        "manager": w.employees["head_east"].employee_no,
        "hire_date": "2025-03-01",
        "status": "probation",
    }


def _sensitive_views(w):
    return AuditLog.objects.filter(message="viewed sensitive fields").count()


def _roles_of(key):
    return lambda w: sorted(
        RoleAssignment.objects.filter(employee=w.employees[key]).values_list("role", flat=True)
    )


def _vp1_assignment(w):
    return {
        "pk": RoleAssignment.objects.get(employee=w.employees["vp1"], role=Role.VICE_PRESIDENT).pk
    }


def _vp1_assignment_exists(w):
    return RoleAssignment.objects.filter(employee=w.employees["vp1"]).exists()


# who sees sales (vp1's subtree root) and sales_east
SALES_VIEW = expect(404, anon=302, gm=200, hrvp=200, perf=200, vp1=200, head_sales=200)
SALES_EAST_VIEW = expect(
    404,
    anon=302,
    gm=200,
    hrvp=200,
    perf=200,
    vp1=200,
    head_sales=200,
    head_east=200,
    emp_east=200,
)
EMP_EAST_VIEW = SALES_EAST_VIEW
# other_gm is a GM too, of their own company
ROLE_ADMINS_ONLY = expect(403, anon=302, gm=200, hrvp=200, other_gm=200)
HR_ONLY = expect(403, anon=302, hrvp=200)

ROWS = [
    Row("home", ALL_OK),
    Row("org:chart", ALL_OK),
    Row("org:employee_list", ALL_OK),
    Row("org:employee_list", ALL_OK, query="?q=T00&department=2&sub=on&status=active&order=-name"),
    Row("org:me", expect(302)),
    # departments
    Row("org:department_detail", SALES_VIEW, kwargs=_dept("sales")),
    Row("org:department_detail", SALES_EAST_VIEW, kwargs=_dept("sales_east")),
    Row("org:department_create", ROLE_ADMINS_ONLY),
    Row(
        "org:department_create",
        expect(403, anon=302, gm=302, hrvp=302, other_gm=302),
        method="POST",
        data=lambda w: {"name": "新部门", "code": "new_dept", "sort_order": 0},
        state=lambda w: Department.objects.filter(company=w.company).count(),
    ),
    Row(
        "org:department_edit",
        expect(404, anon=302, gm=200, hrvp=200, perf=403, vp1=403, head_sales=403),
        kwargs=_dept("sales"),
    ),
    Row(
        "org:department_edit",
        expect(404, anon=302, gm=302, hrvp=302, perf=403, vp1=403, head_sales=403),
        kwargs=_dept("sales"),
        method="POST",
        data=lambda w: {
            "name": "销售中心",
            "code": "sales",
            "parent": w.departments["exec"].pk,
            "head": w.employees["head_sales"].employee_no,
            "sort_order": 0,
            "version": w.departments["sales"].version,
        },
        state=_department_state("sales"),
    ),
    Row("org:department_changes", SALES_VIEW, kwargs=_dept("sales")),
    Row(
        "org:department_changes",
        # emp_east sees their own department's card but reads no change logs
        {**SALES_EAST_VIEW, "emp_east": 403},
        kwargs=_dept("sales_east"),
    ),
    # employees
    Row("org:employee_detail", EMP_EAST_VIEW, kwargs=_emp("emp_east")),
    Row(
        "org:employee_detail",
        # reveal: HR records the view; the person may POST too (sees their own data, no
        # record); visible-but-not-HR is 403; out of scope 404
        expect(
            404,
            anon=302,
            gm=403,
            hrvp=200,
            perf=403,
            vp1=403,
            head_sales=403,
            head_east=403,
            emp_east=200,
        ),
        kwargs=_emp("emp_east"),
        method="POST",
        data=lambda w: {"reveal": "1"},
        state=_sensitive_views,
    ),
    Row("org:employee_create", HR_ONLY),
    Row(
        "org:employee_create",
        expect(403, anon=302, hrvp=302),
        method="POST",
        data=_new_employee_post,
        state=lambda w: Employee.objects.count(),
    ),
    Row(
        "org:employee_edit",
        expect(403, anon=302, hrvp=200, vp2=404, emp_prod=404, other_gm=404),
        kwargs=_emp("emp_east"),
    ),
    Row(
        "org:employee_edit",
        expect(403, anon=302, hrvp=302, vp2=404, emp_prod=404, other_gm=404),
        kwargs=_emp("emp_east"),
        method="POST",
        data=_emp_east_post,
        state=_employee_state("emp_east"),
    ),
    Row("org:employee_changes", {**EMP_EAST_VIEW, "emp_east": 403}, kwargs=_emp("emp_east")),
    # roles
    Row("org:role_list", ROLE_ADMINS_ONLY),
    Row("org:role_assign", ROLE_ADMINS_ONLY),
    Row(
        "org:role_assign",
        # other_gm may assign roles in their own company only: emp_east is "not found" there
        expect(403, anon=302, gm=302, hrvp=302, other_gm=422),
        method="POST",
        data=lambda w: {
            "employee": w.employees["emp_east"].employee_no,
            "role": Role.PERFORMANCE_MANAGER,
        },
        state=_roles_of("emp_east"),
    ),
    Row(
        "org:role_revoke",
        expect(403, anon=302, gm=200, hrvp=200, other_gm=404),
        kwargs=_vp1_assignment,
    ),
    Row(
        "org:role_revoke",
        expect(403, anon=302, gm=302, hrvp=302, other_gm=404),
        kwargs=_vp1_assignment,
        method="POST",
        state=_vp1_assignment_exists,
    ),
]
