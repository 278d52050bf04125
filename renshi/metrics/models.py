"""Metrics: the catalogue, the data points business systems send, and how they arrive.

* ``Metric`` — a measure of one kind of subject (employee, department, company), aggregated
  over a period (sum, average, last value, max, min, or the ratio of two metrics).
* ``DataPoint`` — one value of one metric for one subject on one date from one source. The
  natural key (metric, subject, date, source) makes a resend replace instead of double count.
  ``subject_id`` is an Employee, Department or Company id according to ``subject_kind``
  (copied from the metric so scope filters need no join).
* ``IngestBatch`` — one arrival (an API request, an upload, a connector run, an attendance
  import): who sent it, counts, per-row errors; audited. Points link to the batch that last
  wrote them (lineage).
* ``Connector`` — a pull connector polling a business system's HTTP JSON endpoint.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.fields import EncryptedTextField
from renshi.core.models import AuditedModel, VersionedModel
from renshi.org.models import Company

metric_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$",
    _(
        "Use lower-case letters, digits and underscores, in dot-separated parts (crm.new_customers)."
    ),
)


class SubjectKind(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    DEPARTMENT = "department", _("Department")
    COMPANY = "company", _("Company")


class Metric(AuditedModel, VersionedModel):
    class Aggregation(models.TextChoices):
        SUM = "sum", _("Sum")
        AVG = "avg", _("Average")
        LAST = "last", _("Last value")
        MAX = "max", _("Maximum")
        MIN = "min", _("Minimum")
        RATIO = "ratio", _("Ratio of two metrics")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company")
    )
    key = models.CharField(_("key"), max_length=100, validators=[metric_key_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    subject_kind = models.CharField(
        _("subject"), max_length=16, choices=SubjectKind.choices, default=SubjectKind.EMPLOYEE
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=8, choices=Aggregation.choices, default=Aggregation.SUM
    )
    # for RATIO: value = aggregate(numerator) / aggregate(denominator) over the same period
    numerator = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("numerator"),
    )
    denominator = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("denominator"),
    )
    source = models.CharField(
        _("source system"), max_length=100, blank=True, help_text=_("e.g. CRM, ERP, attendance")
    )
    # Optional seasonal pace: 12 non-negative monthly weights (January first). Empty = the
    # expected-to-date follows working days evenly (renshi.alerts.pace).
    pace_curve = models.JSONField(_("seasonal curve"), default=list, blank=True)
    built_in = models.BooleanField(_("built in"), default=False, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="metrics_metric_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class IngestBatch(AuditedModel):
    """One arrival of data points. Status: pending (an upload waiting for its commit) →
    committed | failed; API requests and connector runs are created committed or failed."""

    class Channel(models.TextChoices):
        API = "api", _("REST API")
        UPLOAD = "upload", _("Excel/CSV upload")
        CONNECTOR = "connector", _("Pull connector")
        ATTENDANCE = "attendance", _("Attendance import")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMMITTED = "committed", _("Committed")
        FAILED = "failed", _("Failed")

    audit_exclude = ("content", "errors", "created_at")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # who sent it: a person (created_by) or an integration key (api_key_prefix) or a connector
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    api_key_prefix = models.CharField(_("API key"), max_length=16, blank=True)
    connector = models.ForeignKey(
        "Connector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="batches",
        verbose_name=_("connector"),
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # validated rows of a pending upload (JSON), dropped once committed or failed
    content = models.BinaryField(_("validated rows"), blank=True, editable=False)
    received = models.PositiveIntegerField(_("points received"), default=0)
    accepted = models.PositiveIntegerField(_("points accepted"), default=0)
    created = models.PositiveIntegerField(_("points created"), default=0)
    replaced = models.PositiveIntegerField(_("points replaced"), default=0)
    rejected = models.PositiveIntegerField(_("points rejected"), default=0)
    # [{"row": n, "field": "...", "message": "..."}], capped (first 1,000)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    metric_keys = models.JSONField(_("metrics"), default=list, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("data batch")
        verbose_name_plural = _("data batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class DataPoint(models.Model):
    """Not audited row by row (100,000 points an hour are normal); its batch is."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="points", verbose_name=_("metric")
    )
    subject_kind = models.CharField(_("subject"), max_length=16, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("subject id"))
    date = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    source = models.CharField(_("source"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    batch = models.ForeignKey(
        IngestBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="points",
        verbose_name=_("batch"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("data point")
        verbose_name_plural = _("data points")
        ordering = ["metric_id", "subject_id", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "subject_id", "date", "source"],
                name="metrics_point_natural_key",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "subject_kind", "subject_id"]),
            models.Index(fields=["metric", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id}/{self.subject_id}@{self.date}={self.value}"


class Connector(AuditedModel, VersionedModel):
    """Polls a business system's HTTP JSON endpoint and ingests what it maps.

    ``mapping`` (validated by ``renshi.metrics.connectors``):
    {"records": "data.items",          # dot path to the list of records ("" = the body is a list)
     "metric": "crm.new_customers",    # a fixed metric key, or
     "metric_field": "kpi",            # the record field that holds the key
     "subject_field": "owner_no",      # employee number / department code; omit for company
     "date_field": "day", "value_field": "count",
     "source": "crm"}                  # the source written on the points
    """

    audit_sensitive = ("auth_value",)

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    auth_header = models.CharField(
        _("authentication header"), max_length=100, blank=True, default="Authorization"
    )
    auth_value = EncryptedTextField(_("authentication value"), blank=True)
    mapping = models.JSONField(_("field mapping"), default=dict)
    interval_minutes = models.PositiveIntegerField(_("every (minutes)"), default=60)
    active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, editable=False)
    last_status = models.CharField(_("last result"), max_length=16, blank=True, editable=False)
    last_message = models.CharField(_("message"), max_length=500, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
