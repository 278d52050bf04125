"""The indicator library: the default entries per department type, ``library_seed`` and the
services that edit the library (create, edit, deactivate). docs/performance-plans.md.

Department types are free tags (``IndicatorTemplate.department_type``): ``sales``,
``production``, ``operations``, ``rnd``; an empty type means "any department" (the
competencies). ``department_type_of`` guesses a department's type from its code and name so the
plan form can propose the matching templates.

Every rule is stored as ``scoring.Rule.as_dict()`` and validated with ``Rule.from_dict``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renshi.core import access
from renshi.core.concurrency import bump_version
from renshi.org.models import Company, Department, Position

from . import scoring
from .models import Category, DataSource, Direction, IndicatorTemplate

DEPARTMENT_TYPES: dict[str, Any] = {
    "": gettext_lazy("Any department"),
    "sales": gettext_lazy("Sales"),
    "production": gettext_lazy("Production"),
    "operations": gettext_lazy("Operations"),
    "rnd": gettext_lazy("R&D"),
}

# (keywords in a department's code or name) → department type
_TYPE_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sales", ("sales", "销售", "市场")),
    ("production", ("production", "prod", "生产", "制造", "车间")),
    ("operations", ("operations", "ops", "运维", "运营", "it")),
    ("rnd", ("rnd", "r&d", "dev", "研发", "开发", "技术")),
)


def department_type_of(department: Department) -> str:
    """The library type a department most likely is ("" when nothing matches)."""
    code = (department.code or "").lower()
    name = (department.name or "").lower()
    for kind, hints in _TYPE_HINTS:
        for hint in hints:
            if code == hint or code.startswith((hint + "_", hint + "-")):
                return kind
            if not hint.isascii() and hint in name:
                return kind
    return ""


RATING_ANCHORS = [
    [1, "远低于期望"],
    [2, "低于期望"],
    [3, "达到期望"],
    [4, "超出期望"],
    [5, "卓越"],
]

# The default library (the examples). Each entry: the model fields; ``rule`` is a
# scoring.Rule dict (validated when seeded).
DEFAULT_LIBRARY: tuple[dict[str, Any], ...] = (
    # sales
    {
        "name": "销售额",
        "department_type": "sales",
        "category": Category.RESULTS,
        "unit": "万元",
        "rule": {"kind": "ratio", "direction": "higher", "cap": "1.2"},
        "data_source": DataSource.METRIC,
        "metric_key": "crm.sales_amount",
        "default_weight": 60,
        "description": "实际销售额 ÷ 目标，封顶 120%",
    },
    {
        "name": "新客户数",
        "department_type": "sales",
        "category": Category.RESULTS,
        "unit": "个",
        "rule": {"kind": "ratio", "direction": "higher", "cap": "1.5"},
        "data_source": DataSource.METRIC,
        "metric_key": "crm.new_customers",
        "default_weight": 40,
        "description": "新签约客户数 ÷ 目标，封顶 150%",
    },
    # production
    {
        "name": "产量",
        "department_type": "production",
        "category": Category.RESULTS,
        "unit": "件",
        "rule": {"kind": "ratio", "direction": "higher", "cap": "1.2"},
        "data_source": DataSource.METRIC,
        "metric_key": "erp.output",
        "default_weight": 60,
    },
    {
        "name": "次品率",
        "department_type": "production",
        "category": Category.RESULTS,
        "unit": "%",
        "direction": Direction.LOWER,
        "rule": {"kind": "ratio", "direction": "lower", "inverse": "deviation", "floor": "0"},
        "data_source": DataSource.METRIC,
        "metric_key": "erp.defect_rate",
        "default_weight": 40,
        "description": "越低越好：2 − 实际 ÷ 目标",
    },
    # operations
    {
        "name": "服务器停机时间占比",
        "department_type": "operations",
        "category": Category.RESULTS,
        "unit": "%",
        "direction": Direction.LOWER,
        "rule": {"kind": "threshold", "direction": "lower", "limit": "1"},
        "default_weight": 50,
        "default_target": 1,
        "evidence_required": True,
        "description": "停机时间 ≤ 1% 得满分，否则 0 分",
    },
    {
        "name": "投诉响应时间",
        "department_type": "operations",
        "category": Category.RESULTS,
        "unit": "分钟",
        "direction": Direction.LOWER,
        "rule": {
            "kind": "threshold",
            "direction": "lower",
            "limit": "30",
            "step": "10",
            "step_points": "20",
        },
        "default_weight": 50,
        "default_target": 30,
        "description": "≤ 30 分钟满分，每超出 10 分钟（不足 10 分钟按 10 分钟计）扣 20 分",
    },
    # R&D
    {
        "name": "需求响应时间",
        "department_type": "rnd",
        "category": Category.RESULTS,
        "unit": "天",
        "direction": Direction.LOWER,
        "rule": {"kind": "ratio", "direction": "lower", "inverse": "ratio", "cap": "1.2"},
        "default_weight": 50,
    },
    {
        "name": "代码缺陷率",
        "department_type": "rnd",
        "category": Category.RESULTS,
        "unit": "个/千行",
        "direction": Direction.LOWER,
        "rule": {
            "kind": "bands",
            "direction": "lower",
            "bands": [["0", "0"], ["0.8", "60"], ["1", "100"], ["1.2", "110"]],
        },
        "default_weight": 50,
        "evidence_required": True,
        "description": "达成率 ≥ 120% 得 110 分，≥ 100% 100 分，≥ 80% 60 分，其余 0 分",
    },
    # competencies (every department)
    *(
        {
            "name": name,
            "department_type": "",
            "category": Category.COMPETENCY,
            "rule": {
                "kind": "rating",
                "direction": "higher",
                "scale_max": 5,
                "anchors": RATING_ANCHORS,
            },
            "default_weight": weight,
        }
        for name, weight in (("团队合作", 30), ("沟通", 30), ("责任心", 20), ("学习能力", 20))
    ),
)


def _clean_rule(rule: Any, direction: str) -> dict[str, Any]:
    """The rule as stored: validated by the engine, its direction the indicator's."""
    data = dict(rule or {"kind": scoring.RATIO})
    data["direction"] = direction
    try:
        return scoring.Rule.from_dict(data).as_dict()
    except (scoring.ScoringError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationError(
            {"rule": _("Invalid scoring rule: %(error)s") % {"error": exc}}
        ) from exc


@transaction.atomic
def library_seed(*, company: Company, actor: Any = None) -> list[IndicatorTemplate]:
    """Create the default library entries the company does not have yet (same name and
    department type). Idempotent: a second call creates nothing. ``actor`` (optional) must
    hold ``performance.manage_library``; the bootstrap path passes none."""
    if actor is not None:
        access.require_perm(actor, "performance.manage_library")
    existing = set(
        IndicatorTemplate.objects.filter(company=company).values_list("name", "department_type")
    )
    created = []
    for entry in DEFAULT_LIBRARY:
        if (entry["name"], entry["department_type"]) in existing:
            continue
        fields = dict(entry)
        direction = fields.pop("direction", Direction.HIGHER)
        weight = fields.pop("default_weight", None)
        target = fields.pop("default_target", None)
        template = IndicatorTemplate(
            company=company,
            direction=direction,
            default_weight=None if weight is None else Decimal(weight),
            default_target=None if target is None else Decimal(target),
            **{**fields, "rule": _clean_rule(fields["rule"], direction)},
        )
        template.full_clean()
        template.save()
        created.append(template)
    return created


# --- library edits ------------------------------------------------------------------------------

TEMPLATE_FIELDS = (
    "name",
    "description",
    "category",
    "department_type",
    "unit",
    "direction",
    "rule",
    "data_source",
    "metric_key",
    "evidence_required",
    "default_weight",
    "default_target",
)


def _company_id(actor: Any) -> int:
    from renshi.org.scope import get_scope

    company_id = get_scope(actor).company_id
    if company_id is None:
        raise PermissionDenied
    return company_id


def _validate_template(template: IndicatorTemplate, positions) -> None:
    template.name = (template.name or "").strip()
    template.rule = _clean_rule(template.rule, template.direction)
    if template.data_source == DataSource.METRIC and not template.metric_key:
        raise ValidationError({"metric_key": _("Name the metric that feeds this indicator.")})
    if template.data_source != DataSource.METRIC:
        template.metric_key = ""
    if template.default_weight is not None and template.default_weight < 0:
        raise ValidationError({"default_weight": _("A weight must not be negative.")})
    for position in positions or ():
        if position.company_id != template.company_id:
            raise ValidationError({"positions": _("This position belongs to another company.")})
    template.full_clean()


@transaction.atomic
def indicator_template_create(
    *, actor: Any, positions: list[Position] | None = None, **fields: Any
) -> IndicatorTemplate:
    """A new library entry (performance manager, HR VP)."""
    access.require_perm(actor, "performance.manage_library")
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %s") % ", ".join(sorted(unknown)))
    template = IndicatorTemplate(company_id=_company_id(actor), **fields)
    _validate_template(template, positions)
    template.save()
    if positions:
        template.positions.set(positions)
    access.ensure(actor, access.CHANGE, template)
    return template


@transaction.atomic
def indicator_template_update(
    *,
    actor: Any,
    template: IndicatorTemplate,
    version: int | None,
    positions: list[Position] | None = None,
    **changes: Any,
) -> IndicatorTemplate:
    """Edit a library entry. Plans keep their own copies (PlanIndicator), so a past plan never
    changes."""
    access.require_perm(actor, "performance.manage_library")
    template = access.get_object_or_404(
        IndicatorTemplate.objects.select_for_update(), actor, access.CHANGE, pk=template.pk
    )
    unknown = set(changes) - set(TEMPLATE_FIELDS) - {"active"}
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    for key, value in changes.items():
        setattr(template, key, value)
    _validate_template(template, positions)
    bump_version(template, expected_version=version)
    template.save()
    if positions is not None:
        template.positions.set(positions)
    return template


@transaction.atomic
def indicator_template_set_active(
    *, actor: Any, template: IndicatorTemplate, active: bool, version: int | None
) -> IndicatorTemplate:
    """Deactivate (or reactivate) a library entry: inactive entries are not offered to new
    plans; plans that copied them keep their copies."""
    access.require_perm(actor, "performance.manage_library")
    template = access.get_object_or_404(
        IndicatorTemplate.objects.select_for_update(), actor, access.CHANGE, pk=template.pk
    )
    template.active = bool(active)
    bump_version(template, expected_version=version)
    template.save()
    return template
