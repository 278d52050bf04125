"""Feedback threads: ``@username`` mentions and notifying a conversation's participants.

Generic on purpose (goal comments use it now; indicator assignments of the performance module
later): the caller passes the thread's participants, a subject, a local URL and the target.

* ``parse_mentions(text)`` — the ``@username`` tokens of a text, in order, without duplicates.
* ``resolve_mentions(author, usernames)`` — the active users of the author's company whom the
  author may see through the access layer (``access.restrict(Employee, author)``); anyone else
  (another company, out of the author's scope, unknown, left) is silently not resolved.
* ``thread_notify(...)`` — "feedback.comment" to the other participants, "feedback.mention"
  to the mentioned users (a mentioned participant gets the mention only; the author nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.org.models import Employee

from .services import notification_send

COMMENT_EVENT = "feedback.comment"
MENTION_EVENT = "feedback.mention"
MAX_MENTIONS = 20

# Django usernames: letters, digits and @ . + - _ ; a mention starts after a space, a line
# start or punctuation (not inside an e-mail address) and does not end with a dot.
MENTION_RE = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")


def parse_mentions(text: str) -> list[str]:
    names: list[str] = []
    for match in MENTION_RE.finditer(text or ""):
        name = match.group(1)
        if name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def resolve_mentions(author: Any, usernames: Iterable[str]) -> list[Any]:
    """The users behind ``usernames`` that ``author`` may see (one query)."""
    names = list(usernames)
    if not names or author is None:
        return []
    employees = (
        access.restrict(Employee, author, access.VIEW)
        .exclude(status=Employee.Status.LEFT)
        .filter(user__username__in=names, user__is_active=True)
        .select_related("user")
    )
    return [e.user for e in employees]


def _user_id(person: Any) -> int | None:
    """A user id from a User, an Employee (its login) or an id."""
    if person is None:
        return None
    if isinstance(person, Employee):
        return person.user_id
    return getattr(person, "pk", person)


def thread_notify(
    *,
    company_id: int,
    author: Any,
    participants: Iterable[Any],
    text: str,
    subject: str,
    url: str,
    target: models.Model | None = None,
    can_view: Callable[[Any], bool] | None = None,
) -> dict[str, list[Any]]:
    """Notify a thread of a new message by ``author``. ``participants`` are Users, Employees or
    user ids (the owner, their manager/head, earlier writers...); ``can_view(user)`` (optional)
    keeps mentioned people who may not see the thread's object out of it. Runs inside the
    caller's transaction (the rows vanish on rollback; e-mails leave after commit).
    Returns {"comment": [...notifications], "mention": [...]}."""
    author_id = _user_id(author)
    mentioned = [
        u
        for u in resolve_mentions(author, parse_mentions(text))
        if u.pk != author_id and (can_view is None or can_view(u))
    ]
    mentioned_ids = {u.pk for u in mentioned}
    others = []
    for person in participants:
        pk = _user_id(person)
        if pk is not None and pk != author_id and pk not in mentioned_ids and pk not in others:
            others.append(pk)
    name = (
        getattr(author, "get_full_name", lambda: "")()
        or getattr(author, "get_username", lambda: "")()
        or _("Someone")
    )
    excerpt = (text or "").strip()[:500]
    result: dict[str, list[Any]] = {"comment": [], "mention": []}
    if others:
        result["comment"] = notification_send(
            company_id=company_id,
            recipients=others,
            event=COMMENT_EVENT,
            title=_("%(name)s commented on “%(subject)s”") % {"name": name, "subject": subject},
            body=excerpt,
            url=url,
            target=target,
            actor=author,
        )
    if mentioned:
        result["mention"] = notification_send(
            company_id=company_id,
            recipients=mentioned,
            event=MENTION_EVENT,
            title=_("%(name)s mentioned you in “%(subject)s”") % {"name": name, "subject": subject},
            body=excerpt,
            url=url,
            target=target,
            actor=author,
        )
    return result
