"""Registrations of the 360 part and the actuals import (notification events, function-level
permissions, menu entries), imported when the app is ready.

* ``performance.choose_raters`` — may open the 360 rater pages at all: the performance manager
  and department heads (the services re-check every scorecard).
* ``performance.import_actuals`` — may open the actuals import at all: the performance manager
  and department heads (every row is re-checked against the person's scope).

No event is sent when a rater answers: a notification (or its time) would tie the answer to the
rater. Raters are notified when they are asked, without a chat-robot broadcast (who rates whom
is nobody else's business).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.core.context_processors import nav_add
from renshi.notifications.events import INBOX, register_event
from renshi.org.models import Role
from renshi.org.scope import get_scope

R360_REQUESTED = "performance.r360_requested"

register_event(
    R360_REQUESTED, _("I am asked to take part in a 360 review"), default_channels=(INBOX,)
)


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


def may_manage_360(scope) -> bool:
    """The performance manager or a department head (per scorecard: services_360)."""
    return _person(scope) and (
        scope.has_role(Role.PERFORMANCE_MANAGER) or bool(scope.headed_department_ids)
    )


@access.register_permission("performance.choose_raters")
def _choose_raters(user) -> bool:
    return may_manage_360(get_scope(user))


@access.register_permission("performance.import_actuals")
def _import_actuals(user) -> bool:
    return may_manage_360(get_scope(user))


nav_add(_("360 review"), "performance:r360_home", "performance.view", "performance")
