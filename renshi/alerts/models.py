"""Pace alerts: the company's working-day calendar, the alert rules and the alerts they open.

* ``CalendarDay`` — an exception to Monday–Friday: a holiday (节假日) or a make-up working day
  (调休). The HR VP keeps them on the calendar page; ``renshi.alerts.pace`` counts with them.
* ``AlertRule`` — a registered evaluator (``renshi.alerts.registry``) with its threshold,
  escalation delay and parameters, configured per company (audited, version-checked).
* ``Alert`` — one finding of a rule about one subject (a goal, a department, a plan stage…) in
  one period. At most one open alert per (rule, subject, period): a partial unique constraint.
  Open → escalated (after the rule's days) → closed (back on pace, period over, rule disabled,
  resolved by hand). Not audited row by row (an evaluation may touch 10,000 of them); the
  rules are, and every state change is stamped on the row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.models import AuditedModel, VersionedModel
from renshi.org.models import Company, Department, Employee


class CalendarDay(AuditedModel, VersionedModel):
    """A day that differs from the Monday–Friday rule: a holiday on a weekday, or a make-up
    working day (调休) on a weekend."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    date = models.DateField(_("date"))
    is_working = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Off: a holiday. On: a make-up working day (调休)."),
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["company", "date"], name="alerts_calendar_day_unique"),
        ]

    def __str__(self) -> str:
        kind = gettext("make-up working day") if self.is_working else gettext("holiday")
        return f"{self.date} {kind} {self.note}".strip()


class AlertRule(AuditedModel, VersionedModel):
    """A rule: which evaluator (``kind``), below which completion it fires (``threshold``,
    e.g. 0.70 = 70 % of pace), after how many days an unresolved alert escalates one level up
    (0 = never) and the evaluator's parameters (e.g. ``{"metric": "crm.new_customers"}``)."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    kind = models.CharField(_("kind"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("0.7"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
        help_text=_("An alert opens when completion is below this share of pace (0.7 = 70%)."),
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate after (days)"),
        default=3,
        validators=[MaxValueValidator(365)],
        help_text=_("Unresolved this many days after opening: escalated one level up. 0: never."),
    )
    active = models.BooleanField(_("active"), default=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="alerts_rule_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("alerts:rule_edit", kwargs={"pk": self.pk})

    @property
    def kind_label(self):
        from .registry import get_evaluator

        found = get_evaluator(self.kind)
        return found.label if found is not None else self.kind


def render_message(message: dict | None) -> str:
    """A stored message ``{"t": msgid, "p": {name: text}}`` in the active language."""
    if not message:
        return ""
    template = message.get("t", "")
    params = {
        k: gettext(v["t"]) if isinstance(v, dict) else v
        for k, v in (message.get("p") or {}).items()
    }
    text = gettext(template) if template else ""
    try:
        return text % params if params else text.replace("%%", "%")
    except (KeyError, ValueError, TypeError):
        with override(None):
            return template % params if params else template


class Alert(models.Model):
    """One open (or past) finding of a rule about a subject in a period."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ESCALATED = "escalated", _("Escalated")
        CLOSED = "closed", _("Closed")

    class CloseReason(models.TextChoices):
        BACK_ON_PACE = "back_on_pace", _("Back on pace")
        PERIOD_ENDED = "period_ended", _("Period over")
        RULE_DISABLED = "rule_disabled", _("Rule disabled")
        RESOLVED = "resolved", _("Resolved manually")

    OPEN_STATUSES = (Status.OPEN, Status.ESCALATED)

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    rule = models.ForeignKey(
        AlertRule, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("rule")
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    subject_repr = models.CharField(_("subject"), max_length=300, blank=True)
    period_key = models.CharField(_("period"), max_length=32)
    # whose scope holds the subject (the access policy reads these; no join into other apps)
    scope_employee = models.ForeignKey(
        Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scope_department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_on = models.DateField(_("opened on"))  # the evaluation day (escalation counts from it)
    opened_at = models.DateTimeField(_("opened at"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=16, choices=CloseReason.choices, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    evaluated_on = models.DateField(_("last evaluated"))
    # the last evaluation's numbers and explanation (msgid + params, rendered when shown)
    title = models.JSONField(_("title"), default=dict)
    url = models.CharField(_("link"), max_length=500, blank=True)
    actual = models.DecimalField(
        _("actual"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    expected = models.DecimalField(
        _("expected to date"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    completion = models.DecimalField(
        _("completion"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    threshold = models.DecimalField(_("threshold"), max_digits=6, decimal_places=3)
    trace = models.JSONField(_("how it was computed"), default=list)
    # the evaluation that created the row (a concurrent run's inserts are told apart by it)
    run = models.CharField(max_length=32, blank=True, editable=False)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="AlertRecipient", related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "period_key"],
                condition=models.Q(status__in=["open", "escalated"]),
                name="alerts_one_open_per_subject_period",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "-opened_at"]),
            models.Index(fields=["rule", "status"]),
            models.Index(fields=["rule", "run"]),
        ]

    def __str__(self) -> str:
        return self.title_text

    def get_absolute_url(self) -> str:
        return reverse("alerts:alert_detail", kwargs={"pk": self.pk})

    @property
    def title_text(self) -> str:
        return render_message(self.title) or self.subject_repr

    def trace_text(self) -> list[str]:
        return [render_message(step) for step in self.trace or ()]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class AlertRecipient(models.Model):
    """Who an alert is addressed to: level 0 when it opened, level 1 added by the escalation."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipient_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="alerts_recipient_unique"),
        ]
        indexes = [models.Index(fields=["user", "alert"])]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.user_id} ({self.level})"
