"""Strategy decoding: strategy maps, goals cascaded company → department → person, target
suggestions with their derivation, comments.

One ``Goal`` model carries the whole cascade (``level``: company objective, department goal,
individual KPI / key result); ``parent`` is the goal it serves (a key result may serve another
department's objective: OKR alignment), ``weight`` its share of the parent's progress.
Progress, pace and SMART problems are computed by ``renshi.goals.services``/``selectors`` and
returned with a trace; they are never typed in.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.models import AuditedModel, TimeStampedModel, VersionedModel
from renshi.org.models import Company, Department, Employee


class StrategyMap(AuditedModel, VersionedModel):
    """A company's strategy for a period (e.g. 2026): balanced-scorecard perspectives or OKR."""

    class Mode(models.TextChoices):
        BSC = "bsc", _("Balanced scorecard")
        OKR = "okr", _("OKR")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="strategy_maps", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=200)
    mission = models.TextField(_("strategic theme"), blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.BSC)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("strategy map")
        verbose_name_plural = _("strategy maps")
        ordering = ["-period_start", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="goals_map_name_unique"),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="goals_map_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("goals:map_detail", kwargs={"pk": self.pk})


class Perspective(AuditedModel, TimeStampedModel):
    """A lane of a BSC map. The four keys and their order are fixed by the map (learning →
    process → customer → financial, drawn bottom-up); the names are editable."""

    class Key(models.TextChoices):
        FINANCIAL = "financial", _("Financial")
        CUSTOMER = "customer", _("Customer")
        PROCESS = "process", _("Internal process")
        LEARNING = "learning", _("Learning and growth")

    ORDER = {Key.FINANCIAL: 1, Key.CUSTOMER: 2, Key.PROCESS: 3, Key.LEARNING: 4}

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    strategy_map = models.ForeignKey(
        StrategyMap,
        on_delete=models.CASCADE,
        related_name="perspectives",
        verbose_name=_("strategy map"),
    )
    key = models.CharField(_("perspective"), max_length=16, choices=Key.choices)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), editable=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("perspective")
        verbose_name_plural = _("perspectives")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy_map", "key"], name="goals_perspective_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.order = self.ORDER[self.key]
        super().save(*args, **kwargs)


class Goal(AuditedModel, VersionedModel):
    """An objective, department goal or individual KPI / key result."""

    class Level(models.TextChoices):
        COMPANY = "company", _("Strategic objective")
        DEPARTMENT = "department", _("Department goal")
        INDIVIDUAL = "individual", _("Individual KPI / key result")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")
        RANGE = "range", _("Stay within a range")

    class Status(models.TextChoices):
        """Approval of a goal. Employees *propose* their own key results; their manager approves
        or returns them. Goals created by someone with edit rights start ``active``. Changed only
        by the transition services, never written directly."""

        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        RETURNED = "returned", _("Returned")
        CLOSED = "closed", _("Closed")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    strategy_map = models.ForeignKey(
        StrategyMap, on_delete=models.PROTECT, related_name="goals", verbose_name=_("strategy map")
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("serves"),
    )
    perspective = models.ForeignKey(
        Perspective,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("perspective"),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("department"),
    )
    owner = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("owner"),
    )
    # the measure
    measure = models.CharField(_("measure"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    range_low = models.DecimalField(
        _("range low"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    range_high = models.DecimalField(
        _("range high"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    actual_at = models.DateTimeField(_("actual recorded at"), null=True, blank=True)
    # the key of a metric (metrics issue) that feeds ``actual``; empty = typed in
    metric_key = models.CharField(_("metric"), max_length=100, blank=True)
    # how a metric-fed actual was computed (renshi.goals.actuals): metric, aggregation, period,
    # the data points used (lineage); empty for typed-in actuals
    actual_trace = models.JSONField(_("actual computed from"), default=dict, blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=7,
        decimal_places=4,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    start_date = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["strategy_map_id", "level", "id"]
        indexes = [
            models.Index(fields=["strategy_map", "parent"]),
            models.Index(fields=["company", "department"]),
            models.Index(fields=["company", "owner"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("goals:goal_detail", kwargs={"pk": self.pk})


class KeySuccessFactor(AuditedModel, TimeStampedModel):
    """What must go right for an objective (关键成功因素)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="success_factors", verbose_name=_("goal")
    )
    text = models.CharField(_("key success factor"), max_length=300)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("key success factor")
        verbose_name_plural = _("key success factors")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class CauseEffectLink(AuditedModel, TimeStampedModel):
    """An arrow of the strategy map: ``cause`` drives ``effect`` (learning → process →
    customer → financial)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    strategy_map = models.ForeignKey(StrategyMap, on_delete=models.CASCADE, related_name="links")
    cause = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="effects", verbose_name=_("cause")
    )
    effect = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="causes", verbose_name=_("effect")
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cause-and-effect link")
        verbose_name_plural = _("cause-and-effect links")
        constraints = [
            models.UniqueConstraint(fields=["cause", "effect"], name="goals_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(cause=models.F("effect")), name="goals_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cause_id} → {self.effect_id}"


class GoalComment(AuditedModel, TimeStampedModel):
    """A remark between a goal's owner and their manager."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="comments", verbose_name=_("goal")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=4000)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class TargetSuggestion(AuditedModel, TimeStampedModel):
    """A target computed from data, with its derivation; the owner accepts it or overrides it
    with a reason. Kept for every goal as the explanation of its target."""

    class Method(models.TextChoices):
        PIPELINE = "pipeline", _("Pipeline × conversion")
        HISTORY = "history", _("History + stretch")
        SHARE = "share", _("Share of a parent target")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        OVERRIDDEN = "overridden", _("Overridden")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="target_suggestions", verbose_name=_("goal")
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    inputs = models.JSONField(_("inputs"), default=dict)
    value = models.DecimalField(_("suggested target"), max_digits=18, decimal_places=4)
    derivation = models.JSONField(_("derivation"), default=list)  # list of steps (text + numbers)
    warnings = models.JSONField(_("warnings"), default=list)  # capacity limits etc.
    decision = models.CharField(
        _("decision"),
        max_length=16,
        choices=Decision.choices,
        default=Decision.PENDING,
        editable=False,
    )
    chosen_value = models.DecimalField(
        _("chosen target"), max_digits=18, decimal_places=4, null=True, blank=True, editable=False
    )
    reason = models.TextField(_("reason for override"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("target suggestion")
        verbose_name_plural = _("target suggestions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.value}"


class PaceSettings(AuditedModel, VersionedModel):
    """Thresholds of the pace status: ratio = progress ÷ elapsed share of the period.
    ratio ≥ on_track → on track; ≥ at_risk → at risk; otherwise behind."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="pace_settings")
    on_track = models.DecimalField(
        _("on track from"), max_digits=5, decimal_places=3, default=Decimal("0.9")
    )
    at_risk = models.DecimalField(
        _("at risk from"), max_digits=5, decimal_places=3, default=Decimal("0.7")
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pace thresholds")
        verbose_name_plural = _("pace thresholds")

    def __str__(self) -> str:
        return f"{self.company}: {self.on_track}/{self.at_risk}"
