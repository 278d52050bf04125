"""The evaluators alert rules run, registered by the apps that own the data.

The alerts app knows no goals, metrics or performance plans: each of those apps registers, when
it is ready, the kinds of rule it can evaluate::

    register_evaluator(
        "goals.individual_below_pace",
        _("Individual goal below pace"),
        evaluate,                       # (rule, today) -> iterable of Finding
        default_threshold=Decimal("0.7"),
        default_escalate_after_days=3,
        description=_("..."),
        default_params={},
        periods=None,                   # optional (rule, today) -> set of period keys evaluated
    )

An evaluator reads in bulk (a constant number of queries per rule, never one per employee) and
yields a ``Finding`` for every subject that is below the rule's threshold today. The engine
(``services.alerts_evaluate``) turns findings into alerts: it opens the new ones, keeps the
existing ones (dedup), escalates and closes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import override

from .pace import Step


@dataclass
class Finding:
    """A subject below its rule's threshold.

    ``subject``: a model instance, or ``(ContentType or model class, id)``. ``period_key``:
    "2026", "2026-W27"… (one open alert per rule, subject and period). ``title`` and the
    ``trace`` steps are lazy translatable templates with their values (``pace.Step``, or any
    object with ``template``/``params``; plain strings are kept as they are). ``recipients``:
    user ids notified when the alert opens; ``escalation``: user ids one level up, notified
    when it escalates. ``employee_id``/``department_id``: whose scope holds the subject (people
    who may see that employee / department may see the alert)."""

    subject: Any
    period_key: str
    title: Any
    url: str = ""
    actual: Decimal | None = None
    expected: Decimal | None = None
    completion: Decimal | None = None
    threshold: Decimal | None = None
    trace: Sequence[Any] = ()
    recipients: Iterable[int] = ()
    escalation: Iterable[int] = ()
    employee_id: int | None = None
    department_id: int | None = None
    subject_repr: str = ""

    def subject_key(self) -> tuple[int, int]:
        """(content type id, object id) of the subject."""
        subject = self.subject
        if isinstance(subject, models.Model):
            return ContentType.objects.get_for_model(type(subject)).pk, int(subject.pk)
        kind, pk = subject
        if isinstance(kind, ContentType):
            return kind.pk, int(pk)
        if isinstance(kind, int):
            return kind, int(pk)
        return ContentType.objects.get_for_model(kind).pk, int(pk)


def message(template: Any, params: dict | None = None) -> dict:
    """A translatable message as stored on an alert: the msgid and its values as text (values
    are rendered without a language, so numbers and dates stay neutral)."""
    with override(None):
        return raw_message(template, params)


def raw_message(template: Any, params: dict | None = None) -> dict:
    """``message`` for a caller that has already deactivated translations (``override(None)``
    once around many messages: the engine stores thousands)."""
    rendered = {
        k: {"t": str(v)} if isinstance(v, Promise) else str(v) for k, v in (params or {}).items()
    }
    return {"t": str(template), "p": rendered}


def step_message(step: Any) -> dict:
    """A trace step as stored (call inside ``override(None)``)."""
    if isinstance(step, str):
        return {"t": step.replace("%", "%%"), "p": {}}
    return raw_message(step.template, step.params)


Evaluate = Callable[[Any, datetime.date], Iterable[Finding]]


@dataclass(frozen=True)
class Evaluator:
    kind: str
    label: Any
    evaluate: Evaluate
    default_threshold: Decimal
    default_escalate_after_days: int
    description: Any = ""
    default_params: dict = field(default_factory=dict)
    periods: Callable[[Any, datetime.date], set[str]] | None = None


_evaluators: dict[str, Evaluator] = {}


def register_evaluator(
    kind: str,
    label: Any,
    evaluate: Evaluate,
    *,
    default_threshold: Decimal,
    default_escalate_after_days: int,
    description: Any = "",
    default_params: dict | None = None,
    periods: Callable[[Any, datetime.date], set[str]] | None = None,
) -> Evaluator:
    """Register (or replace) the evaluator of a kind of rule."""
    evaluator = Evaluator(
        kind=kind,
        label=label,
        evaluate=evaluate,
        default_threshold=Decimal(default_threshold),
        default_escalate_after_days=int(default_escalate_after_days),
        description=description,
        default_params=dict(default_params or {}),
        periods=periods,
    )
    _evaluators[kind] = evaluator
    return evaluator


def get_evaluator(kind: str) -> Evaluator | None:
    return _evaluators.get(kind)


def registered_evaluators() -> list[Evaluator]:
    return sorted(_evaluators.values(), key=lambda e: e.kind)


__all__ = [
    "Evaluator",
    "Finding",
    "Step",
    "get_evaluator",
    "message",
    "register_evaluator",
    "registered_evaluators",
    "step_message",
]
