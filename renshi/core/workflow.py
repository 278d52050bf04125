"""Explicit state machines for workflows (plans, scorecards, appeals, ...).

A ``Workflow`` is a table of named transitions, each from a set of states to one state. Services
are the only writers of a status: they call ``workflow.target(current, name)``, which raises
``TransitionError`` for a step that is not allowed from the current state (a skipped stage, a
replayed approval), and then write the new state with a compare-and-set on the old one
(``advance``), so two concurrent approvals cannot both win.

Who may take a step is not decided here (it depends on scope): the services check it, and
``available`` lists the steps a state allows so pages can offer only those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class TransitionError(ValidationError):
    """A step that is not allowed from the current state, or was already taken."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    label: str = ""


class Workflow:
    def __init__(self, field: str, transitions: Iterable[Transition]):
        self.field = field
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"duplicate transition {t.name!r}")
            self.transitions[t.name] = t

    def target(self, current: str, name: str) -> str:
        transition = self.transitions.get(name)
        if transition is None:
            raise TransitionError(_("Unknown step."), code="unknown")
        if current not in transition.sources:
            raise TransitionError(
                _("This step is not possible in the current state."), code="not_allowed"
            )
        return transition.target

    def available(self, current: str) -> list[Transition]:
        return [t for t in self.transitions.values() if current in t.sources]

    def states(self) -> set[str]:
        found: set[str] = set()
        for t in self.transitions.values():
            found |= t.sources | {t.target}
        return found

    def advance(self, instance: models.Model, name: str, **extra_fields) -> str:
        """Move ``instance`` along ``name``: checks the table, then writes the new state with a
        compare-and-set on the state it was read in (a concurrent step makes this one fail with
        TransitionError, nothing written). ``extra_fields`` are written in the same UPDATE.
        Call inside the service's transaction, then ``instance.save()``: the audit receivers
        compare with the values the instance was loaded with and log the status change."""
        current = getattr(instance, self.field)
        new = self.target(current, name)
        model = type(instance)
        updated = model._base_manager.filter(pk=instance.pk, **{self.field: current}).update(
            **{self.field: new}, **extra_fields
        )
        if not updated:
            raise TransitionError(
                _("Someone else has just moved this on. Reload the page."), code="stale"
            )
        setattr(instance, self.field, new)
        for key, value in extra_fields.items():
            setattr(instance, key, value)
        return new
