"""Writes of strategy maps: maps, perspectives, cause-and-effect links, key success factors and
the pace thresholds. Keyword-only, transactional; each re-checks the actor's rights inside the
transaction (access layer). Bootstrap callers (demo, tests) pass ``actor=None, company=…``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.concurrency import ConflictError, bump_version
from renshi.org.models import Company
from renshi.org.scope import get_scope

from .models import CauseEffectLink, Goal, KeySuccessFactor, PaceSettings, Perspective, StrategyMap

# Default lane names of a balanced-scorecard map (the seeds' terms); editable per map.
DEFAULT_PERSPECTIVE_NAMES = {
    Perspective.Key.FINANCIAL: "财务",
    Perspective.Key.CUSTOMER: "客户",
    Perspective.Key.PROCESS: "内部流程",
    Perspective.Key.LEARNING: "学习与成长",
}
MAP_FIELDS = ("name", "mission", "mode", "period_start", "period_end")
PACE_MAX = Decimal("1.5")


def _editor_company(actor: Any, company: Company | None) -> int:
    if company is not None and actor is None:  # bootstrap
        return company.pk
    access.require_perm(actor, "goals.manage_map")
    company_id = get_scope(actor).company_id
    if company_id is None:
        raise PermissionDenied
    return company_id


def _create_perspectives(strategy_map: StrategyMap) -> None:
    existing = set(strategy_map.perspectives.values_list("key", flat=True))
    for key, name in DEFAULT_PERSPECTIVE_NAMES.items():
        if key not in existing:
            Perspective.objects.create(
                company_id=strategy_map.company_id, strategy_map=strategy_map, key=key, name=name
            )


# --- maps -----------------------------------------------------------------------------------


@transaction.atomic
def strategy_map_create(
    *,
    actor: Any,
    name: str,
    period_start: datetime.date,
    period_end: datetime.date,
    mode: str = StrategyMap.Mode.BSC,
    mission: str = "",
    company: Company | None = None,
) -> StrategyMap:
    """A new map; in BSC mode with the four perspectives (财务, 客户, 内部流程, 学习与成长), in
    OKR mode without lanes."""
    company_id = _editor_company(actor, company)
    strategy_map = StrategyMap(
        company_id=company_id,
        name=name,
        mission=mission,
        mode=mode,
        period_start=period_start,
        period_end=period_end,
    )
    strategy_map.full_clean()
    strategy_map.save()
    if mode == StrategyMap.Mode.BSC:
        _create_perspectives(strategy_map)
    return strategy_map


@transaction.atomic
def strategy_map_update(
    *, actor: Any, strategy_map: StrategyMap, version: int | None, **changes: Any
) -> StrategyMap:
    """Edit a map's name, theme, period or mode. Switching to OKR removes the lanes, which is
    refused while objectives are placed in them; switching to BSC adds the four lanes."""
    strategy_map = StrategyMap.objects.select_for_update().get(pk=strategy_map.pk)
    access.ensure(actor, access.CHANGE, strategy_map)
    unknown = set(changes) - set(MAP_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    old_mode = strategy_map.mode
    for key, value in changes.items():
        setattr(strategy_map, key, value)
    strategy_map.full_clean()
    if old_mode != strategy_map.mode and strategy_map.mode == StrategyMap.Mode.OKR:
        if Goal.objects.filter(strategy_map=strategy_map, perspective__isnull=False).exists():
            raise ValidationError(
                {
                    "mode": _(
                        "Objectives are placed in perspectives; move them out before switching "
                        "to OKR."
                    )
                }
            )
        strategy_map.perspectives.all().delete()
    bump_version(strategy_map, expected_version=version)
    strategy_map.save()
    if strategy_map.mode == StrategyMap.Mode.BSC:
        _create_perspectives(strategy_map)
    return strategy_map


@transaction.atomic
def perspective_rename(*, actor: Any, perspective: Perspective, name: str) -> Perspective:
    """Rename a lane (its key and order stay fixed by the map)."""
    perspective = Perspective.objects.select_for_update().get(pk=perspective.pk)
    access.ensure(actor, access.CHANGE, perspective)
    perspective.name = (name or "").strip()
    perspective.full_clean()
    perspective.save()
    return perspective


# --- cause-and-effect links -----------------------------------------------------------------


def _check_link(strategy_map: StrategyMap, cause: Goal, effect: Goal) -> None:
    for goal in (cause, effect):
        if goal.strategy_map_id != strategy_map.pk or goal.level != Goal.Level.COMPANY:
            raise ValidationError(_("Links join strategic objectives of the same map."))
    if cause.pk == effect.pk:
        raise ValidationError(_("An objective cannot cause itself."))
    if strategy_map.mode == StrategyMap.Mode.BSC:
        if cause.perspective_id is None or effect.perspective_id is None:
            raise ValidationError(_("Place both objectives in a perspective first."))
        orders = dict(
            Perspective.objects.filter(
                pk__in=[cause.perspective_id, effect.perspective_id]
            ).values_list("pk", "order")
        )
        if orders[cause.perspective_id] < orders[effect.perspective_id]:
            raise ValidationError(
                _(
                    "Links go upwards: learning and growth → internal process → customer → "
                    "financial, or stay in a lane."
                )
            )
    # no loops: refuse if the effect already leads (through links) to the cause
    edges: dict[int, list[int]] = {}
    for c, e in CauseEffectLink.objects.filter(strategy_map=strategy_map).values_list(
        "cause_id", "effect_id"
    ):
        edges.setdefault(c, []).append(e)
    stack, seen = [effect.pk], set()
    while stack:
        node = stack.pop()
        if node == cause.pk:
            raise ValidationError(_("This link would close a loop of causes."))
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    if CauseEffectLink.objects.filter(cause=cause, effect=effect).exists():
        raise ValidationError(_("These objectives are linked already."))


@transaction.atomic
def link_create(
    *, actor: Any, strategy_map: StrategyMap, cause: Goal, effect: Goal
) -> CauseEffectLink:
    """An arrow ``cause`` → ``effect`` between two objectives of the map."""
    strategy_map = StrategyMap.objects.select_for_update().get(pk=strategy_map.pk)
    if actor is not None:
        access.ensure(actor, access.CHANGE, strategy_map)
        access.ensure(actor, access.CHANGE, cause)
        access.ensure(actor, access.CHANGE, effect)
    _check_link(strategy_map, cause, effect)
    link = CauseEffectLink(
        company_id=strategy_map.company_id, strategy_map=strategy_map, cause=cause, effect=effect
    )
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def link_delete(*, actor: Any, link: CauseEffectLink) -> None:
    link = CauseEffectLink.objects.select_for_update().get(pk=link.pk)
    access.ensure(actor, access.DELETE, link)
    link.delete()


# --- key success factors ----------------------------------------------------------------------


@transaction.atomic
def success_factor_add(*, actor: Any, goal: Goal, text: str) -> KeySuccessFactor:
    """A key success factor (关键成功因素) under an objective; map editors only."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if actor is not None:
        access.require_perm(actor, "goals.manage_map")
        access.ensure(actor, access.CHANGE, goal)
    if goal.level != Goal.Level.COMPANY:
        raise ValidationError(_("Key success factors belong to strategic objectives."))
    factor = KeySuccessFactor(company_id=goal.company_id, goal=goal, text=(text or "").strip())
    factor.full_clean()
    factor.save()
    return factor


@transaction.atomic
def success_factor_delete(*, actor: Any, factor: KeySuccessFactor) -> None:
    factor = KeySuccessFactor.objects.select_for_update().get(pk=factor.pk)
    access.ensure(actor, access.DELETE, factor)
    factor.delete()


# --- pace thresholds --------------------------------------------------------------------------


def validate_thresholds(on_track: Decimal, at_risk: Decimal) -> None:
    errors = {}
    if at_risk <= 0:
        errors["at_risk"] = _("The at-risk threshold must be above 0.")
    if on_track > PACE_MAX:
        errors["on_track"] = _("The on-track threshold may be at most %(max)s.") % {"max": PACE_MAX}
    if on_track <= at_risk:
        errors.setdefault(
            "on_track", _("The on-track threshold must be above the at-risk threshold.")
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def pace_settings_update(
    *,
    actor: Any,
    on_track: Decimal,
    at_risk: Decimal,
    version: int | None = None,
    company: Company | None = None,
) -> PaceSettings:
    """Set the company's pace thresholds (GM and performance manager): on_track > at_risk > 0,
    on_track ≤ 1.5. Creates the row on first save; later saves compare versions."""
    company_id = _editor_company(actor, company)
    on_track, at_risk = Decimal(on_track), Decimal(at_risk)
    validate_thresholds(on_track, at_risk)
    settings = PaceSettings.objects.select_for_update().filter(company_id=company_id).first()
    if settings is None:
        settings = PaceSettings(company_id=company_id, on_track=on_track, at_risk=at_risk)
        settings.full_clean()
        try:
            with transaction.atomic():  # two first saves at once: the second one conflicts
                settings.save()
        except IntegrityError as exc:
            raise ConflictError from exc
        return settings
    if actor is not None:
        access.ensure(actor, access.CHANGE, settings)
    settings.on_track, settings.at_risk = on_track, at_risk
    settings.full_clean()
    bump_version(settings, expected_version=version)
    settings.save()
    return settings
