"""Performance cycles (issue 4): the indicator library, plans, scorecards, 360, appeals.

Vocabulary (docs/performance.md):
* ``IndicatorTemplate`` — the company's library of KPIs/OKRs/competencies per department type
  and position, each with its scoring rule (``renshi.performance.scoring.Rule`` as JSON).
* ``Plan`` — one performance cycle (month, quarter, half-year, year) for some departments: the
  split between results and competency, grade bands, forced distribution, 360, stage deadlines,
  the outcome table. Its ``status`` moves only through ``workflows.PLAN`` (services).
* ``PlanDepartment`` — a covered department's part of the plan: the supervising VP's review and
  the head's assignment progress.
* ``PlanIndicator`` — an indicator of the plan (copied from the library, so later library edits
  never change a past plan), for all covered departments or one department / position.
* ``Scorecard`` — one employee in one plan: their indicators (``ScorecardItem``), the computed
  score with its full trace, the grade, calibration, acknowledgement. ``status`` moves only
  through ``workflows.SCORECARD``.
* ``Rater360`` / ``Answer360`` — the 360 questionnaire: who was asked (and whether they
  answered) is kept apart from the answers; in an anonymous cycle an answer holds no rater.
* ``Appeal`` — an employee's appeal of a published result, handled by the performance manager
  (never by the appellant).
* ``ImprovementPlan`` — the head's plan for an employee below pass.
* ``PlanComment`` — review comments on a plan (HR VP, VPs, GM, performance manager).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from renshi.core.access import RestrictedQuerySet
from renshi.core.models import AuditedModel, TimeStampedModel, VersionedModel
from renshi.org.models import Company, Department, Employee, Position


class Category(models.TextChoices):
    RESULTS = "results", _("Results (业绩)")
    COMPETENCY = "competency", _("Competency (能力)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class DataSource(models.TextChoices):
    MANUAL = "manual", _("Typed in")
    METRIC = "metric", _("A metric")
    GOAL = "goal", _("A goal of the cascade")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF = "half", _("Half-year")
    YEAR = "year", _("Year")


class IndicatorTemplate(AuditedModel, VersionedModel):
    """A library entry: what is measured and how it is scored."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # a free tag matching departments' kind ("sales", "production", "operations", "rnd", ...)
    department_type = models.CharField(_("department type"), max_length=50, blank=True)
    positions = models.ManyToManyField(
        Position, blank=True, related_name="+", verbose_name=_("positions")
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    rule = models.JSONField(_("scoring rule"), default=dict)  # scoring.Rule.as_dict()
    data_source = models.CharField(
        _("data source"), max_length=8, choices=DataSource.choices, default=DataSource.MANUAL
    )
    metric_key = models.CharField(_("metric"), max_length=100, blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    default_weight = models.DecimalField(
        _("default weight"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    default_target = models.DecimalField(
        _("default target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator template")
        verbose_name_plural = _("indicator library")
        ordering = ["category", "department_type", "name"]

    def __str__(self) -> str:
        return self.name


class Plan(AuditedModel, VersionedModel):
    """A performance cycle. ``status`` is written only by renshi.performance.services through
    ``workflows.PLAN``; see docs/performance.md for the stages and who takes each step."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        HR_REVIEW = "hr_review", _("HR VP review")
        VP_REVIEW = "vp_review", _("VP review")
        GM_FILING = "gm_filing", _("GM filing")
        ASSIGNING = "assigning", _("Assigning indicators")
        TRACKING = "tracking", _("In progress")
        SELF_EVALUATION = "self_eval", _("Self-evaluation")
        MANAGER_EVALUATION = "manager_eval", _("Manager evaluation")
        CALIBRATION = "calibration", _("Calibration")
        PUBLISHED = "published", _("Results published")
        CLOSED = "closed", _("Closed")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    departments = models.ManyToManyField(
        Department, through="PlanDepartment", related_name="+", verbose_name=_("departments")
    )
    company_level = models.BooleanField(
        _("company-level plan"),
        default=True,
        help_text=_("Company-level plans go to the general manager for filing."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    results_share = models.DecimalField(
        _("results share (%)"), max_digits=5, decimal_places=2, default=70
    )
    competency_share = models.DecimalField(
        _("competency share (%)"), max_digits=5, decimal_places=2, default=30
    )
    # [{"key": "excellent", "label": "优秀", "lower": "90"}, ...] (scoring.GradeBand)
    grade_bands = models.JSONField(_("grade bands"), default=list)
    # {"excellent": "20", "good": "30", "pass": "40", "fail": "10"} or {} (no forced distribution)
    distribution = models.JSONField(_("forced distribution"), default=dict, blank=True)
    weight_360 = models.DecimalField(_("360 weight (%)"), max_digits=5, decimal_places=2, default=0)
    anonymous_360 = models.BooleanField(_("anonymous 360"), default=True)
    # the 360 questionnaire: [{"key": "teamwork", "text": "团队合作"}, ...], rated 1–5
    questions_360 = models.JSONField(_("360 questions"), default=list, blank=True)
    # {"excellent": {"raise": "10", "bonus": "1.5"}, ...} (scoring.Outcome)
    outcomes = models.JSONField(_("outcome table"), default=dict, blank=True)
    assign_deadline = models.DateField(_("assignment deadline"), null=True, blank=True)
    self_eval_deadline = models.DateField(_("self-evaluation deadline"), null=True, blank=True)
    manager_eval_deadline = models.DateField(
        _("manager evaluation deadline"), null=True, blank=True
    )
    calibration_deadline = models.DateField(_("calibration deadline"), null=True, blank=True)
    appeal_days = models.PositiveSmallIntegerField(_("days to acknowledge or appeal"), default=7)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("performance plan")
        verbose_name_plural = _("performance plans")
        ordering = ["-period_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="performance_plan_period_order",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    results_share__gte=0, competency_share__gte=0, weight_360__gte=0
                ),
                name="performance_plan_shares_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("performance:plan_detail", kwargs={"pk": self.pk})


class PlanDepartment(AuditedModel, TimeStampedModel):
    """A covered department's part: its VP review and its head's assignment progress."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        NOT_NEEDED = "not_needed", _("No supervising VP")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="parts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    review = models.CharField(
        _("VP review"), max_length=16, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    assignments_submitted_at = models.DateTimeField(
        _("assignments submitted"), null=True, blank=True
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan department")
        verbose_name_plural = _("plan departments")
        constraints = [
            models.UniqueConstraint(fields=["plan", "department"], name="performance_part_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.department_id}"


class PlanIndicator(AuditedModel, VersionedModel):
    """An indicator of a plan, for every covered department (department and position empty),
    one department, or one position."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    template = models.ForeignKey(
        IndicatorTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    rule = models.JSONField(_("scoring rule"), default=dict)
    data_source = models.CharField(
        _("data source"), max_length=8, choices=DataSource.choices, default=DataSource.MANUAL
    )
    metric_key = models.CharField(_("metric"), max_length=100, blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    default_weight = models.DecimalField(
        _("default weight"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    default_target = models.DecimalField(
        _("default target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")
        ordering = ["plan_id", "category", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Scorecard(AuditedModel, VersionedModel):
    """One employee in one plan. The score fields are written only by the scoring service,
    with the full trace (``scoring.Result.as_dict``) in ``trace``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being assigned")
        SENT = "sent", _("Sent to the employee")
        OBJECTED = "objected", _("Objection raised")
        CONFIRMED = "confirmed", _("Confirmed")
        SELF_EVALUATED = "self_evaluated", _("Self-evaluated")
        EVALUATED = "evaluated", _("Evaluated")
        PUBLISHED = "published", _("Published")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        APPEALED = "appealed", _("Appealed")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="scorecards")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="scorecards")
    # the department when the plan was assigned (moves later do not move the scorecard)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    evaluator = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    objection = models.TextField(_("objection"), blank=True)
    self_comment = models.TextField(_("self-evaluation"), blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)
    score = models.DecimalField(
        _("score"), max_digits=8, decimal_places=2, null=True, blank=True, editable=False
    )
    grade = models.CharField(_("grade"), max_length=32, blank=True, editable=False)
    complete = models.BooleanField(_("complete"), default=False, editable=False)
    trace = models.JSONField(_("calculation"), default=dict, blank=True, editable=False)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True, editable=False)
    calibrated_grade = models.CharField(_("calibrated grade"), max_length=32, blank=True)
    calibration_reason = models.TextField(_("calibration reason"), blank=True)
    calibrated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["plan_id", "department_id", "employee_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "employee"], name="performance_scorecard_unique"
            )
        ]
        indexes = [models.Index(fields=["plan", "status"])]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.employee_id}"

    @property
    def final_grade(self) -> str:
        return self.calibrated_grade or self.grade


class ScorecardItem(AuditedModel, VersionedModel):
    """One indicator on one employee's scorecard: weight and target set by the head, the
    actual (typed, imported, or computed from a metric/goal with its lineage), the rating for
    rating-scale indicators, comments and evidence."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(PlanIndicator, on_delete=models.PROTECT, related_name="items")
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    # where the target came from: {"suggestion": id} / {"goal": id} / {} typed
    target_source = models.JSONField(_("target source"), default=dict, blank=True)
    goal = models.ForeignKey(
        "goals.Goal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    actual_source = models.CharField(_("actual from"), max_length=16, blank=True)
    actual_trace = models.JSONField(_("actual computed from"), default=dict, blank=True)
    rating = models.DecimalField(_("rating"), max_digits=5, decimal_places=2, null=True, blank=True)
    self_comment = models.TextField(_("employee's comment"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard indicator")
        verbose_name_plural = _("scorecard indicators")
        ordering = ["scorecard_id", "indicator__category", "indicator__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "indicator"], name="performance_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="performance_item_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id}/{self.indicator_id}"


class ItemComment(AuditedModel, TimeStampedModel):
    """The feedback thread of a scorecard indicator between the employee and their head,
    shown again at evaluation time (renshi.notifications.mentions notifies)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ScorecardItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=4000)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class Rater360(AuditedModel, TimeStampedModel):
    """Who was asked to rate whom, and whether they answered — never what they answered."""

    class Relation(models.TextChoices):
        PEER = "peer", _("Peer")
        SUBORDINATE = "subordinate", _("Subordinate")
        CROSS = "cross", _("Other department")
        MANAGER = "manager", _("Manager")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="raters")
    rater = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("360 rater")
        verbose_name_plural = _("360 raters")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "rater"], name="performance_rater_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id}/{self.rater_id}"


class Answer360(models.Model):
    """A 360 answer. In an anonymous cycle ``rater`` stays empty, so nobody — not even the
    database administrator — can tie an answer to a person; shown only as an aggregate of at
    least three answers. Not audited (the audit log would re-identify the rater)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="answers")
    rater = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relation = models.CharField(max_length=16, choices=Rater360.Relation.choices)
    # {"teamwork": 4, "communication": 5, ...} on the plan's 360 questions; score 0–100
    ratings = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=6, decimal_places=2)
    comment = models.TextField(blank=True, max_length=2000)
    submitted_on = models.DateField()  # a day, not a time: a timestamp could re-identify

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("360 answer")
        verbose_name_plural = _("360 answers")

    def __str__(self) -> str:
        return f"{self.scorecard_id}: {self.score}"


class Appeal(AuditedModel, VersionedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESCORED = "rescored", _("Re-scored")
        REJECTED = "rejected", _("Rejected")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("reason"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, editable=False
    )
    response = models.TextField(_("response"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.scorecard_id}: {self.get_status_display()}"


class ImprovementPlan(AuditedModel, VersionedModel):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    scorecard = models.OneToOneField(
        Scorecard, on_delete=models.CASCADE, related_name="improvement_plan"
    )
    goals = models.TextField(_("what must improve"))
    actions = models.TextField(_("actions and support"))
    review_date = models.DateField(_("review on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")

    def __str__(self) -> str:
        return f"{self.scorecard_id}"


class PlanComment(AuditedModel, TimeStampedModel):
    """A review comment on a plan (a return's reason, a VP's remark on their part)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=32, blank=True)
    body = models.TextField(_("comment"), max_length=4000)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan comment")
        verbose_name_plural = _("plan comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]
