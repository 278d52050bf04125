"""Organisation: company, department tree, positions, employees, roles, employee history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.fields import EncryptedTextField, mask
from renshi.core.models import AuditedModel, TimeStampedModel, VersionedModel


class Company(AuditedModel, TimeStampedModel):
    """A tenant. Every organisation row belongs to exactly one company; scopes never cross it."""

    audit_company_field = "pk"

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=50, unique=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Department(AuditedModel, VersionedModel):
    """A node of the department tree. ``head`` makes that employee the department's manager."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="departments", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=50)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent department"),
    )
    head = models.ForeignKey(
        "Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
        verbose_name=_("head"),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="org_department_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:department_detail", kwargs={"pk": self.pk})


class Position(AuditedModel, TimeStampedModel):
    """A job: title, grade and job family (e.g. 'Sales representative', P3, Sales)."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="positions", verbose_name=_("company")
    )
    title = models.CharField(_("job title"), max_length=200)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    job_family = models.CharField(_("job family"), max_length=100, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["job_family", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "title", "grade"], name="org_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.grade})" if self.grade else self.title


class Employee(AuditedModel, VersionedModel):
    """A person employed by the company, optionally linked to a login user."""

    class Status(models.TextChoices):
        PROBATION = "probation", _("On probation")
        REGULAR = "regular", _("Regular")
        LEFT = "left", _("Left")

    audit_sensitive = ("national_id", "bank_account")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="employees", verbose_name=_("company")
    )
    employee_no = models.CharField(_("employee number"), max_length=32)
    name = models.CharField(_("full name"), max_length=100)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="employees", verbose_name=_("department")
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("position"),
    )
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
        verbose_name=_("direct manager"),
    )
    hire_date = models.DateField(_("hire date"))
    probation_end = models.DateField(_("probation end"), null=True, blank=True)
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROBATION, db_index=True
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    national_id = EncryptedTextField(_("national ID"), blank=True)
    bank_account = EncryptedTextField(_("bank account"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        verbose_name=_("login user"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["employee_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "employee_no"], name="org_employee_no_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "department", "status"]),
            models.Index(fields=["company", "name"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    def get_absolute_url(self) -> str:
        return reverse("org:employee_detail", kwargs={"pk": self.pk})

    @property
    def national_id_masked(self) -> str:
        return mask(self.national_id, keep_start=4, keep_end=4)

    @property
    def bank_account_masked(self) -> str:
        return mask(self.bank_account, keep_start=0, keep_end=4)


class Role(models.TextChoices):
    """Business roles held through RoleAssignment. Department manager is derived from
    Department.head and employee from having an Employee record; neither is assigned."""

    GENERAL_MANAGER = "gm", _("General manager")
    VICE_PRESIDENT = "vp", _("Vice president")
    HR_VP = "hr_vp", _("HR vice president")
    PERFORMANCE_MANAGER = "perf", _("Performance manager")


class RoleAssignment(AuditedModel, TimeStampedModel):
    """An employee holds a role; a vice president's scope is the departments listed here."""

    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        verbose_name=_("company"),
    )
    employee = models.ForeignKey(
        Employee,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("employee"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="supervisors", verbose_name=_("supervised departments")
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["role", "employee__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "role"], name="org_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.employee.name}: {self.get_role_display()}"


class EmployeeHistory(models.Model):
    """A move: department, position or manager changed (who moved where, when, by whom).

    Business history written explicitly by the employee services; append-only like the audit
    log, but meant for people (shown on the employee page).
    """

    class Field(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        POSITION = "position", _("Position")
        MANAGER = "manager", _("Direct manager")
        STATUS = "status", _("Status")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="history", verbose_name=_("employee")
    )
    field = models.CharField(_("changed"), max_length=16, choices=Field.choices)
    old_value = models.CharField(_("from"), max_length=200, blank=True)
    new_value = models.CharField(_("to"), max_length=200, blank=True)
    old_id = models.BigIntegerField(null=True, blank=True)
    new_id = models.BigIntegerField(null=True, blank=True)
    effective_date = models.DateField(_("effective date"))
    changed_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee history")
        verbose_name_plural = _("employee history")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.field}: {self.old_value} → {self.new_value}"


class ImportBatch(AuditedModel):
    """An uploaded employee file waiting for its commit (web processes keep no state).

    The file is stored encrypted (it holds national IDs and bank accounts) and dropped once the
    batch is committed or failed; ``summary`` never holds sensitive values. Status only moves
    pending → committed | failed (``renshi.org.imports``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMMITTED = "committed", _("Committed")
        FAILED = "failed", _("Failed")

    audit_exclude = ("content", "summary", "created_at")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("validated rows (encrypted)"), blank=True, editable=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee import")
        verbose_name_plural = _("employee imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
