"""The change log: every create/update/delete is recorded with actor, IP, request id and
before → after; sensitive values never land in it; rows cannot be changed or deleted."""

import pytest
from django.contrib.contenttypes.models import ContentType

from renshi.core.audit import audit_bulk, snapshot
from renshi.core.context import actor_context
from renshi.core.models import AuditLog
from renshi.org.models import Employee
from renshi.org.services import employee_update

pytestmark = pytest.mark.django_db


def entries_for(obj):
    ct = ContentType.objects.get_for_model(obj)
    return AuditLog.objects.filter(content_type=ct, object_id=str(obj.pk))


def test_update_records_actor_ip_and_before_after(world):
    emp = world.emp_east
    hrvp = world.users["hrvp"]
    with actor_context(actor=hrvp, channel="web", ip="10.1.2.3"):
        employee_update(actor=hrvp, employee=emp, version=emp.version, phone="13912345678")
    entry = entries_for(emp).filter(action=AuditLog.Action.UPDATE).first()
    assert entry.actor == hrvp
    assert entry.ip == "10.1.2.3"
    assert entry.channel == "web"
    assert entry.request_id
    assert entry.company_id == world.company.pk
    assert entry.changes["phone"] == {"before": emp.phone, "after": "13912345678"}
    assert "version" not in entry.changes


def test_sensitive_values_never_copied_into_the_log(world):
    emp = world.emp_east
    old_id = emp.national_id
    hrvp = world.users["hrvp"]
    employee_update(actor=hrvp, employee=emp, version=emp.version, bank_account="6222020000009999")
    entry = entries_for(emp).filter(action=AuditLog.Action.UPDATE).first()
    assert entry.changes["bank_account"]["after"] == "••••"
    dumped = str(list(AuditLog.objects.values_list("changes", flat=True)))
    assert "6222020000009999" not in dumped
    assert old_id not in dumped


def test_request_through_the_web_is_attributed(world, client_for):
    """The middleware supplies actor, client IP and request id to rows written in a request."""
    from renshi.org.testing import TEST_PASSWORD

    client = client_for("emp_east")
    response = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "A-much-longer-pass-77",
            "new_password2": "A-much-longer-pass-77",
        },
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302
    user = world.users["emp_east"]
    entry = AuditLog.objects.get(message="password changed", object_id=str(user.pk))
    assert entry.actor == user
    assert entry.ip == "192.0.2.7"
    assert entry.request_id == response["X-Request-ID"]
    assert entry.channel == "web"


def test_create_and_delete_are_logged(world):
    from renshi.org.models import Position

    pos = Position.objects.create(company=world.company, title="Tester", grade="P2")
    assert entries_for(pos).get().action == AuditLog.Action.CREATE
    pk = pos.pk
    pos.delete()
    ct = ContentType.objects.get_for_model(Position)
    assert AuditLog.objects.filter(
        content_type=ct, object_id=str(pk), action=AuditLog.Action.DELETE
    ).exists()


def test_m2m_changes_are_logged(world):
    from renshi.org.models import RoleAssignment
    from renshi.org.services import role_assign

    role_assign(
        actor=world.users["gm"],
        employee=world.vp1,
        role="vp",
        departments=[world.sales, world.production],
    )
    assignment = RoleAssignment.objects.get(employee=world.vp1, role="vp")
    entry = entries_for(assignment).filter(action=AuditLog.Action.UPDATE).first()
    assert entry.changes == {"departments": {"added": [world.production.pk]}}


def test_no_entry_when_nothing_changed(world):
    emp = Employee.objects.get(pk=world.emp_east.pk)
    before = AuditLog.objects.count()
    emp.save()
    assert AuditLog.objects.count() == before


def test_rows_are_append_only(world):
    entry = AuditLog.objects.first()
    entry.message = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_bulk_helper_logs_each_row(world):
    emps = list(Employee.objects.filter(company=world.company)[:3])
    befores = {e.pk: snapshot(e) for e in emps}
    for e in emps:
        e.email = f"bulk{e.pk}@example.com"
    Employee.objects.bulk_update(emps, ["email"])
    assert audit_bulk(emps, action=AuditLog.Action.UPDATE, befores=befores) == 3


def test_integration_key_is_named_as_the_actor(world):
    from renshi.org.models import Position

    principal = type("P", (), {"pk": None, "api_key": "CRM sync (rk_ab12)"})()
    with actor_context(actor=principal, channel="api"):
        pos = Position.objects.create(company=world.company, title="Integrator")
    entry = entries_for(pos).get()
    assert entry.actor is None
    assert entry.actor_repr == "api-key:CRM sync (rk_ab12)"
