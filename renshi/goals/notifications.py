"""What the goal cascade tells people (registered with the notifications app when goals is
ready), and the helpers ``services`` calls inside its transactions.

* ``goals.proposed`` — the proposer's head hears of a new or resubmitted key result;
* ``goals.approved`` / ``goals.returned`` — the owner hears of the decision (e-mail too by
  default: somebody waits for it);
* goal comments are a feedback thread (``notifications.mentions.thread_notify``): the owner,
  their manager and department head and the earlier commenters, plus ``@mentions``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renshi.core import access
from renshi.notifications.events import EMAIL, INBOX, register_event
from renshi.notifications.mentions import thread_notify
from renshi.notifications.services import notification_send
from renshi.org.models import Department, Employee

from .models import Goal, GoalComment

PROPOSED, APPROVED, RETURNED = "goals.proposed", "goals.approved", "goals.returned"

register_event(PROPOSED, gettext_lazy("A key result is proposed to me for approval"))
register_event(
    APPROVED, gettext_lazy("My proposed key result is approved"), default_channels=(INBOX, EMAIL)
)
register_event(
    RETURNED, gettext_lazy("My proposed key result is returned"), default_channels=(INBOX, EMAIL)
)


def _actor_name(actor: Any) -> str:
    return actor.get_full_name() or actor.get_username()


def heads_of(owner: Employee | None) -> list[int]:
    """User ids of the people an owner answers to: their manager and the head of their
    department (the parent department's head when the owner heads it themselves)."""
    if owner is None:
        return []
    ids: list[int] = []
    if owner.manager_id:
        manager_user = (
            Employee.objects.filter(pk=owner.manager_id).values_list("user_id", flat=True).first()
        )
        if manager_user:
            ids.append(manager_user)
    department = (
        Department.objects.select_related("head", "parent__head")
        .filter(pk=owner.department_id)
        .first()
    )
    while department is not None:
        head = department.head
        if head is not None and head.pk != owner.pk:
            if head.user_id and head.user_id not in ids:
                ids.append(head.user_id)
            break
        department = department.parent
    return ids


def _owner_user(goal: Goal) -> int | None:
    return goal.owner.user_id if goal.owner_id else None


def goal_proposed(*, actor: Any, goal: Goal) -> None:
    notification_send(
        company_id=goal.company_id,
        recipients=heads_of(goal.owner),
        event=PROPOSED,
        title=_("%(name)s proposes “%(goal)s”") % {"name": _actor_name(actor), "goal": goal.title},
        url=goal.get_absolute_url(),
        target=goal,
        actor=actor,
    )


def goal_decided(*, actor: Any, goal: Goal, approved: bool, reason: str = "") -> None:
    if approved:
        event, title = APPROVED, _("Your key result “%(goal)s” is approved")
    else:
        event, title = RETURNED, _("Your key result “%(goal)s” is returned")
    notification_send(
        company_id=goal.company_id,
        recipients=[_owner_user(goal)],
        event=event,
        title=title % {"goal": goal.title},
        body=reason,
        url=goal.get_absolute_url(),
        target=goal,
        actor=actor,
    )


def goal_commented(*, actor: Any, goal: Goal, comment: GoalComment) -> None:
    earlier = (
        GoalComment.objects.filter(goal_id=goal.pk)
        .exclude(pk=comment.pk)
        .values_list("author_id", flat=True)
        .distinct()
    )
    participants = [_owner_user(goal), *heads_of(goal.owner), *earlier]
    thread_notify(
        company_id=goal.company_id,
        author=actor,
        participants=participants,
        text=comment.body,
        subject=goal.title,
        url=goal.get_absolute_url() + "#comments",
        target=goal,
        can_view=lambda user: access.can(user, access.VIEW, goal),
    )
