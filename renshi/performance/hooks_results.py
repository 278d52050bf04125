"""Registrations of the results part (notification events, function-level permissions, menu
entries), imported when the app is ready.

Permissions (who may open a results page at all; the services re-check every object):

* ``performance.view_results`` — people with a management scope: GM, HR VP, performance
  manager (the company), VPs (their departments), department heads (their team);
* ``performance.publish_results`` — the performance manager (publish, close, handle appeals);
* ``performance.reopen_results`` — the HR VP (reopen a closed plan, with a reason);
* ``performance.calibrate`` — the HR VP (any department) and VPs (their departments).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.core.context_processors import nav_add
from renshi.notifications.events import EMAIL, INBOX, register_event
from renshi.org.models import Role
from renshi.org.scope import get_scope

from .permissions import reads_all_plans

RESULTS_PUBLISHED = "performance.results_published"
APPEAL_RAISED = "performance.appeal_raised"
APPEAL_HANDLED = "performance.appeal_handled"
IMPROVEMENT_PLAN = "performance.improvement_plan"
PLAN_REOPENED = "performance.plan_reopened"

register_event(
    RESULTS_PUBLISHED,
    _("My performance result is published"),
    default_channels=(INBOX, EMAIL),
)
register_event(APPEAL_RAISED, _("An employee appeals a performance result"))
register_event(
    APPEAL_HANDLED, _("My performance appeal is handled"), default_channels=(INBOX, EMAIL)
)
register_event(IMPROVEMENT_PLAN, _("An improvement plan is recorded for me"))
register_event(PLAN_REOPENED, _("A closed performance plan is reopened"))


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


@access.register_permission("performance.view_results")
def _view_results(user) -> bool:
    scope = get_scope(user)
    return _person(scope) and (reads_all_plans(scope) or bool(scope.department_ids))


@access.register_permission("performance.publish_results")
def _publish_results(user) -> bool:
    scope = get_scope(user)
    return _person(scope) and scope.has_role(Role.PERFORMANCE_MANAGER)


@access.register_permission("performance.reopen_results")
def _reopen_results(user) -> bool:
    scope = get_scope(user)
    return _person(scope) and scope.has_role(Role.HR_VP)


@access.register_permission("performance.calibrate")
def _calibrate(user) -> bool:
    scope = get_scope(user)
    return _person(scope) and (scope.has_role(Role.HR_VP) or bool(scope.supervised_department_ids))


nav_add(_("My results"), "performance:results_mine", "performance.view", "performance")
nav_add(_("Results"), "performance:results_index", "performance.view_results", "performance")
nav_add(_("Appeals"), "performance:results_appeals", "performance.publish_results", "performance")
