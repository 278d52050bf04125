"""Registrations of the cards part (notification events, alert evaluators, menu entries),
imported when the app is ready.

* events: ``performance.scorecard_sent`` (the employee: confirm your targets; e-mail too),
  ``…_confirmed`` / ``…_objected`` / ``…_self_evaluated`` (the employee's managers),
  ``…_evaluated`` (the employee), ``performance.department_submitted`` (performance manager);
* permission ``performance.assign``: people with a department scope (heads, VPs) — the
  "My team" entry and the assignment grid;
* menu: "My scorecards", "My team";
* the alert evaluator ``performance.item_below_pace`` (``alerts_cards``) and the metric-fed
  actuals' receiver (``actuals``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.core.context_processors import nav_add
from renshi.notifications.events import EMAIL, INBOX, register_event
from renshi.org.scope import get_scope

EVENT_SENT = "performance.scorecard_sent"
EVENT_CONFIRMED = "performance.scorecard_confirmed"
EVENT_OBJECTED = "performance.scorecard_objected"
EVENT_SELF_EVALUATED = "performance.scorecard_self_evaluated"
EVENT_EVALUATED = "performance.scorecard_evaluated"
EVENT_DEPARTMENT_SUBMITTED = "performance.department_submitted"

register_event(
    EVENT_SENT, _("My scorecard is ready for me to confirm"), default_channels=(INBOX, EMAIL)
)
register_event(EVENT_CONFIRMED, _("An employee confirmed the targets of their scorecard"))
register_event(
    EVENT_OBJECTED,
    _("An employee raised an objection to their scorecard"),
    default_channels=(INBOX, EMAIL),
)
register_event(EVENT_SELF_EVALUATED, _("An employee submitted their self-evaluation"))
register_event(EVENT_EVALUATED, _("My manager evaluated my scorecard"))
register_event(EVENT_DEPARTMENT_SUBMITTED, _("A department submitted its assignments"))


@access.register_permission("performance.assign")
def _assign(user) -> bool:
    """Heads and VPs (a department scope): the team page and the assignment grid."""
    scope = get_scope(user)
    return scope.employee_id is not None and not scope.is_api_key and bool(scope.department_ids)


nav_add(_("My scorecards"), "performance:my_scorecards", "performance.view", "performance")
nav_add(_("My team"), "performance:team", "performance.assign", "performance")

from . import actuals  # noqa: E402, F401  (the points_ingested receiver)
