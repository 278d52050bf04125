"""HR issues logins and temporary passwords; a temporary password must be changed first."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token

from renshi.core.models import AuditLog
from renshi.org.models import Employee
from renshi.org.services import employee_create, employee_issue_login

pytestmark = pytest.mark.django_db


def _new_hire(world):
    return employee_create(
        actor=world.users["hrvp"],
        employee_no="N0100",
        name="新员工",
        department=world.sales_east,
        hire_date="2026-11-01",
        status=Employee.Status.PROBATION,
    )


def test_hr_creates_a_login_that_must_change_its_password(world):
    hire = _new_hire(world)
    user, password = employee_issue_login(
        actor=world.users["hrvp"], employee=hire, username="newbie"
    )
    assert user.must_change_password and user.check_password(password)
    assert len(password) == 12
    assert AuditLog.objects.filter(message="login created", object_id=str(hire.pk)).exists()
    assert password not in str(list(AuditLog.objects.values_list("changes", flat=True)))

    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "newbie", "password": password}).status_code
        == 302
    )
    # every page sends them to the password form; the API refuses them
    response = client.get("/org/employees/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert client.get("/api/v1/me/").status_code == 403
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "newbie", "password": password},
        content_type="application/json",
    )
    assert token.status_code == 403
    response = client.post(
        "/accounts/password/",
        {
            "old_password": password,
            "new_password1": "My-own-long-pass-31",
            "new_password2": "My-own-long-pass-31",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/org/employees/").status_code == 200


def test_reset_ends_sessions_and_tokens(world):
    target = world.users["emp_east"]
    Token.objects.create(user=target)
    client = Client()
    client.force_login(target)
    _, password = employee_issue_login(actor=world.users["hrvp"], employee=world.emp_east)
    target.refresh_from_db()
    assert target.check_password(password) and target.must_change_password
    assert not Token.objects.filter(user=target).exists()
    assert client.get("/org/employees/").status_code == 302  # session ended → login page


@pytest.mark.parametrize("role", ["gm", "vp1", "head_east", "perf"])
def test_only_hr_issues_logins(world, role):
    target = world.users["emp_east"]
    before = target.password
    with pytest.raises(PermissionDenied):
        employee_issue_login(actor=world.users[role], employee=world.emp_east)
    target.refresh_from_db()
    assert target.password == before


def test_not_for_oneself_nor_for_leavers_nor_taken_usernames(world):
    hrvp = world.users["hrvp"]
    with pytest.raises(PermissionDenied):
        employee_issue_login(actor=hrvp, employee=world.hrvp)
    hire = _new_hire(world)
    with pytest.raises(ValidationError):
        employee_issue_login(actor=hrvp, employee=hire, username="GM")  # case-insensitive clash
    with pytest.raises(ValidationError):
        employee_issue_login(actor=hrvp, employee=hire, username="")
    assert Employee.objects.get(pk=hire.pk).user_id is None


def test_page_shows_the_password_once_and_uncached(world, client_for):
    hire = _new_hire(world)
    response = client_for("hrvp").post(f"/org/employees/{hire.pk}/login/", {"username": "hire1"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'data-testid="temporary-password"' in response.content.decode()


def test_positions_page_counts_holders_with_constant_queries(
    world, client_for, django_assert_max_num_queries
):
    client = client_for("hrvp")
    with django_assert_max_num_queries(12):
        response = client.get("/org/positions/")
    assert response.status_code == 200
    assert "专员" in response.content.decode()
    response = client.post(
        "/org/positions/new/", {"title": "工程师", "grade": "P4", "job_family": "研发"}
    )
    assert response.status_code == 302
    assert world.company.positions.filter(title="工程师", grade="P4").exists()
