"""The access layer's four relations: own report, other department, another VP's department,
another company — for every role, on employees and departments."""

import pytest
from django.http import Http404

from renshi.core import access
from renshi.org.models import Department, Employee
from renshi.org.scope import get_scope

pytestmark = pytest.mark.django_db


def visible_employees(world, key):
    return set(access.restrict(Employee, world.users[key]).values_list("employee_no", flat=True))


def names(world, *keys):
    return {world.employees[k].employee_no for k in keys}


ACME = [
    "gm",
    "hrvp",
    "perf",
    "vp1",
    "vp2",
    "head_sales",
    "head_east",
    "emp_east",
    "emp_east2",
    "head_prod",
    "emp_prod",
    "head_rnd",
]


@pytest.mark.parametrize("role", ["gm", "hrvp", "perf"])
def test_company_wide_roles_see_their_whole_company_and_nothing_else(world, role):
    assert visible_employees(world, role) == names(world, *ACME)


def test_vp_sees_only_supervised_departments_with_subtrees(world):
    # vp1 supervises sales (and so sales_east); not production/rnd (vp2), not exec
    assert visible_employees(world, "vp1") == names(
        world, "vp1", "head_sales", "head_east", "emp_east", "emp_east2"
    )
    assert visible_employees(world, "vp2") == names(
        world, "vp2", "head_prod", "emp_prod", "head_rnd"
    )


def test_vp_scope_is_not_anyone_who_manages_somebody(world):
    # vp1 is recorded as manager of head_sales only; managing someone grants nothing by itself:
    # emp_prod's manager chain does not pass vp1, and exec people report to gm.
    scope = get_scope(world.users["vp1"])
    assert world.production.pk not in scope.department_ids
    assert world.exec.pk not in scope.department_ids


def test_department_head_sees_own_subtree(world):
    assert visible_employees(world, "head_sales") == names(
        world, "head_sales", "head_east", "emp_east", "emp_east2"
    )
    assert visible_employees(world, "head_east") == names(
        world, "head_east", "emp_east", "emp_east2"
    )


def test_employee_sees_only_themselves(world):
    assert visible_employees(world, "emp_east") == names(world, "emp_east")


def test_other_company_is_invisible_even_to_its_peer_role(world):
    assert visible_employees(world, "other_gm") == names(world, "other_gm", "other_emp")
    with pytest.raises(Http404):
        access.get_object_or_404(Employee, world.users["gm"], pk=world.other_emp.pk)


@pytest.mark.parametrize(
    ("role", "target", "visible"),
    [
        ("head_east", "emp_east", True),  # own report
        ("head_east", "emp_prod", False),  # other department
        ("vp1", "emp_prod", False),  # department of another VP
        ("vp1", "other_emp", False),  # another company
        ("emp_east", "emp_east2", False),  # colleague
        ("emp_east", "head_east", False),  # own manager's record is not theirs to browse
    ],
)
def test_four_relations(world, role, target, visible):
    user = world.users[role]
    assert access.can(user, access.VIEW, world.employees[target]) is visible


def test_departments_visible_by_scope(world):
    def depts(key):
        return set(access.restrict(Department, world.users[key]).values_list("code", flat=True))

    assert depts("gm") == {"exec", "sales", "sales_east", "production", "rnd"}
    assert depts("vp1") == {"exec", "sales", "sales_east"}  # own department card + supervised
    assert depts("emp_prod") == {"production"}
    assert depts("other_gm") == {"other_dept"}


def test_only_hr_may_change_employees(world):
    target = world.emp_east
    assert access.can(world.users["hrvp"], access.CHANGE, target)
    for role in ["gm", "perf", "vp1", "head_east", "emp_east"]:
        assert not access.can(world.users[role], access.CHANGE, target), role


def test_superuser_without_employee_has_no_business_scope(db, world, django_user_model):
    admin = django_user_model.objects.create_superuser("ops", "ops@example.com", "x-Very-long-1")
    assert access.restrict(Employee, admin).count() == 0


def test_left_employee_has_no_scope(world):
    from renshi.org.services import employee_update

    emp = world.head_east
    employee_update(actor=world.users["hrvp"], employee=emp, version=emp.version, status="left")
    user = world.users["head_east"]
    user.refresh_from_db()
    assert not user.is_active
    assert access.restrict(Employee, user).count() == 0


def test_scope_query_count_is_constant(world, django_assert_max_num_queries):
    user = world.users["vp2"]
    with django_assert_max_num_queries(4):
        get_scope(user)


class _KeyPrincipal:
    """What renshi.api.authentication hands to the access layer for an integration key."""

    is_authenticated = True
    pk = None

    def __init__(self, company_id, scopes):
        self.api_key = type("Key", (), {"company_id": company_id, "scopes": scopes})()


@pytest.mark.parametrize("scopes", [[], ["metrics.write"]])
def test_api_key_without_org_read_sees_nothing(world, scopes):
    principal = _KeyPrincipal(world.company.pk, scopes)
    for model in (Employee, Department):
        assert access.restrict(model, principal).count() == 0
    assert not access.has_perm(principal, "org.view_directory")


def test_api_key_reads_its_company_only_and_never_writes(world):
    principal = _KeyPrincipal(world.company.pk, ["org.read"])
    assert access.restrict(Employee, principal).count() == len(ACME)
    assert access.restrict(Employee, principal, access.CHANGE).count() == 0
    assert access.restrict(Department, principal, access.CHANGE).count() == 0
    assert not access.restrict(Employee, principal).filter(pk=world.other_emp.pk).exists()
    for perm in (
        "org.manage_employees",
        "org.import_employees",
        "org.export_employees",
        "org.assign_roles",
        "api.manage_keys",
    ):
        assert not access.has_perm(principal, perm), perm
