"""Small input/output serializers of the organisation API, one set per operation.

Input serializers are strict: a field that is not on the operation's allow-list (status,
company, user, id, version where not accepted, …) is rejected with a 400 field error rather than
silently ignored, so a client never believes it changed something it did not.
Related ids (department, position, manager) resolve only inside the caller's access scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from renshi.core import access

from ..models import Department, Employee, Position
from ..permissions import can_view_sensitive

# --- output -----------------------------------------------------------------------------------


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PositionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    grade = serializers.CharField()


class EmployeeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class DepartmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    head = EmployeeRefSerializer(allow_null=True)
    sort_order = serializers.IntegerField()
    version = serializers.IntegerField()


class PositionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    grade = serializers.CharField()
    job_family = serializers.CharField()


class EmployeeListOutputSerializer(serializers.Serializer):
    """A directory row. National ID and bank account are never part of lists."""

    id = serializers.IntegerField()
    employee_no = serializers.CharField()
    name = serializers.CharField()
    department = DepartmentRefSerializer()
    position = PositionRefSerializer(allow_null=True)
    manager = EmployeeRefSerializer(allow_null=True)
    hire_date = serializers.DateField()
    probation_end = serializers.DateField(allow_null=True)
    leave_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Employee.Status.choices)
    email = serializers.EmailField()
    phone = serializers.CharField()
    version = serializers.IntegerField()


class EmployeeDetailOutputSerializer(EmployeeListOutputSerializer):
    """One employee. National ID and bank account are in clear only for callers who may see
    them (``can_view_sensitive``: the HR VP and the person); everyone else gets them masked."""

    national_id = serializers.SerializerMethodField()
    bank_account = serializers.SerializerMethodField()
    sensitive_visible = serializers.SerializerMethodField()

    def _may_see(self, employee: Employee) -> bool:
        user = self.context["request"].user
        return can_view_sensitive(user, employee)

    def get_national_id(self, employee: Employee) -> str:
        return employee.national_id if self._may_see(employee) else employee.national_id_masked

    def get_bank_account(self, employee: Employee) -> str:
        return employee.bank_account if self._may_see(employee) else employee.bank_account_masked

    def get_sensitive_visible(self, employee: Employee) -> bool:
        return self._may_see(employee)


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class MeScopeSerializer(serializers.Serializer):
    company = CompanyRefSerializer(allow_null=True)
    company_wide = serializers.BooleanField()
    department_ids = serializers.ListField(child=serializers.IntegerField())
    headed_department_ids = serializers.ListField(child=serializers.IntegerField())
    supervised_department_ids = serializers.ListField(child=serializers.IntegerField())


class MeOutputSerializer(serializers.Serializer):
    user = MeUserSerializer()
    employee = EmployeeListOutputSerializer(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    scope = MeScopeSerializer()


# --- input ------------------------------------------------------------------------------------


class StrictInputSerializer(serializers.Serializer):
    """Rejects every key that is not a declared field (mass-assignment guard)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be written.")] for name in unknown}
                )
        return super().to_internal_value(data)


class _EmployeeWriteFields(StrictInputSerializer):
    """Fields HR may write. company, user, status, version and id are not among them."""

    name = serializers.CharField(max_length=100)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.none())
    position = serializers.PrimaryKeyRelatedField(
        queryset=Position.objects.none(), allow_null=True, required=False
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.none(), allow_null=True, required=False
    )
    hire_date = serializers.DateField()
    probation_end = serializers.DateField(allow_null=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)
    phone = serializers.CharField(allow_blank=True, required=False, max_length=20)
    national_id = serializers.CharField(allow_blank=True, required=False, max_length=18)
    bank_account = serializers.CharField(allow_blank=True, required=False, max_length=19)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation: no caller, nothing resolves
            return
        user = request.user
        # ids in bodies resolve only inside the caller's company and scope
        self.fields["department"].queryset = access.restrict(Department.objects.all(), user)
        self.fields["position"].queryset = access.restrict(Position.objects.all(), user)
        self.fields["manager"].queryset = access.restrict(Employee.objects.all(), user)


class EmployeeCreateInputSerializer(_EmployeeWriteFields):
    employee_no = serializers.CharField(max_length=32)


class EmployeeUpdateInputSerializer(_EmployeeWriteFields):
    """PATCH: every field optional; ``version`` is the version the client read (or If-Match)."""

    version = serializers.IntegerField(min_value=1, required=False)
