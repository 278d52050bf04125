"""Forms of the organisation pages. Every choice comes from the access layer; the fields are an
allow-list (company, version and role scope are never taken from the request as data)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from renshi.core import access

from .models import Department, Employee, Position, Role
from .permissions import grantable_roles
from .selectors import DEFAULT_ORDERING

# --- helpers --------------------------------------------------------------------------------


class BootstrapMixin:
    """Adds Bootstrap classes to the widgets (no template tag library needed)."""

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: per field where the form has the field,
    otherwise as a form-wide error."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields and name != NON_FIELD_ERRORS else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class EmployeeNumberField(forms.ModelChoiceField):
    """Picks an employee by employee number from a restricted queryset.

    A text box instead of a <select>: a company of 10,000 people would otherwise send 10,000
    options with every form. Numbers outside the user's scope are "not found"."""

    default_error_messages = {
        "invalid_choice": _("No employee with this number is visible to you."),
    }

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(queryset, to_field_name="employee_no", **kwargs)


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name} ({obj.code})"


# --- employee directory filters -------------------------------------------------------------


class EmployeeFilterForm(BootstrapMixin, forms.Form):
    """The directory's query parameters (also honoured by the Excel export)."""

    ORDER_CHOICES = [
        ("employee_no", _("Employee number")),
        ("-employee_no", _("Employee number (descending)")),
        ("name", _("Name")),
        ("-name", _("Name (descending)")),
        ("department", _("Department")),
        ("hire_date", _("Hire date")),
        ("-hire_date", _("Hire date (newest first)")),
        ("status", _("Status")),
    ]
    STATUS_CHOICES = [
        ("", _("All statuses")),
        ("active", _("Active (not left)")),
        *Employee.Status.choices,
    ]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, employee number, email or phone")}),
    )
    department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    sub = forms.BooleanField(label=_("Include sub-departments"), required=False)
    position = forms.ModelChoiceField(
        label=_("Position"),
        queryset=Position.objects.none(),
        required=False,
        empty_label=_("All positions"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    order = forms.ChoiceField(
        label=_("Order by"), choices=ORDER_CHOICES, required=False, initial=DEFAULT_ORDERING
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.restrict(Department, user, access.VIEW)
        self.fields["position"].queryset = access.restrict(Position, user, access.VIEW)
        self._style()


# --- departments ------------------------------------------------------------------------------


class DepartmentForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=50)
    parent = DepartmentChoiceField(
        label=_("Parent department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("(top level)"),
    )
    head = EmployeeNumberField(
        label=_("Head (employee number)"), queryset=Employee.objects.none(), required=False
    )
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, user: Any, department: Department | None = None, **kwargs: Any
    ) -> None:
        if department is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": department.name,
                "code": department.code,
                "parent": department.parent_id,
                "head": department.head,
                "sort_order": department.sort_order,
                "version": department.version,
            }
        super().__init__(*args, **kwargs)
        parents = access.restrict(Department, user, access.VIEW)
        if department is not None:
            parents = parents.exclude(pk=department.pk)
        else:
            del self.fields["version"]
        self.fields["parent"].queryset = parents
        self.fields["head"].queryset = access.restrict(Employee, user, access.VIEW).exclude(
            status=Employee.Status.LEFT
        )
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


# --- employees --------------------------------------------------------------------------------


class EmployeeForm(BootstrapMixin, forms.Form):
    """HR's employee form. On edit, national ID and bank account are never sent to the browser:
    left empty they stay as they are."""

    employee_no = forms.CharField(label=_("Employee number"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none())
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=Position.objects.none(), required=False
    )
    manager = EmployeeNumberField(
        label=_("Direct manager (employee number)"),
        queryset=Employee.objects.none(),
        required=False,
    )
    hire_date = forms.DateField(label=_("Hire date"), widget=DateInput)
    probation_end = forms.DateField(label=_("Probation end"), widget=DateInput, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Employee.Status.choices)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    national_id = forms.CharField(label=_("National ID"), max_length=18, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=32, required=False)
    effective_date = forms.DateField(
        label=_("Effective date of a move"),
        widget=DateInput,
        required=False,
        help_text=_("For a change of department, position, manager or status; default today."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    SENSITIVE = ("national_id", "bank_account")

    def __init__(
        self, *args: Any, user: Any, employee: Employee | None = None, **kwargs: Any
    ) -> None:
        self.employee = employee
        if employee is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "employee_no": employee.employee_no,
                "name": employee.name,
                "department": employee.department_id,
                "position": employee.position_id,
                "manager": employee.manager,
                "hire_date": employee.hire_date,
                "probation_end": employee.probation_end,
                "status": employee.status,
                "email": employee.email,
                "phone": employee.phone,
                "version": employee.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.restrict(Department, user, access.VIEW)
        self.fields["position"].queryset = access.restrict(Position, user, access.VIEW)
        managers = access.restrict(Employee, user, access.VIEW).exclude(status=Employee.Status.LEFT)
        if employee is None:
            del self.fields["effective_date"]
            del self.fields["version"]
            self.fields["status"].initial = Employee.Status.PROBATION
        else:
            managers = managers.exclude(pk=employee.pk)
            for name in self.SENSITIVE:
                self.fields[name].help_text = _("Leave empty to keep the stored value.")
                self.fields[name].widget.attrs["placeholder"] = getattr(employee, f"{name}_masked")
        self.fields["manager"].queryset = managers
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("effective_date", None)
        if self.employee is not None:
            for name in self.SENSITIVE:
                if not data.get(name):
                    data.pop(name, None)
        return data


# --- roles ------------------------------------------------------------------------------------


class RoleAssignForm(BootstrapMixin, forms.Form):
    employee = EmployeeNumberField(
        label=_("Employee (employee number)"), queryset=Employee.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=())
    departments = forms.ModelMultipleChoiceField(
        label=_("Supervised departments (vice president only)"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        labels = dict(Role.choices)
        self.fields["role"].choices = [(r, labels[r]) for r in grantable_roles(user)]
        self.fields["employee"].queryset = access.restrict(Employee, user, access.VIEW).exclude(
            status=Employee.Status.LEFT
        )
        self.fields["departments"].queryset = access.restrict(Department, user, access.VIEW)
        self._style()

    def clean_employee(self) -> Employee:
        employee = self.cleaned_data["employee"]
        if employee is not None and getattr(employee, "user_id", None) == self.user.pk:
            raise ValidationError(_("Nobody can change their own roles."), code="self")
        return employee


class PositionForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Job title"), max_length=200)
    grade = forms.CharField(label=_("Grade"), max_length=20, required=False)
    job_family = forms.CharField(label=_("Job family"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
